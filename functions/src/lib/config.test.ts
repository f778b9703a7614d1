import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('loadConfig', () => {
  it('applies defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      projectId: 'tributary-local',
      environment: 'production',
      maxBatchEvents: 500,
    });
  });

  it('reads and coerces variables', () => {
    const config = loadConfig({
      GOOGLE_CLOUD_PROJECT: 'p',
      RATE_LIMIT_PER_SECOND: '7',
      TRIBUTARY_ENV: 'local',
    });
    expect(config).toMatchObject({ projectId: 'p', rateLimitPerSecond: 7, environment: 'local' });
  });

  it.each([
    ['RATE_LIMIT_PER_SECOND', 'fast'],
    ['TRIBUTARY_ENV', 'staging'],
    ['ADMIN_TOKEN', 'short'],
    ['MAX_EVENT_BYTES', '-1'],
    ['ENCRYPTION_KEY', 'c2hvcnQ='],
    ['ENCRYPTION_KEY_ID', 'has space'],
    ['ENCRYPTION_PREVIOUS_KEYS', 'no-separator'],
    ['WEBHOOK_ALLOW_LOOPBACK', 'yes'],
    ['WEBHOOK_TIMEOUT_MS', '0'],
    ['WORKSPACE_API_ROOT_URL', 'not a url'],
    ['WORKSPACE_TOKEN_URL', 'ftp://example.com/token'],
    ['INGEST_URL', 'ingest.example.com'],
  ])('names the bad variable %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});

describe('Workspace endpoints', () => {
  it("default to Google's, and take a local server with the root ending in a slash", () => {
    expect(loadConfig({})).toMatchObject({
      workspaceApiRootUrl: 'https://admin.googleapis.com/',
      workspaceTokenUrl: 'https://oauth2.googleapis.com/token',
    });
    expect(
      loadConfig({
        WORKSPACE_API_ROOT_URL: 'http://127.0.0.1:9000',
        WORKSPACE_TOKEN_URL: 'http://127.0.0.1:9000/token',
      }),
    ).toMatchObject({
      workspaceApiRootUrl: 'http://127.0.0.1:9000/',
      workspaceTokenUrl: 'http://127.0.0.1:9000/token',
    });
  });
});

describe('the ingest URL', () => {
  it('is unset by default and read without its trailing slash', () => {
    expect(loadConfig({}).ingestUrl).toBeUndefined();
    expect(loadConfig({ INGEST_URL: 'https://r-p.cloudfunctions.net/ingest/' }).ingestUrl).toBe(
      'https://r-p.cloudfunctions.net/ingest',
    );
  });
});

describe('webhook and encryption settings', () => {
  const key = Buffer.alloc(32, 7).toString('base64');

  it('reads the encryption key with its id, and previous keys', () => {
    const config = loadConfig({
      ENCRYPTION_KEY: key,
      ENCRYPTION_KEY_ID: 'k2',
      ENCRYPTION_PREVIOUS_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    });
    expect(config.encryptionKeys?.current.id).toBe('k2');
    expect(config.encryptionKeys?.current.key).toHaveLength(32);
    expect(config.encryptionKeys?.previous.map((k) => k.id)).toEqual(['k1']);
    expect(loadConfig({}).encryptionKeys).toBeUndefined();
  });

  it('allows loopback webhooks only outside production', () => {
    expect(loadConfig({ TRIBUTARY_ENV: 'local', WEBHOOK_ALLOW_LOOPBACK: 'true' })).toMatchObject({
      webhookAllowLoopback: true,
    });
    expect(loadConfig({}).webhookAllowLoopback).toBe(false);
    expect(() => loadConfig({ WEBHOOK_ALLOW_LOOPBACK: 'true' })).toThrow('WEBHOOK_ALLOW_LOOPBACK');
  });
});
