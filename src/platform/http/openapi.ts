import { z } from 'zod';
import {
  AssignUserBody,
  CreateTenantBody,
  EventView,
  HierarchyBody,
  MembershipView,
  ParkBody,
  page,
  TenantView,
  UpdateTenantBody,
} from '#src/contexts/tenants/api/tenant.schemas.js';

interface Operation {
  summary: string;
  body?: z.ZodType;
  response?: z.ZodType;
  status: number;
  query?: string[];
  public?: boolean;
}

/** The tenant API's operations: the route keys are serverless.yml's (a test proves both lists agree). */
export const operations: Record<string, Operation> = {
  'POST /v1.0/tenants': {
    summary: 'Create a tenant (Admin, Operator)',
    body: CreateTenantBody,
    response: TenantView,
    status: 201,
  },
  'GET /v1.0/tenants': {
    summary: 'List tenants (platform: all; members: their own)',
    response: page(TenantView),
    status: 200,
    query: ['status', 'environment', 'organizationName', 'limit', 'cursor'],
  },
  'GET /v1.0/tenants/{id}': { summary: 'Get a tenant', response: TenantView, status: 200 },
  'PATCH /v1.0/tenants/{id}': {
    summary: 'Update name or contact (TenantAdmin)',
    body: UpdateTenantBody,
    response: TenantView,
    status: 200,
  },
  'DELETE /v1.0/tenants/{id}': {
    summary: 'Soft-delete a tenant (Admin, Operator)',
    status: 204,
    query: ['force'],
  },
  'POST /v1.0/tenants/{id}/park': {
    summary: 'Park a tenant with a reason (TenantAdmin)',
    body: ParkBody,
    response: TenantView,
    status: 200,
  },
  'POST /v1.0/tenants/{id}/unpark': {
    summary: 'Unpark a tenant (TenantAdmin)',
    response: TenantView,
    status: 200,
  },
  'GET /v1.0/tenants/{id}/status': { summary: "A tenant's status", status: 200 },
  'POST /v1.0/tenants/{id}/users': {
    summary: 'Assign a user a tenant role (TenantAdmin)',
    body: AssignUserBody,
    response: MembershipView,
    status: 201,
  },
  'GET /v1.0/tenants/{id}/users': {
    summary: "A tenant's users",
    response: page(MembershipView),
    status: 200,
    query: ['limit', 'cursor'],
  },
  'DELETE /v1.0/tenants/{id}/users/{userId}': {
    summary: 'Remove a user from a tenant (TenantAdmin)',
    status: 204,
  },
  'GET /v1.0/users/{userId}/tenants': {
    summary: "A user's tenants (self, or platform roles)",
    status: 200,
    query: ['limit', 'cursor'],
  },
  'PUT /v1.0/tenants/{id}/hierarchy': {
    summary: 'Set the division/group/team hierarchy (TenantAdmin)',
    body: HierarchyBody,
    status: 200,
  },
  'GET /v1.0/tenants/{id}/hierarchy': {
    summary: "A tenant's hierarchy",
    response: HierarchyBody,
    status: 200,
  },
  'DELETE /v1.0/tenants/{id}/hierarchy': { summary: 'Remove the hierarchy (TenantAdmin)', status: 204 },
  'GET /v1.0/tenants/{id}/events': {
    summary: "A tenant's audit trail (TenantAdmin)",
    response: page(EventView),
    status: 200,
    query: ['limit', 'cursor'],
  },
  'GET /v1.0/openapi.json': { summary: 'This document', status: 200, public: true },
};

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

/** OpenAPI 3.1, generated from the zod schemas that validate the requests. */
export function openApiDocument(): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [routeKey, op] of Object.entries(operations)) {
    const [method, path] = routeKey.split(' ') as [string, string];
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = (op.query ?? []).map((name) => ({
      name,
      in: 'query',
      required: false,
      schema: { type: 'string' },
    }));
    const headers =
      method === 'GET' || op.public
        ? []
        : [
            {
              name: 'If-Match',
              in: 'header',
              required: false,
              schema: { type: 'string' },
              description: 'ETag of the tenant version the change is based on',
            },
            ...(method === 'POST'
              ? [
                  {
                    name: 'Idempotency-Key',
                    in: 'header',
                    required: false,
                    schema: { type: 'string', maxLength: 255 },
                  },
                ]
              : []),
          ];
    paths[path] ??= {};
    (paths[path] as Record<string, unknown>)[method.toLowerCase()] = {
      summary: op.summary,
      operationId: `${method.toLowerCase()}${path.replace(/\/v1\.0|[{}]/g, '').replace(/\/(\w)/g, (_m, c: string) => c.toUpperCase())}`,
      ...(op.public ? { security: [] } : {}),
      parameters: [...params, ...query, ...headers],
      ...(op.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: schema(op.body) } } } }
        : {}),
      responses: {
        [String(op.status)]: {
          description: 'OK',
          ...(op.response ? { content: { 'application/json': { schema: schema(op.response) } } } : {}),
        },
        default: {
          description: 'An error',
          content: { 'application/problem+json': { schema: schema(Problem) } },
        },
      },
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'BBWS control plane: tenant management', version: '1.0.0' },
    servers: [{ url: '/' }],
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } } },
    security: [{ bearer: [] }],
    paths,
  };
}
