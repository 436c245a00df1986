import { z } from 'zod';
import type { RouteDeclaration } from './route.js';

const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number(),
  detail: z.string(),
  field: z.string().optional(),
  code: z.string().optional(),
  instance: z.string().optional(),
  correlationId: z.string().optional(),
});

const schema = (type: z.ZodType) => z.toJSONSchema(type, { io: 'input', unrepresentable: 'any' });

/** Query parameters, named from the route's query schema (an object schema, possibly refined). */
function queryNames(query: z.ZodType | undefined): string[] {
  if (!query) return [];
  const json = schema(query) as { properties?: Record<string, unknown> };
  return Object.keys(json.properties ?? {});
}

const header = (name: string, description: string, schema: Record<string, unknown> = { type: 'string' }) => ({
  name,
  in: 'header',
  required: false,
  schema,
  description,
});

/** The conditional and idempotency headers the HTTP kit honours (src/platform/http/preconditions.ts, idempotency.ts). */
function headerParameters(route: RouteDeclaration) {
  if (route.auth === 'public') return [];
  if (route.method === 'GET') {
    return [
      header(
        'If-None-Match',
        'ETags the client holds (weak comparison): an answer that carries an ETag is 304 without a body while it names the current one',
      ),
    ];
  }
  return [
    header(
      'If-Match',
      'ETag of the version the change is based on, or *. Strong comparison: a weak ETag (W/"7") never matches (412)',
    ),
    ...(route.method === 'POST'
      ? [
          header(
            'Idempotency-Key',
            'Scoped to the caller, kept 24 h: a retry gets the first answer (Idempotent-Replayed: true); the same key with another request is 422',
            { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,255}$' },
          ),
        ]
      : []),
  ];
}

function operation(route: RouteDeclaration) {
  const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const query = queryNames(route.query).map((name) => ({
    name,
    in: 'query',
    required: false,
    schema: { type: 'string' },
  }));
  const status = route.response?.status ?? 200;
  const response = route.response?.schema;
  return {
    summary: route.summary,
    operationId: `${route.method.toLowerCase()}${route.path.replace(/\/v1\.0|[{}]/g, '').replace(/[/.](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    ...(route.auth === 'public' ? { security: [] } : {}),
    parameters: [...params, ...query, ...headerParameters(route)],
    ...(route.body
      ? { requestBody: { required: true, content: { 'application/json': { schema: schema(route.body) } } } }
      : {}),
    responses: {
      [String(status)]: {
        description: 'OK',
        ...(response ? { content: { 'application/json': { schema: schema(response) } } } : {}),
      },
      ...(route.method === 'GET' && route.auth !== 'public'
        ? { '304': { description: 'Not Modified: If-None-Match names the current ETag' } }
        : {}),
      default: {
        description: 'An error',
        content: { 'application/problem+json': { schema: schema(Problem) } },
      },
    },
  };
}

/** OpenAPI 3.1 of every declared route, from the same declarations that route and validate the requests. */
export function openApiDocument(routes: readonly RouteDeclaration[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    (paths[route.path] as Record<string, unknown>)[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: { title: 'BBWS control plane', version: '1.0.0' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
