import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { credentialsSchema, toCredentials } from './credentialsInput.ts';

const oauth = { clientId: 'id', clientSecret: 'secret', refreshToken: 'rt' };
const key = {
  client_email: 'svc@p.iam.gserviceaccount.com',
  private_key: '-----BEGIN PRIVATE KEY-----',
};

describe('credentialsSchema', () => {
  it.each([
    ['typed OAuth', { type: 'oauth', ...oauth }],
    ['OAuth without a type', oauth],
    [
      'OAuth in Google’s field names',
      { client_id: 'id', client_secret: 'secret', refresh_token: 'rt' },
    ],
    [
      'OAuth with a type in Google’s field names',
      { type: 'oauth', client_id: 'id', client_secret: 'secret', refresh_token: 'rt' },
    ],
    [
      'mixed names, each field once',
      { client_id: 'id', clientSecret: 'secret', refresh_token: 'rt' },
    ],
  ])('reads %s as the same OAuth credential', (_, input) => {
    const parsed = credentialsSchema.parse(input);
    expect(toCredentials(parsed)).toEqual({ type: 'oauth', ...oauth });
  });

  it('reads a service account without a type from its fields', () => {
    const parsed = credentialsSchema.parse({
      serviceAccountKey: key,
      subject: 'admin@example.com',
    });
    expect(toCredentials(parsed)).toEqual({
      type: 'service_account',
      clientEmail: key.client_email,
      privateKey: key.private_key,
      subject: 'admin@example.com',
    });
  });

  it.each([
    [
      'a field under both names',
      { clientId: 'a', client_id: 'a', client_secret: 'b', refresh_token: 'c' },
      'client_id',
      /sent twice/,
    ],
    ['both kinds of fields', { ...oauth, subject: 'a@b.c' }, 'type', /both OAuth/],
    ['a raw service account key', key, 'type', /looks like a service account key/],
    ['nothing to tell the type by', { token: 'x' }, 'type', /required/],
    [
      'a missing field, in the names sent',
      { client_id: 'a', client_secret: 'b' },
      'refresh_token',
      /expected string/,
    ],
    ['an unknown field', { ...oauth, password: 'x' }, 'password', /unknown field/],
    ['an array', [oauth], '', /must be an object/],
  ])('refuses %s, naming %s', (_, input, field, message) => {
    const result = z.object({ credentials: credentialsSchema }).safeParse({ credentials: input });
    expect(result.success).toBe(false);
    const issue = result.error?.issues.find(
      (i) => i.path.join('.') === ['credentials', field].filter(Boolean).join('.'),
    );
    expect(issue?.message).toMatch(message);
  });
});
