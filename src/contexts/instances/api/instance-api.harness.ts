import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ulid } from 'ulid';
import { expect } from 'vitest';
import { tenantResourcesV1 } from '#projections/instances/tenant-resources.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { tenantAccess, tenantStream } from '#src/contexts/tenants/index.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { applyChanges, type Row, type RowKey, rowId } from '#src/platform/domain/projection.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { Cursors } from '#src/platform/http/cursor.js';
import { httpHandler } from '#src/platform/http/http-handler.js';
import type { Route } from '#src/platform/http/route.js';
import { type InstanceApiDependencies, instanceRoutes } from './instance.routes.js';
import { instanceUniqueKeys } from './instance.schemas.js';

// A test harness (imported by tests only): the instance routes through the real HTTP wrapper, in process, beside
// the tenant routes on the same in-memory store. A token is the caller's user id; `op` is an Operator, `admin` an
// Admin. The read model is the real projection applied in memory, at once (or held back: `lagging`).

type ReadModel = InstanceApiDependencies['readModel'];

/** The projection's rows in memory, with the read model's queries over them (what the indexes give). */
export function inMemoryReadModel() {
  const rows = new Map<string, Row>();
  const sorted = (filter: (row: Row) => boolean, by: (row: Row) => string) =>
    [...rows.values()].filter(filter).sort((a, b) => (by(a) < by(b) ? -1 : 1));
  const all = (items: Row[]) => ({ items });
  const readModel: ReadModel = {
    get: async (tenantId, environment, instanceId) =>
      rows.get(rowId({ PK: `TENANT#${tenantId}`, SK: `INSTANCE#${environment}#${instanceId}` })),
    ofTenant: async (tenantId, state) =>
      all(
        sorted(
          (r) =>
            r.PK === `TENANT#${tenantId}` &&
            String(r.SK).startsWith('INSTANCE#') &&
            (state ? r.provisioningState === state : r.provisioningState !== 'DELETED'),
          (r) => String(r.SK),
        ),
      ),
    byState: async (state, environment) =>
      all(
        sorted(
          (r) => r.GSI2PK === `STATE#${state}` && (!environment || r.environment === environment),
          (r) => String(r.GSI2SK),
        ),
      ),
    byEnvironment: async (environment) =>
      all(
        sorted(
          (r) => r.GSI3PK === `ALB#${environment}`,
          (r) => String(r.GSI3SK),
        ),
      ),
    heldSlots: async (environment) =>
      sorted(
        (r) => r.GSI3PK === `ALB#${environment}`,
        (r) => String(r.GSI3SK),
      ).map((r) => r.albSlot as never),
  };
  const project = (event: Parameters<typeof tenantResourcesV1.apply>[1]) => {
    const known = new Map<string, Row>();
    let keys: RowKey[] = tenantResourcesV1.reads(event);
    for (let round = 0; round < 3; round++) {
      for (const key of keys) {
        const row = rows.get(rowId(key));
        if (row) known.set(rowId(key), row);
      }
      keys = tenantResourcesV1.reads(event, known);
    }
    applyChanges(rows, tenantResourcesV1.apply(known, event));
  };
  return { rows, readModel, project };
}

/** The tenant side, as events on the tenant's stream (what the tenants context's commands append). */
function tenantWriter(store: EventStore) {
  const append = (tenantId: string, type: string, data: unknown) =>
    store.append(tenantStream.id(tenantId), 'any', [
      {
        eventId: ulid(),
        type,
        occurredAt: new Date().toISOString(),
        data,
        metadata: { correlationId: ulid(), actor: 'op' },
      },
    ]);
  return {
    create: async (environment: string, planId?: string) => {
      const tenantId = ulid();
      await append(tenantId, 'TENANT_CREATED', {
        tenantId,
        organizationName: `Org ${tenantId}`,
        contactEmail: 'ops@acme.test',
        environment,
      });
      if (planId) await append(tenantId, 'PLAN_CHANGED', { planId });
      return tenantId;
    },
    assign: (tenantId: string, userId: string, role: string) =>
      append(tenantId, 'USER_ASSIGNED', { userId, role }),
    park: (tenantId: string) => append(tenantId, 'TENANT_PARKED', { reason: 'unpaid' }),
    unpark: (tenantId: string) => append(tenantId, 'TENANT_UNPARKED', {}),
    remove: (tenantId: string) => append(tenantId, 'TENANT_DELETED', { force: true }),
    changePlan: (tenantId: string, planId: string) => append(tenantId, 'PLAN_CHANGED', { planId }),
  };
}

