import { z } from 'zod';
import type { Route } from './router.js';

const ERROR = {
  type: 'object',
  required: ['error', 'message'],
  properties: {
    error: { type: 'string', description: 'a stable code: invalid_request, unauthorized, forbidden, not_found, conflict, …' },
    message: { type: 'string' },
    field: { type: 'string', description: '400: the field that is wrong' },
    permission: { type: 'string', description: '403: the permission the caller lacks' },
  },
};

// Input schemas transform strings into numbers and dates: the document describes what is sent.
const jsonSchema = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown> & {
  properties?: Record<string, Record<string, unknown>>;
  required?: string[];
};

/** The OpenAPI 3.1 document of the routes, generated from the zod schemas they validate with. */
export function openApiDocument(routes: readonly Route[], version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const parameters: unknown[] = [];
    for (const [where, schema] of [['path', r.params], ['query', r.query]] as const) {
      if (!schema) continue;
      const s = jsonSchema(schema);
      for (const [name, property] of Object.entries(s.properties ?? {})) {
        parameters.push({ name, in: where, required: where === 'path' || Boolean(s.required?.includes(name)), schema: property });
      }
    }
    const errors = Object.fromEntries(
      [['400', 'a field is wrong (named in `field`)'], ['401', 'no or an unknown bearer token'], ['403', 'the caller lacks a permission (named in `permission`)'],
        ['404', 'no such incident, approval, job or route']]
        .map(([code, description]) => [code, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }]),
    );
    (paths[`/api/v1${r.path}`] ??= {})[r.method.toLowerCase()] = {
      summary: r.summary,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body) } } } } : {}),
      responses: { 200: { description: 'done' }, ...errors },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'firebreak API', version, description: 'Incidents, their timelines, playbook runs, approvals and jobs. Bearer tokens: FIREBREAK_API_TOKENS.' },
    servers: [{ url: '/' }],
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: { Error: ERROR },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
