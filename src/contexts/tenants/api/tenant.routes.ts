import { createHash } from 'node:crypto';
import { ulid } from 'ulid';
import type { z } from 'zod';
import {
  type TenantCommand,
  type TenantState,
  tenantDecider,
} from '#src/contexts/tenants/domain/tenant.decider.js';
import type { TenantEvent } from '#src/contexts/tenants/domain/tenant.events.js';
import type { Page, TenantReadModel } from '#src/contexts/tenants/read-model/tenant.read-model.js';
import { isPlatform, type Principal } from '#src/platform/auth/principal.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { fold } from '#src/platform/domain/decider.js';
import { ForbiddenError, NotFoundError } from '#src/platform/domain/errors.js';
import type { Row } from '#src/platform/domain/projection.js';
import type { EventStore, LoadResult } from '#src/platform/event-store/event-store.port.js';
import type { Cursors } from '#src/platform/http/cursor.js';
import {
  type HttpRequest,
  type HttpResult,
  parseBody,
  parseWith,
  type RouteSpec,
} from '#src/platform/http/http-handler.js';
import { HttpError } from '#src/platform/http/problem.js';
import type { IdentityDirectory } from '#src/platform/identity/identity.port.js';
import {
  AssignUserBody,
  CreateTenantBody,
  DeleteTenantQuery,
  HierarchyBody,
  ListTenantsQuery,
  PageQuery,
  ParkBody,
  TenantId,
  UpdateTenantBody,
  UserId,
} from './tenant.schemas.js';

export interface TenantApiDependencies {
  runner: CommandRunner;
  store: EventStore;
  readModel: TenantReadModel;
  identity: IdentityDirectory;
  cursors: Cursors;
  /** Sites and instances a tenant owns (none can exist until their services ship). */
  ownedResources: (tenantId: string) => Promise<{ sites: number; instances: number }>;
  /** How long a read waits for the read model to reach the version the caller may just have written. */
  readYourWritesMs?: number;
}

const BASE = '/v1.0';
type Need = 'member' | 'tenantAdmin' | 'platform';

