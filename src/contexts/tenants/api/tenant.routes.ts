import { isPlatform } from '#src/platform/auth/principal.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { ForbiddenError, NotFoundError } from '#src/platform/domain/errors.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { runCommand } from '#src/platform/http/command.js';
import type { Cursors } from '#src/platform/http/cursor.js';
import { type HttpRequest, type HttpResult, parseBody, parseWith } from '#src/platform/http/http-handler.js';
import { newUlid } from '#src/platform/http/ids.js';
import { listResult, PageQuery, pagedList, pagingOf } from '#src/platform/http/paging.js';
import { etag } from '#src/platform/http/preconditions.js';
import { readYourWrites } from '#src/platform/http/read-your-writes.js';
import type { Route } from '#src/platform/http/route.js';
import type { TenantNeed } from '#src/platform/http/tenant-access.js';
import type { IdentityDirectory } from '#src/platform/identity/identity.port.js';
import { type TenantState, tenantDecider } from '../domain/tenant.decider.js';
import { tenantStream } from '../domain/tenant.stream.js';
import type { TenantReadModel } from '../read-model/tenant.read-model.js';
import { accessTenant, tenantCommand } from './tenant.access.js';
import {
  AssignUserBody,
  CreateTenantBody,
  DeleteTenantQuery,
  EventView,
  HierarchyBody,
  ListTenantsQuery,
  MembershipView,
  ParkBody,
  PlanBody,
  page,
  TenantView,
  UpdateTenantBody,
  UserId,
} from './tenant.schemas.js';
import {
  eventView,
  hierarchyView,
  memberView,
  statusView,
  tenantPath,
  tenantStateView,
  tenantView,
  userTenantView,
} from './tenant.views.js';

export interface TenantApiDependencies {
  runner: CommandRunner;
  store: EventStore;
  /** The read model's queries (a class's public side: tests stand it in). */
  readModel: Pick<TenantReadModel, keyof TenantReadModel>;
  identity: IdentityDirectory;
  cursors: Cursors;
  /** Sites and instances a tenant owns (none can exist until their services ship). */
  ownedResources: (tenantId: string) => Promise<{ sites: number; instances: number }>;
  /** How long a list waits for the read model to show the caller's own write. */
  readYourWritesMs?: number;
}

type Deps = TenantApiDependencies;

const access = (deps: Deps, request: HttpRequest, need: TenantNeed) =>
  accessTenant(deps.store, request.principal, request.params.id, need);

/** A tenant-scoped list from the read model, once it shows the version the access check saw. */
const caughtUp = (deps: Deps, tenantId: string, version: number) =>
  readYourWrites(version, async () => Number((await deps.readModel.get(tenantId))?.version ?? 0), {
    timeoutMs: deps.readYourWritesMs,
  });

const tenantAnswer =
  (status: number) =>
  ({ state, version }: { state: TenantState; version: number }): HttpResult => {
    if (state.status === 'NEW') throw new Error('a tenant command left the tenant uncreated');
    return { status, headers: { etag: etag(version) }, body: tenantStateView(state, version) };
  };