export function api(options: { store?: EventStore; lagging?: boolean; readYourWritesMs?: number } = {}) {
  const memory = inMemoryReadModel();
  const held: Parameters<typeof memory.project>[0][] = [];
  const inner = options.store ?? new InMemoryEventStore(catalogue);
  const hooks: (() => Promise<void>)[] = [];
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    append: async (...args: Parameters<EventStore['append']>) => {
      for (const hook of hooks.splice(0)) await hook();
      const result = await inner.append(...args);
      for (const event of result.events) {
        if (!event.streamId.startsWith('instance-')) continue;
        if (options.lagging) held.push(event);
        else memory.project(event);
      }
      return result;
    },
  });
  const tenant = tenantWriter(inner);
  const deps: InstanceApiDependencies = {
    runner: new CommandRunner({ store, clock: () => new Date(), newEventId: ulid }),
    store,
    tenantAccess: tenantAccess(store),
    readModel: memory.readModel,
    cursors: new Cursors('secret'),
    albCapacity: {
      dev: { albs: 1, listenerRulesPerAlb: 12 },
      sit: { albs: 1, listenerRulesPerAlb: 100 },
      prod: { albs: 2, listenerRulesPerAlb: 8 },
    },
    ...(options.readYourWritesMs === undefined ? {} : { readYourWritesMs: options.readYourWritesMs }),
  };
  const handler = httpHandler(instanceRoutes, {
    verifier: () => ({
      verify: async (sub) => ({
        sub,
        platformRoles: sub === 'op' ? ['Operator'] : sub === 'admin' ? ['Admin'] : [],
      }),
    }),
    logger: new Logger({ logLevel: 'SILENT' }),
    routeDeps: () => deps,
    uniqueKeys: instanceUniqueKeys,
  });
  const call = (
    method: string,
    path: string,
    as: string,
    extra: { body?: unknown; headers?: Record<string, string> } = {},
  ) => invoke(handler, instanceRoutes, method, path, as, extra);
  const newInstance = async (tenantId: string, environment = 'prod') => {
    const created = await call('POST', `/tenants/${tenantId}/instances`, 'op', { body: { environment } });
    expect(created.status).toBe(202);
    return String(created.body.instanceId);
  };
  return {
    call,
    tenant,
    newInstance,
    deps,
    store,
    rows: memory.rows,
    /** Runs a hook just before the next append: another writer getting there first. */
    beforeNextAppend: (hook: () => Promise<void>) => hooks.push(hook),
    /** Projects the events a lagging read model held back. */
    catchUp: () => {
      for (const event of held.splice(0)) memory.project(event);
    },
  };
}

const pattern = (path: string) => new RegExp(`^${path.replace(/\{\w+\}/g, '([^/]+)')}$`);

async function invoke<D>(
  handler: ReturnType<typeof httpHandler>,
  routes: readonly Route<D>[],
  method: string,
  path: string,
  as: string,
  extra: { body?: unknown; headers?: Record<string, string> },
) {
  const [rawPath = '', query = ''] = `/v1.0${path}`.split('?');
  const route = routes.find((r) => r.method === method && pattern(r.path).test(rawPath));
  const names = [...(route?.path.matchAll(/\{(\w+)\}/g) ?? [])].map((m) => m[1] ?? '');
  const values = (route ? pattern(route.path).exec(rawPath)?.slice(1) : undefined) ?? [];
  const event = {
    routeKey: route ? `${route.method} ${route.path}` : `${method} ${rawPath}`,
    rawPath,
    headers: {
      authorization: `Bearer ${as}`,
      ...(extra.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...extra.headers,
    },
    pathParameters: Object.fromEntries(names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')])),
    queryStringParameters: Object.fromEntries(new URLSearchParams(query)),
    ...(extra.body === undefined ? {} : { body: JSON.stringify(extra.body) }),
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return {
    status: result.statusCode ?? 0,
    headers: (result.headers ?? {}) as Record<string, string>,
    body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {},
  };
}
