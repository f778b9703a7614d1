import { describe, expect, it } from 'vitest';
import { defaults } from '../lib/defaults.ts';
import {
  createSourceSchema,
  lagFor,
  newSource,
  presentSource,
  updateSourceSchema,
  workspaceApplications,
  type WorkspaceSource,
} from './source.ts';

const oauth = { type: 'oauth', clientId: 'id', clientSecret: 'secret', refreshToken: 'token' };

function source(overrides: Partial<WorkspaceSource> = {}): WorkspaceSource {
  const at = new Date('2026-11-01T00:00:00Z');
  return {
    ...newSource(
      {
        id: 'src_AAAAAAAAAAAAAAAAAAAAAA',
        name: null,
        applications: ['login', 'drive'],
        lagSeconds: { drive: 60 },
        logFetchIntervalSeconds: 300,
        callbackUrl: null,
        credentialsType: 'oauth',
        credentialsCiphertext: 'v1.k1.sealed',
        startAt: at,
      },
      at,
    ),
    ...overrides,
  };
}

describe('the lag table', () => {
  it('has a lag for every application, minutes for sign-ins and admin, hours for drive and calendar', () => {
    for (const application of workspaceApplications) {
      expect(defaults.workspaceLagSeconds[application]).toBeGreaterThan(0);
    }
    for (const application of ['admin', 'login', 'token', 'saml'] as const) {
      expect(defaults.workspaceLagSeconds[application]).toBeLessThanOrEqual(3600);
    }
    for (const application of ['drive', 'calendar', 'groups'] as const) {
      expect(defaults.workspaceLagSeconds[application]).toBeGreaterThanOrEqual(3600);
    }
    for (const application of defaults.workspaceDefaultApplications) {
      expect(workspaceApplications).toContain(application);
    }
  });

  it('lets a source set its own lag per application', () => {
    expect(lagFor(source(), 'drive')).toBe(60);
    expect(lagFor(source(), 'login')).toBe(defaults.workspaceLagSeconds.login);
  });
});

describe('source input', () => {
  it('takes OAuth or service-account credentials', () => {
    expect(
      createSourceSchema.safeParse({ sourceType: 'google_workspace', credentials: oauth }).success,
    ).toBe(true);
    const key = JSON.stringify({
      client_email: 'svc@p.iam.gserviceaccount.com',
      private_key: '-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----\n',
    });
    const parsed = createSourceSchema.safeParse({
      sourceType: 'google_workspace',
      credentials: {
        type: 'service_account',
        serviceAccountKey: key,
        subject: 'admin@example.com',
      },
    });
    expect(parsed.success).toBe(true);
  });

  it.each([
    [{ sourceType: 'slack', credentials: oauth }, 'sourceType'],
    [{ sourceType: 'google_workspace' }, 'credentials'],
    [
      { sourceType: 'google_workspace', credentials: { ...oauth, refreshToken: '' } },
      'credentials.refreshToken',
    ],
    [
      { sourceType: 'google_workspace', credentials: oauth, applications: ['mail'] },
      'applications.0',
    ],
    [{ sourceType: 'google_workspace', credentials: oauth, applications: [] }, 'applications'],
    [
      { sourceType: 'google_workspace', credentials: oauth, logFetchInterval: 0 },
      'logFetchInterval',
    ],
    [
      { sourceType: 'google_workspace', credentials: oauth, lagSeconds: { drive: -1 } },
      'lagSeconds.drive',
    ],
  ])('refuses %o naming %s', (input, field) => {
    const parsed = createSourceSchema.safeParse(input);
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('refuses an empty update', () => {
    expect(updateSourceSchema.safeParse({}).success).toBe(false);
  });
});

describe('presentSource', () => {
  it('shows that credentials are set, never what they are', () => {
    const shown = presentSource(source(), [
      {
        application: 'login',
        cursor: new Date('2026-11-01T01:00:00Z'),
        window: null,
        pagesInWindow: 0,
        lastCompletedAt: null,
        eventsFetched: 3,
      },
    ]);
    expect(shown.credentials).toEqual({ type: 'oauth', set: true });
    expect(JSON.stringify(shown)).not.toContain('sealed');
    expect(shown).toMatchObject({
      lagSeconds: { login: defaults.workspaceLagSeconds.login, drive: 60 },
      gap: false,
      cursors: { login: { cursor: '2026-11-01T01:00:00.000Z', eventsFetched: 3 } },
    });
  });
});