/** Every tenant-management route: what it needs, what it runs or reads, how it answers. The kit does the rest. */
export const tenantRoutes: Route<Deps>[] = [
  {
    method: 'POST',
    path: '/v1.0/tenants',
    summary: 'Create a tenant (Admin, Operator)',
    body: CreateTenantBody,
    response: { status: 201, schema: TenantView },
    handle: async (request, deps) => {
      if (!isPlatform(request.principal)) throw new ForbiddenError('only Admin and Operator create tenants');
      const body = parseBody(request, CreateTenantBody);
      const tenantId = newUlid();
      const answer = tenantAnswer(201);
      return runCommand(deps.runner, request, {
        decider: tenantDecider,
        streamId: tenantStream.id(tenantId),
        newStream: true,
        tenantId,
        command: { type: 'CreateTenant', tenantId, ...body },
        respond: (outcome) => {
          const created = answer(outcome);
          return { ...created, headers: { ...created.headers, location: tenantPath(tenantId) } };
        },
      });
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants',
    summary: 'List tenants (platform: all; members: their own, not deleted)',
    query: ListTenantsQuery,
    response: { status: 200, schema: page(TenantView) },
    handle: async (request, deps) => {
      const query = parseWith(ListTenantsQuery, request.query, 'query');
      // Two queries (every tenant on the tenant indexes, or the caller's memberships): the cursor names which.
      const scope = isPlatform(request.principal) ? 'every tenant' : 'member of';
      const { limit, start } = pagingOf(request, deps.cursors, query, scope);
      const found =
        scope === 'every tenant'
          ? await deps.readModel.list(query, limit, start)
          : await deps.readModel.tenantsOfMember(request.principal.sub, query, limit, start);
      return listResult(request, deps.cursors, found.items.map(tenantView), found.next, scope);
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}',
    summary: 'Get a tenant (members)',
    response: { status: 200, schema: TenantView },
    handle: async (request, deps) => {
      const { state, grant } = await access(deps, request, 'member');
      const { version } = grant.loaded;
      return { status: 200, headers: { etag: etag(version) }, body: tenantStateView(state, version) };
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}/status',
    summary: "A tenant's status (members)",
    response: { status: 200 },
    handle: async (request, deps) => {
      const { state, grant } = await access(deps, request, 'member');
      const { version } = grant.loaded;
      return { status: 200, headers: { etag: etag(version) }, body: statusView(state, version) };
    },
  },
  {
    method: 'PATCH',
    path: '/v1.0/tenants/{id}',
    summary: 'Update name or contact (TenantAdmin)',
    body: UpdateTenantBody,
    response: { status: 200, schema: TenantView },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'tenantAdmin');
      const body = parseBody(request, UpdateTenantBody);
      return tenantCommand(
        deps.runner,
        request,
        tenant,
        { type: 'UpdateTenant', ...body },
        tenantAnswer(200),
      );
    },
  },
  {
    method: 'DELETE',
    path: '/v1.0/tenants/{id}',
    summary: 'Soft-delete a tenant (Admin, Operator)',
    query: DeleteTenantQuery,
    response: { status: 204 },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'platform');
      const { force } = parseWith(DeleteTenantQuery, request.query, 'query');
      const owned = await deps.ownedResources(tenant.grant.tenantId);
      const command = { type: 'DeleteTenant', force: force === 'true', owned } as const;
      return tenantCommand(deps.runner, request, tenant, command, () => ({ status: 204 }));
    },
  },
  {
    method: 'PUT',
    path: '/v1.0/tenants/{id}/plan',
    summary: "Change the tenant's plan; its instances then take the plan's tier (Admin, Operator)",
    body: PlanBody,
    response: { status: 200, schema: TenantView },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'platform');
      const { planId } = parseBody(request, PlanBody);
      return tenantCommand(deps.runner, request, tenant, { type: 'ChangePlan', planId }, tenantAnswer(200));
    },
  },
  {
    method: 'POST',
    path: '/v1.0/tenants/{id}/park',
    summary: 'Park a tenant with a reason (TenantAdmin)',
    body: ParkBody,
    response: { status: 200, schema: TenantView },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'tenantAdmin');
      const { reason } = parseBody(request, ParkBody);
      return tenantCommand(deps.runner, request, tenant, { type: 'ParkTenant', reason }, tenantAnswer(200));
    },
  },
  {
    method: 'POST',
    path: '/v1.0/tenants/{id}/unpark',
    summary: 'Unpark a tenant (TenantAdmin)',
    response: { status: 200, schema: TenantView },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'tenantAdmin');
      return tenantCommand(deps.runner, request, tenant, { type: 'UnparkTenant' }, tenantAnswer(200));
    },
  },
  {
    method: 'POST',
    path: '/v1.0/tenants/{id}/users',
    summary: 'Assign a user a tenant role (TenantAdmin)',
    body: AssignUserBody,
    response: { status: 201, schema: MembershipView },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'tenantAdmin');
      const { tenantId } = tenant.grant;
      const { userId, email, role } = parseBody(request, AssignUserBody);
      const found = email
        ? await deps.identity.findByEmail(email)
        : { userId: userId ?? '', email: undefined };
      // Neither the address nor whether it has an account is the caller's business.
      if (!found) throw new NotFoundError('the user cannot be assigned');
      const mail = email ?? found.email;
      const membership = { userId: found.userId, role, ...(mail ? { email: mail } : {}) };
      return tenantCommand(
        deps.runner,
        request,
        tenant,
        { type: 'AssignUser', ...membership },
        ({ version }) => ({
          status: 201,
          headers: { location: `${tenantPath(tenantId)}/users/${found.userId}`, etag: etag(version) },
          body: { tenantId, ...membership },
        }),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}/users',
    summary: "A tenant's users (members)",
    query: PageQuery,
    response: { status: 200, schema: page(MembershipView) },
    handle: async (request, deps) => {
      const { grant } = await access(deps, request, 'member');
      await caughtUp(deps, grant.tenantId, grant.loaded.version);
      return pagedList(
        request,
        deps.cursors,
        ({ limit, start }) => deps.readModel.members(grant.tenantId, limit, start),
        memberView,
      );
    },
  },
  {
    method: 'DELETE',
    path: '/v1.0/tenants/{id}/users/{userId}',
    summary: 'Remove a user from a tenant (TenantAdmin)',
    response: { status: 204 },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'tenantAdmin');
      const userId = parseWith(UserId, request.params.userId, 'userId');
      return tenantCommand(deps.runner, request, tenant, { type: 'RemoveUser', userId }, () => ({
        status: 204,
      }));
    },
  },
  {
    method: 'GET',
    path: '/v1.0/users/{userId}/tenants',
    summary: "A user's tenants (self, or platform roles)",
    query: PageQuery,
    response: { status: 200 },
    handle: async (request, deps) => {
      const userId = parseWith(UserId, request.params.userId, 'userId');
      if (!isPlatform(request.principal) && request.principal.sub !== userId) {
        throw new ForbiddenError("only platform roles may list another user's tenants");
      }
      return pagedList(
        request,
        deps.cursors,
        ({ limit, start }) => deps.readModel.tenantsOfUser(userId, limit, start),
        userTenantView,
      );
    },
  },
  {
    method: 'PUT',
    path: '/v1.0/tenants/{id}/hierarchy',
    summary: 'Set the division/group/team hierarchy (TenantAdmin)',
    body: HierarchyBody,
    response: { status: 200 },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'tenantAdmin');
      const hierarchy = parseBody(request, HierarchyBody);
      return tenantCommand(
        deps.runner,
        request,
        tenant,
        { type: 'PutHierarchy', hierarchy },
        ({ version }) => ({
          status: 200,
          headers: { etag: etag(version) },
          body: hierarchyView(tenant.grant.tenantId, hierarchy),
        }),
      );
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}/hierarchy',
    summary: "A tenant's hierarchy (members)",
    response: { status: 200, schema: HierarchyBody },
    handle: async (request, deps) => {
      const { state, grant } = await access(deps, request, 'member');
      if (!state.hierarchy?.divisions.length) throw new NotFoundError('the tenant has no hierarchy');
      return {
        status: 200,
        headers: { etag: etag(grant.loaded.version) },
        body: hierarchyView(grant.tenantId, state.hierarchy),
      };
    },
  },
  {
    method: 'DELETE',
    path: '/v1.0/tenants/{id}/hierarchy',
    summary: 'Remove the hierarchy (TenantAdmin)',
    response: { status: 204 },
    handle: async (request, deps) => {
      const tenant = await access(deps, request, 'tenantAdmin');
      return tenantCommand(deps.runner, request, tenant, { type: 'DeleteHierarchy' }, () => ({
        status: 204,
      }));
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}/events',
    summary: "A tenant's audit trail (TenantAdmin)",
    query: PageQuery,
    response: { status: 200, schema: page(EventView) },
    handle: async (request, deps) => {
      const { grant } = await access(deps, request, 'tenantAdmin');
      await caughtUp(deps, grant.tenantId, grant.loaded.version);
      return pagedList(
        request,
        deps.cursors,
        ({ limit, start }) => deps.readModel.events(grant.tenantId, limit, start),
        eventView,
      );
    },
  },
];
