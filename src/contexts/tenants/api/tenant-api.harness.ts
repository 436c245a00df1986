import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ulid } from 'ulid';
import { expect } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { Cursors } from '#src/platform/http/cursor.js';
import { httpHandler } from '#src/platform/http/http-handler.js';
import type { TenantApiDependencies } from './tenant.routes.js';
import { tenantRoutes } from './tenant.routes.js';
import { tenantUniqueKeys } from './tenant.schemas.js';

// A test harness (imported by tests only): the tenant routes through the real HTTP wrapper, in process.

export type Reply = { status: number; headers: Record<string, string>; body: Record<string, unknown> };

/** A read model that is down (or parked): any call fails. Single resources must not need it. */
export const readModelDown = new Proxy({} as TenantApiDependencies['readModel'], {
  get: () => async () => {
    throw new Error('read model unavailable');
  },
});

/**
 * The tenant API over an event store (in memory unless one is given), through the real HTTP wrapper. A token is
 * the caller's user id; `op` is an Operator and `admin` an Admin. `beforeNextAppend` runs a hook just before the
 * next append: another writer getting there first.
 */
export function api(
  options: {
    readModel?: TenantApiDependencies['readModel'];
    readYourWritesMs?: number;
    store?: EventStore;
  } = {},
) {
  const inner = options.store ?? new InMemoryEventStore(catalogue);
  const hooks: ((streamId: string) => Promise<void>)[] = [];
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    append: async (...args: Parameters<EventStore['append']>) => {
      for (const hook of hooks.splice(0)) await hook(args[0]);
      return inner.append(...args);
    },
  });
  const deps: TenantApiDependencies = {
    runner: new CommandRunner({ store, clock: () => new Date(), newEventId: ulid }),
    store,
    readModel: options.readModel ?? readModelDown,
    identity: {
      findByEmail: async (email) => (email === 'known@acme.test' ? { userId: 'known', email } : undefined),
      setMembership: async () => {
        throw new Error('not used');
      },
      memberships: async () => ({}),
      user: async () => undefined,
      deleteUser: async () => 'no-user',
    } as TenantApiDependencies['identity'],
    cursors: new Cursors('secret'),
    ownedResources: async () => ({ sites: 0, instances: 0 }),
    ...(options.readYourWritesMs === undefined ? {} : { readYourWritesMs: options.readYourWritesMs }),
  };
  const handler = httpHandler(tenantRoutes, {
    verifier: () => ({
      verify: async (sub) => ({
        sub,
        platformRoles: sub === 'op' ? ['Operator'] : sub === 'admin' ? ['Admin'] : [],
      }),
    }),
    logger: new Logger({ logLevel: 'SILENT' }),
    routeDeps: () => deps,
    uniqueKeys: tenantUniqueKeys,
  });
  const call = async (
    method: string,
    path: string,
    as: string,
    extra: { body?: unknown; headers?: Record<string, string> } = {},
  ): Promise<Reply> => {
    const [rawPath = '', query = ''] = `/v1.0${path}`.split('?');
    const route = tenantRoutes.find(
      (r) => r.method === method && new RegExp(`^${r.path.replace(/\{\w+\}/g, '([^/]+)')}$`).test(rawPath),
    );
    const names = [...(route?.path.matchAll(/\{(\w+)\}/g) ?? [])].map((m) => m[1] ?? '');
    const values =
      new RegExp(`^${route?.path.replace(/\{\w+\}/g, '([^/]+)')}$`).exec(rawPath)?.slice(1) ?? [];
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
  };
  let n = 0;
  const newTenant = async (name = `Org ${ulid()} ${++n}`) => {
    const created = await call('POST', '/tenants', 'op', {
      body: { organizationName: name, contactEmail: 'ops@acme.test', environment: 'dev' },
    });
    expect(created.status).toBe(201);
    return String(created.body.tenantId);
  };
  const assign = async (tenantId: string, userId: string, role: string) =>
    expect((await call('POST', `/tenants/${tenantId}/users`, 'op', { body: { userId, role } })).status).toBe(
      201,
    );
  return {
    call,
    newTenant,
    assign,
    inner,
    deps,
    beforeNextAppend: (hook: () => Promise<void>) => hooks.push(hook),
  };
}