/** Every tenant-management route, keyed by API Gateway's routeKey. */
export function tenantRoutes(deps: TenantApiDependencies): Record<string, RouteSpec> {
  const access = (principal: Principal, rawId: string | undefined, need: Need) =>
    authorize(deps.store, principal, rawId, need);
  /** `loaded`: the tenant as `access` read it, so the command's first attempt needs no second load. */
  const run = (
    request: HttpRequest,
    target: { tenantId: string; loaded?: LoadResult },
    command: TenantCommand,
    respond: (s: TenantState, version: number, at: string) => HttpResult,
  ) => runCommand(deps.runner, request, target, command, respond);

  return {
    'POST /v1.0/tenants': {
      handle: async (request) => {
        if (!isPlatform(request.principal))
          throw new ForbiddenError('only Admin and Operator create tenants');
        const body = parseBody(request, CreateTenantBody);
        const tenantId = ulid();
        return run(
          request,
          { tenantId },
          { type: 'CreateTenant', tenantId, ...body },
          (state, version, at) => ({
            status: 201,
            headers: { location: `${BASE}/tenants/${tenantId}`, etag: etag(version) },
            body: tenantView(stateRow(state, version, at, at)),
          }),
        );
      },
    },
    'GET /v1.0/tenants': {
      handle: async (request) => {
        const query = parseWith(ListTenantsQuery, request.query, 'query');
        const fingerprint = `tenants:${request.principal.sub}:${query.status ?? ''}:${query.environment ?? ''}:${query.organizationName ?? ''}`;
        const start = deps.cursors.decode(fingerprint, query.cursor);
        if (isPlatform(request.principal)) {
          const page = await deps.readModel.list(query, query.limit, start);
          return listResult(request, deps.cursors, fingerprint, page.items.map(tenantView), page.next);
        }
        // A member sees only the tenants they belong to.
        const page = await deps.readModel.tenantsOfUser(request.principal.sub, query.limit, start);
        const tenants = page.items
          .map((i) => i.tenant)
          .filter(
            (t): t is Row =>
              !!t &&
              (!query.status || t.status === query.status) &&
              (!query.environment || t.environment === query.environment),
          );
        return listResult(request, deps.cursors, fingerprint, tenants.map(tenantView), page.next);
      },
    },
    'GET /v1.0/tenants/{id}': {
      handle: async (request) => {
        const { tenantId, version } = await access(request.principal, request.params.id, 'member');
        const row = await readYourWrites(deps, tenantId, version);
        return { status: 200, headers: { etag: etag(Number(row.version)) }, body: tenantView(row) };
      },
    },
    'GET /v1.0/tenants/{id}/status': {
      handle: async (request) => {
        const { tenantId, version } = await access(request.principal, request.params.id, 'member');
        const row = await readYourWrites(deps, tenantId, version);
        const { status, parkedReason = null, updatedAt } = row;
        return {
          status: 200,
          headers: { etag: etag(Number(row.version)) },
          body: { tenantId, status, parkedReason, updatedAt, version: row.version },
        };
      },
    },
    'PATCH /v1.0/tenants/{id}': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'tenantAdmin');
        const body = parseBody(request, UpdateTenantBody);
        return run(request, { tenantId, loaded }, { type: 'UpdateTenant', ...body }, stateResponse(200));
      },
    },
    'DELETE /v1.0/tenants/{id}': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'platform');
        const { force } = parseWith(DeleteTenantQuery, request.query, 'query');
        const owned = await deps.ownedResources(tenantId);
        return run(
          request,
          { tenantId, loaded },
          { type: 'DeleteTenant', force: force === 'true', owned },
          () => ({
            status: 204,
          }),
        );
      },
    },
    'POST /v1.0/tenants/{id}/park': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'tenantAdmin');
        const { reason } = parseBody(request, ParkBody);
        return run(request, { tenantId, loaded }, { type: 'ParkTenant', reason }, stateResponse(200));
      },
    },
    'POST /v1.0/tenants/{id}/unpark': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'tenantAdmin');
        return run(request, { tenantId, loaded }, { type: 'UnparkTenant' }, stateResponse(200));
      },
    },
    'POST /v1.0/tenants/{id}/users': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'tenantAdmin');
        const body = parseBody(request, AssignUserBody);
        const user = body.email
          ? await deps.identity.findByEmail(body.email)
          : { userId: body.userId as string, email: undefined };
        if (!user) throw new NotFoundError(`no user with email ${body.email}`);
        const email = body.email ?? user.email;
        const command: TenantCommand = {
          type: 'AssignUser',
          userId: user.userId,
          role: body.role,
          ...(email ? { email } : {}),
        };
        return run(request, { tenantId, loaded }, command, (_state, version) => ({
          status: 201,
          headers: { location: `${BASE}/tenants/${tenantId}/users/${user.userId}`, etag: etag(version) },
          body: { tenantId, userId: user.userId, role: body.role, ...(email ? { email } : {}) },
        }));
      },
    },
    'GET /v1.0/tenants/{id}/users': {
      handle: async (request) => {
        const { tenantId, version } = await access(request.principal, request.params.id, 'member');
        await readYourWrites(deps, tenantId, version);
        return paged(
          request,
          deps.cursors,
          `users:${tenantId}`,
          (limit, start) => deps.readModel.members(tenantId, limit, start),
          (row) => pick(row, ['tenantId', 'userId', 'role', 'email', 'assignedAt']),
        );
      },
    },
    'DELETE /v1.0/tenants/{id}/users/{userId}': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'tenantAdmin');
        const userId = parseWith(UserId, request.params.userId, 'userId');
        return run(request, { tenantId, loaded }, { type: 'RemoveUser', userId }, () => ({ status: 204 }));
      },
    },
    'GET /v1.0/users/{userId}/tenants': {
      handle: async (request) => {
        const userId = parseWith(UserId, request.params.userId, 'userId');
        if (!isPlatform(request.principal) && request.principal.sub !== userId) {
          throw new ForbiddenError("only platform roles may list another user's tenants");
        }
        return paged(
          request,
          deps.cursors,
          `user-tenants:${userId}`,
          (limit, start) => deps.readModel.tenantsOfUser(userId, limit, start),
          ({ member, tenant }) =>
            !tenant || tenant.status === 'DELETED'
              ? undefined
              : {
                  tenantId: member.tenantId,
                  role: member.role,
                  organizationName: tenant.organizationName,
                  status: tenant.status,
                  _links: { tenant: { href: `${BASE}/tenants/${member.tenantId}` } },
                },
        );
      },
    },
    'PUT /v1.0/tenants/{id}/hierarchy': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'tenantAdmin');
        const hierarchy = parseBody(request, HierarchyBody);
        return run(request, { tenantId, loaded }, { type: 'PutHierarchy', hierarchy }, (state, version) => ({
          status: 200,
          headers: { etag: etag(version) },
          body: {
            tenantId,
            ...(state.status === 'NEW' ? {} : state.hierarchy),
            _links: { tenant: { href: `${BASE}/tenants/${tenantId}` } },
          },
        }));
      },
    },
    'GET /v1.0/tenants/{id}/hierarchy': {
      handle: async (request) => {
        const { tenantId, version } = await access(request.principal, request.params.id, 'member');
        await readYourWrites(deps, tenantId, version);
        const rows = await deps.readModel.hierarchy(tenantId);
        if (rows.length === 0) throw new NotFoundError('the tenant has no hierarchy');
        return {
          status: 200,
          body: { tenantId, ...treeOf(rows), _links: { tenant: { href: `${BASE}/tenants/${tenantId}` } } },
        };
      },
    },
    'DELETE /v1.0/tenants/{id}/hierarchy': {
      handle: async (request) => {
        const { tenantId, loaded } = await access(request.principal, request.params.id, 'tenantAdmin');
        return run(request, { tenantId, loaded }, { type: 'DeleteHierarchy' }, () => ({ status: 204 }));
      },
    },
    'GET /v1.0/tenants/{id}/events': {
      handle: async (request) => {
        const { tenantId, version } = await access(request.principal, request.params.id, 'tenantAdmin');
        await readYourWrites(deps, tenantId, version);
        return paged(
          request,
          deps.cursors,
          `events:${tenantId}`,
          (limit, start) => deps.readModel.events(tenantId, limit, start),
          (row) => pick(row, ['eventId', 'type', 'version', 'occurredAt', 'actor', 'correlationId', 'data']),
        );
      },
    },
  };
}

