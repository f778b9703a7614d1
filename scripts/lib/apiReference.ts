/**
 * The API reference in Markdown, rendered from the OpenAPI documents the two HTTP
 * functions serve at `/openapi.json`, so the reference is never written twice.
 */
type Schema = {
  type?: string | string[];
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  const?: unknown;
  anyOf?: Schema[];
  oneOf?: Schema[];
  format?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  default?: unknown;
};
type Operation = {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, unknown>[];
  parameters?: {
    name: string;
    in: string;
    required?: boolean;
    description?: string;
    schema?: Schema;
  }[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  responses: Record<string, { description: string }>;
};
type Document = {
  info: { title: string; description: string };
  paths: Record<string, Record<string, Operation>>;
};

const shownFormats = new Set(['date-time', 'date', 'email', 'uri', 'uuid']);

const credential: Record<string, string> = {
  adminToken: 'admin token',
  apiKey: 'API key',
  writeKey: 'the API key as Basic user name',
};

const generatingAClient = [
  '## Generating a client',
  '',
  'Any OpenAPI 3.1 client generator reads these documents. Fetch one from a running function',
  '(`curl -o ingest.json "$INGEST_URL/openapi.json"`), or write both without one:',
  '`npm run openapi:documents` writes `dist/openapi/ingest.json` and `dist/openapi/api.json`.',
  '',
  '- Every operation has an `operationId` of its own, which generators name their functions',
  '  after: the method and the path (`postEvents` for `POST /v1/events`, `getEventsByEventId`',
  "  for `GET /v1/events/{eventId}`), with a replaced system's name first on its routes",
  "  (`eventFlowPostEvents` for EventFlow's `POST /events`).",
  "- The server is the function's own URL, the variable `functionUrl`: give it `$INGEST_URL`",
  '  or `$API_URL`. Its default, `http://localhost:8080`, is where the Functions Framework',
  '  serves a function on its own.',
  '',
  'With [orval](https://orval.dev) (`npm install --save-dev orval`), a fetch client that reads',
  'its base URL when it runs:',
  '',
  '```js',
  '// orval.config.mjs',
  'export default {',
  '  ingest: {',
  "    input: { target: './ingest.json' },",
  '    output: {',
  "      target: './src/tributary/ingest.ts',",
  "      client: 'fetch',",
  "      baseUrl: { runtime: 'process.env.INGEST_URL' },",
  '    },',
  '  },',
  '};',
  '```',
  '',
  '`npx orval --config orval.config.mjs` writes a function per operation. Each takes the',
  'credential as a header and returns the status and the body, typed as the document',
  'describes the answer of that status:',
  '',
  '```ts',
  "import { postEvents } from './tributary/ingest.ts';",
  '',
  'const sent = await postEvents(',
  "  { eventType: 'order.placed', payload: { amount: 42 } },",
  '  { headers: { Authorization: `Bearer ${process.env.API_KEY}` } },',
  ');',
  'if (sent.status === 202) console.log(sent.data.eventId);',
  '```',
  '',
];

export function renderApiReference(documents: { base: string; document: unknown }[]): string {
  const lines = [
    '# API reference',
    '',
    'Generated from the OpenAPI documents the functions serve at `/openapi.json`',
    '(`npm run docs:api` writes this file). Every error answer has the shape',
    '`{"error":{"code":"…","message":"…","fields":[{"field":"…","message":"…"}]}}`.',
    '',
    ...generatingAClient,
  ];
  for (const { base, document } of documents)
    lines.push(...renderDocument(base, document as Document));
  return `${lines.join('\n').trimEnd()}\n`;
}

function renderDocument(base: string, document: Document): string[] {
  const lines = [
    `## ${document.info.title}`,
    '',
    `${document.info.description} Base URL: \`${base}\`.`,
    '',
  ];
  const byTag = new Map<string, [string, string, Operation][]>();
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const tag = operation.tags?.[0] ?? 'Other';
      byTag.set(tag, [...(byTag.get(tag) ?? []), [method.toUpperCase(), path, operation]]);
    }
  }
  for (const [tag, operations] of byTag) {
    lines.push(`### ${tag}`, '');
    for (const [method, path, operation] of operations)
      lines.push(...renderOperation(method, path, operation));
  }
  return lines;
}

function renderOperation(method: string, path: string, operation: Operation): string[] {
  const auth = (operation.security ?? []).flatMap((requirement) => Object.keys(requirement));
  const lines = [
    `#### \`${method} ${path}\``,
    '',
    [operation.summary, operation.description].filter(Boolean).join('. ') || '—',
    '',
    `Credential: ${auth.length > 0 ? auth.map((name) => credential[name] ?? name).join(' or ') : 'none'}.`,
    '',
  ];
  const parameters = operation.parameters ?? [];
  if (parameters.length > 0) {
    lines.push(
      '| parameter | in | required | type | description |',
      '| --- | --- | --- | --- | --- |',
    );
    for (const parameter of parameters) {
      lines.push(
        row([
          `\`${parameter.name}\``,
          parameter.in,
          parameter.required ? 'yes' : 'no',
          typeOf(parameter.schema ?? {}),
          parameter.description ?? '',
        ]),
      );
    }
    lines.push('');
  }
  for (const [mediaType, { schema }] of Object.entries(operation.requestBody?.content ?? {})) {
    const fields = Object.entries(schema.properties ?? {});
    lines.push(`Body (\`${mediaType}\`)${fields.length === 0 ? `: ${typeOf(schema)}.` : ':'}`, '');
    if (fields.length > 0) {
      lines.push('| field | required | type | description |', '| --- | --- | --- | --- |');
      for (const [name, field] of fields)
        lines.push(
          row([
            `\`${name}\``,
            schema.required?.includes(name) ? 'yes' : 'no',
            typeOf(field),
            field.description ?? '',
          ]),
        );
      lines.push('');
    }
  }
  lines.push('| answer | |', '| --- | --- |');
  for (const [status, response] of Object.entries(operation.responses))
    lines.push(row([status, response.description]));
  lines.push('');
  return lines;
}

function typeOf(schema: Schema): string {
  if (schema.const !== undefined) return `\`${JSON.stringify(schema.const)}\``;
  if (schema.enum) return schema.enum.map((value) => `\`${String(value)}\``).join(', ');
  const options = schema.anyOf ?? schema.oneOf;
  if (options) return [...new Set(options.map(typeOf))].join(' or ');
  const type = Array.isArray(schema.type) ? schema.type.join(' or ') : (schema.type ?? 'any');
  if (type === 'array') return `array of ${typeOf(schema.items ?? {})}`;
  const bounds = [
    schema.format && shownFormats.has(schema.format) ? schema.format : undefined,
    schema.minimum !== undefined && schema.maximum !== undefined
      ? `${schema.minimum}–${schema.maximum}`
      : undefined,
    schema.maxLength !== undefined ? `≤ ${schema.maxLength} chars` : undefined,
  ].filter(Boolean);
  return bounds.length > 0 ? `${type} (${bounds.join(', ')})` : type;
}

function row(cells: string[]): string {
  return `| ${cells.map((cell) => cell.replaceAll('|', '\\|').replaceAll('\n', ' ')).join(' | ')} |`;
}
