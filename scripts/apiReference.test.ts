import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { currentApiReference } from './lib/apiReferenceFiles.ts';
import { renderApiReference } from './lib/apiReference.ts';

describe('the API reference', () => {
  it('in docs/API.md is the one the route tables generate (run npm run docs:api)', () => {
    const committed = readFileSync(join(import.meta.dirname, '..', 'docs', 'API.md'), 'utf8');
    expect(committed).toBe(currentApiReference());
  });

  it('renders an operation with its credential, parameters, body fields and answers', () => {
    const text = renderApiReference([
      {
        base: '$X',
        document: {
          info: { title: 'T', description: 'D.' },
          paths: {
            '/v1/things/{id}': {
              put: {
                summary: 'Change a thing',
                tags: ['Things'],
                security: [{ adminToken: [] }],
                parameters: [
                  { name: 'id', in: 'path', required: true, schema: { type: 'string' } },
                ],
                requestBody: {
                  content: {
                    'application/json': {
                      schema: {
                        type: 'object',
                        properties: {
                          size: {
                            type: 'integer',
                            minimum: 1,
                            maximum: 9,
                            description: 'How big | exactly',
                          },
                        },
                        required: ['size'],
                      },
                    },
                  },
                },
                responses: {
                  '200': { description: 'Changed.' },
                  '404': { description: 'No such thing.' },
                },
              },
            },
          },
        },
      },
    ]);
    expect(text).toContain('#### `PUT /v1/things/{id}`');
    expect(text).toContain('Credential: admin token.');
    expect(text).toContain('| `id` | path | yes | string |  |');
    expect(text).toContain('| `size` | yes | integer (1–9) | How big \\| exactly |');
    expect(text).toContain('| 404 | No such thing. |');
  });
});