/**
 * Tenant access: platform roles reach every tenant; anyone else only the tenants they are a member of, looked
 * up in the tenant's own stream (strongly consistent, so a removal takes effect on the next request). Another
 * tenant is 404 — never a hint that it exists.
 */
async function authorize(store: EventStore, principal: Principal, rawId: string | undefined, need: Need) {
  const tenantId = parseWith(TenantId, rawId, 'id');
  const loaded = await store.load(`tenant-${tenantId}`, {
    deciderVersion: tenantDecider.version,
    snapshotEvery: tenantDecider.snapshotEvery ?? 50,
  });
  const state = fold(
    tenantDecider,
    (loaded.snapshot?.state as TenantState) ?? tenantDecider.initialState(),
    loaded.events.map((e) => ({ type: e.type, data: e.data }) as TenantEvent),
  );
  if (state.status === 'NEW') throw new NotFoundError(`tenant ${tenantId} not found`);
  if (isPlatform(principal)) return { tenantId, state, version: loaded.version, loaded };
  const role = state.users[principal.sub];
  if (!role) throw new NotFoundError(`tenant ${tenantId} not found`);
  if (need === 'platform') throw new ForbiddenError('only Admin and Operator may do this');
  if (need === 'tenantAdmin' && role !== 'TenantAdmin')
    throw new ForbiddenError('this needs the TenantAdmin role in the tenant');
  return { tenantId, state, version: loaded.version, loaded };
}

async function runCommand(
  runner: CommandRunner,
  request: HttpRequest,
  { tenantId, loaded }: { tenantId: string; loaded?: LoadResult },
  command: TenantCommand,
  respond: (state: TenantState, version: number, occurredAt: string) => HttpResult,
): Promise<HttpResult> {
  const key = request.headers['idempotency-key'];
  if (key !== undefined && !/^[A-Za-z0-9._:-]{1,255}$/.test(key)) {
    throw new HttpError(
      400,
      'Bad Request',
      'Idempotency-Key must be 1-255 letters, digits or ._:-',
      'Idempotency-Key',
    );
  }
  const outcome = await runner.run({
    decider: tenantDecider,
    streamId: `tenant-${tenantId}`,
    command,
    loaded,
    metadata: { correlationId: request.correlationId, actor: request.principal.sub, tenantId },
    expectedVersion: ifMatch(request.headers['if-match']),
    idempotency:
      key === undefined || !request.routeKey.startsWith('POST ')
        ? undefined
        : { scope: request.principal.sub, key, requestHash: requestHash(request) },
    result: ({ state, version, occurredAt }) => respond(state, version, occurredAt),
  });
  if (!outcome.replayed) return outcome.result;
  return { ...outcome.result, headers: { ...outcome.result.headers, 'idempotent-replayed': 'true' } };
}

function requestHash(request: HttpRequest): string {
  return createHash('sha256')
    .update(`${request.routeKey}\n${request.path}\n${request.rawBody ?? ''}`)
    .digest('hex');
}

/** If-Match: "7" (or W/"7") pins the tenant stream's version; * or absent pins nothing. */
function ifMatch(header: string | undefined): number | undefined {
  if (header === undefined || header.trim() === '*') return undefined;
  const match = /^\s*(?:W\/)?"(\d+)"\s*$/.exec(header);
  if (!match)
    throw new HttpError(400, 'Bad Request', 'If-Match must be an ETag this API issued, e.g. "7"', 'If-Match');
  return Number(match[1]);
}

