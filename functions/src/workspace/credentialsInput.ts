import { z } from 'zod';

/** Credentials as the operator sends them; stored only sealed. */
export type WorkspaceCredentials =
  | { type: 'oauth'; clientId: string; clientSecret: string; refreshToken: string }
  | {
      type: 'service_account';
      clientEmail: string;
      privateKey: string;
      /** The admin user the service account impersonates (domain-wide delegation). */
      subject: string;
    };

const email = z.email({ message: 'must be an email address' });

const oauthCredentialsSchema = z.strictObject({
  type: z.literal('oauth'),
  clientId: z.string().min(1).max(500),
  clientSecret: z.string().min(1).max(500),
  refreshToken: z.string().min(1).max(2000),
});

/** A service-account key as Google issues it (JSON), of which two fields are used. */
const serviceAccountKeySchema = z.looseObject({
  client_email: email,
  private_key: z
    .string()
    .max(10_000)
    .refine((key) => key.includes('PRIVATE KEY-----'), 'must be a PEM private key'),
});

const serviceAccountCredentialsSchema = z.strictObject({
  type: z.literal('service_account'),
  serviceAccountKey: z.union([
    serviceAccountKeySchema,
    z.string().transform((text, context) => {
      try {
        const parsed = serviceAccountKeySchema.safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
      } catch {
        // reported below
      }
      context.addIssue({
        code: 'custom',
        message: 'must be the service account key JSON (client_email, private_key)',
      });
      return z.NEVER;
    }),
  ]),
  /** The admin user to impersonate. */
  subject: email,
});

const taggedCredentialsSchema = z.discriminatedUnion('type', [
  oauthCredentialsSchema,
  serviceAccountCredentialsSchema,
]);

/**
 * OAuth fields also go by the names Google's own client files and token endpoint use
 * (`client_id`, `client_secret`, `refresh_token`), the shape other Workspace
 * integrations send.
 */
const oauthAliases = {
  client_id: 'clientId',
  client_secret: 'clientSecret',
  refresh_token: 'refreshToken',
} as const;
const aliasOf: Record<string, string> = Object.fromEntries(
  Object.entries(oauthAliases).map(([alias, name]) => [name, alias]),
);
const oauthFields = ['clientId', 'clientSecret', 'refreshToken', ...Object.keys(oauthAliases)];
const serviceAccountFields = ['serviceAccountKey', 'subject'];
/** Fields of a raw service-account key pasted where `serviceAccountKey` belongs. */
const rawKeyFields = ['client_email', 'private_key', 'clientEmail', 'privateKey'];

type Recognised =
  | { ok: true; value: Record<string, unknown>; spelling: Record<string, string> }
  | { ok: false; issues: { path: string[]; message: string }[] };

/**
 * The credential's type, from `type` or, when it is absent, from its fields: OAuth
 * fields alone are `oauth`, `serviceAccountKey`/`subject` alone are `service_account`.
 * Anything that could be either, or neither, is refused rather than guessed.
 */
function recogniseCredentials(raw: unknown): Recognised {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: [], message: 'must be an object' }] };
  }
  const value: Record<string, unknown> = {};
  const spelling: Record<string, string> = {};
  for (const [name, field] of Object.entries(raw)) {
    const canonical = (oauthAliases as Record<string, string>)[name] ?? name;
    if (canonical in value) {
      return {
        ok: false,
        issues: [{ path: [name], message: `sent twice, as ${spelling[canonical]} and ${name}` }],
      };
    }
    value[canonical] = field;
    spelling[canonical] = name;
  }
  if (value.type !== undefined) return { ok: true, value, spelling };
  const names = Object.keys(raw);
  const oauth = names.filter((name) => oauthFields.includes(name));
  const serviceAccount = names.filter((name) => serviceAccountFields.includes(name));
  if (oauth.length > 0 && serviceAccount.length > 0) {
    return {
      ok: false,
      issues: [
        {
          path: ['type'],
          message: `required here: the fields are both OAuth (${oauth.join(', ')}) and service account (${serviceAccount.join(', ')}); set type to oauth or service_account`,
        },
      ],
    };
  }
  if (oauth.length > 0) return { ok: true, value: { type: 'oauth', ...value }, spelling };
  if (serviceAccount.length > 0)
    return { ok: true, value: { type: 'service_account', ...value }, spelling };
  const pastedKey = names.some((name) => rawKeyFields.includes(name));
  return {
    ok: false,
    issues: [
      {
        path: ['type'],
        message: pastedKey
          ? 'looks like a service account key: send {"type":"service_account","serviceAccountKey":<the key JSON>,"subject":"<admin email>"}'
          : 'required: oauth (clientId, clientSecret, refreshToken) or service_account (serviceAccountKey, subject)',
      },
    ],
  };
}

/**
 * Workspace credentials in any accepted shape, validated into one. Field errors name the
 * field as it was sent (`credentials.refresh_token`, not the internal name).
 */
export const credentialsSchema = z
  .unknown()
  .transform((raw, context) => {
    const recognised = recogniseCredentials(raw);
    if (!recognised.ok) {
      for (const issue of recognised.issues) context.addIssue({ code: 'custom', ...issue });
      return z.NEVER;
    }
    const parsed = taggedCredentialsSchema.safeParse(recognised.value);
    if (parsed.success) return parsed.data;
    // A field left out is named as the rest were sent: `refresh_token` beside `client_id`.
    const aliased = Object.entries(recognised.spelling).some(([name, sent]) => name !== sent);
    const nameOf = (name: string) =>
      recognised.spelling[name] ?? (aliased ? (aliasOf[name] ?? name) : name);
    const sentAs = (path: PropertyKey[]) =>
      path.map((part, index) => (index === 0 ? nameOf(String(part)) : String(part)));
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        for (const key of issue.keys)
          context.addIssue({
            code: 'custom',
            path: sentAs([...issue.path, key]),
            message: 'unknown field',
          });
      } else {
        context.addIssue({ code: 'custom', path: sentAs(issue.path), message: issue.message });
      }
    }
    return z.NEVER;
  })
  .meta({
    description:
      'OAuth (`clientId`, `clientSecret`, `refreshToken`, or `client_id`, `client_secret`, `refresh_token`) or a service account with domain-wide delegation. `type` may be left out when the fields say which.',
    anyOf: [
      z.toJSONSchema(taggedCredentialsSchema, { io: 'input', unrepresentable: 'any' }),
      {
        type: 'object',
        properties: {
          client_id: { type: 'string' },
          client_secret: { type: 'string' },
          refresh_token: { type: 'string' },
        },
        required: ['client_id', 'client_secret', 'refresh_token'],
        additionalProperties: false,
      },
    ],
  });

export type CredentialsInput = z.infer<typeof credentialsSchema>;

export function toCredentials(input: CredentialsInput): WorkspaceCredentials {
  if (input.type === 'oauth') return input;
  return {
    type: 'service_account',
    clientEmail: input.serviceAccountKey.client_email,
    privateKey: input.serviceAccountKey.private_key,
    subject: input.subject,
  };
}
