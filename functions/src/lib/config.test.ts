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
  ])('names the bad variable %s', (name, value) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(name);
  });
});