const etag = (version: number) => `"${version}"`;

/**
 * Waits briefly for the read model to reach the version the stream is at, so a write is visible to the next
 * read — of the tenant and of everything under it (users, hierarchy, audit trail), which the same projection
 * writes in the same transaction as the tenant row.
 */
async function readYourWrites(deps: TenantApiDependencies, tenantId: string, version: number): Promise<Row> {
  const deadline = Date.now() + (deps.readYourWritesMs ?? 1500);
  for (;;) {
    const row = await deps.readModel.get(tenantId);
    if (row && Number(row.version) >= version) return row;
    if (Date.now() > deadline) {
      if (row) return row;
      throw new HttpError(503, 'Service Unavailable', 'the tenant is not readable yet; retry shortly');
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

function stateResponse(status: number) {
  return (state: TenantState, version: number, at: string): HttpResult => ({
    status,
    headers: { etag: etag(version) },
    body: tenantView(stateRow(state, version, undefined, at)),
  });
}

function stateRow(
  state: TenantState,
  version: number,
  createdAt: string | undefined,
  updatedAt: string,
): TenantFields {
  if (state.status === 'NEW') throw new Error('a command left the tenant uncreated');
  return {
    tenantId: state.tenantId,
    organizationName: state.organizationName,
    contactEmail: state.contactEmail,
    environment: state.environment,
    status: state.status,
    parkedReason: state.status === 'PARKED' ? state.parkedReason : null,
    ...(createdAt ? { createdAt } : {}),
    updatedAt,
    version,
  };
}

/** A tenant as the read model or the decider's state knows it. */
type TenantFields = Record<string, unknown>;

function tenantView(row: TenantFields) {
  const id = String(row.tenantId);
  const self = `${BASE}/tenants/${id}`;
  const links: Record<string, { href: string }> = {
    self: { href: self },
    status: { href: `${self}/status` },
    users: { href: `${self}/users` },
    hierarchy: { href: `${self}/hierarchy` },
    events: { href: `${self}/events` },
  };
  if (row.status === 'ACTIVE') links.park = { href: `${self}/park` };
  if (row.status === 'PARKED') links.unpark = { href: `${self}/unpark` };
  return {
    tenantId: id,
    organizationName: row.organizationName,
    contactEmail: row.contactEmail,
    environment: row.environment,
    status: row.status,
    parkedReason: row.parkedReason ?? null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
    version: row.version,
    _links: links,
  };
}

/** One page of a list route: `limit` and a signed `cursor` in, `{items, nextCursor, _links}` out. */
async function paged<T>(
  request: HttpRequest,
  cursors: Cursors,
  fingerprint: string,
  fetch: (limit: number, start: Record<string, unknown> | undefined) => Promise<Page<T>>,
  view: (item: T) => unknown,
): Promise<HttpResult> {
  const query = parseWith(PageQuery, request.query, 'query');
  const page = await fetch(query.limit, cursors.decode(fingerprint, query.cursor));
  const items = page.items.map(view).filter((item) => item !== undefined);
  return listResult(request, cursors, fingerprint, items, page.next);
}

function pick(row: Row, fields: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(
    fields.filter((field) => row[field] !== undefined).map((field) => [field, row[field]]),
  );
}

function listResult(
  request: HttpRequest,
  cursors: Cursors,
  fingerprint: string,
  items: unknown[],
  next: Record<string, unknown> | undefined,
): HttpResult {
  const nextCursor = next ? cursors.encode(fingerprint, next) : undefined;
  const query = new URLSearchParams(Object.entries(request.query).filter(([k]) => k !== 'cursor'));
  const links: Record<string, { href: string }> = {
    self: { href: `${request.path}${query.size ? `?${query}` : ''}` },
  };
  if (nextCursor) {
    query.set('cursor', nextCursor);
    links.next = { href: `${request.path}?${query}` };
  }
  return { status: 200, body: { items, ...(nextCursor ? { nextCursor } : {}), _links: links } };
}

function treeOf(rows: Row[]): z.infer<typeof HierarchyBody> {
  const divisions = new Map<string, Map<string, string[]>>();
  for (const row of rows) {
    const groups = divisions.get(String(row.division)) ?? new Map<string, string[]>();
    divisions.set(String(row.division), groups);
    if (row.group) {
      const teams = groups.get(String(row.group)) ?? [];
      groups.set(String(row.group), teams);
      if (row.team) teams.push(String(row.team));
    }
  }
  return {
    divisions: [...divisions].map(([name, groups]) => ({
      name,
      groups: [...groups].map(([g, teams]) => ({ name: g, teams })),
    })),
  };
}
