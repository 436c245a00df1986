import { type Plan, planOf } from '#src/contexts/plans/index.js';
import { isPlatform } from '#src/platform/auth/principal.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { ForbiddenError, IllegalStateError, UnprocessableError } from '#src/platform/domain/errors.js';
import { UniquenessError } from '#src/platform/event-store/errors.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import type { Cursors } from '#src/platform/http/cursor.js';
import { type HttpRequest, type HttpResult, parseBody, parseWith } from '#src/platform/http/http-handler.js';
import { newUlid } from '#src/platform/http/ids.js';
import { listResult, pagingOf } from '#src/platform/http/paging.js';
import { etag } from '#src/platform/http/preconditions.js';
import type { Route } from '#src/platform/http/route.js';
import type { TenantAccess } from '#src/platform/http/tenant-access.js';
import type { PlanTierRef } from '../domain/instance.commands.js';
import type { InstanceEnvironment } from '../domain/instance.events.js';
import type { InstanceState } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import { ALB_CAPACITY, ALB_SLOT_KEY_PREFIX, type AlbCapacity, slotCandidates } from '../domain/placement.js';
import type { InstanceReadModel } from '../read-model/instance.read-model.js';
import { type AccessedTenant, accessTenant, instanceCommand, loadInstance } from './instance.access.js';
import {
  CreateInstanceBody,
  InstanceStatusView,
  InstancesQuery,
  InstanceView,
  page,
  ScaleBody,
  TenantInstancesQuery,
  UpdateInstanceBody,
} from './instance.schemas.js';
import { instancePath, instanceView, rowView, statusView } from './instance.views.js';
import { caughtUp } from './read-your-writes.js';

export interface InstanceApiDependencies {
  runner: CommandRunner;
  store: EventStore;
  /** The tenants context's TenantAccess (its index.ts): membership, roles and status from the tenant's stream. */
  tenantAccess: TenantAccess;
  readModel: Pick<InstanceReadModel, keyof InstanceReadModel>;
  cursors: Cursors;
  /** ALBs per environment and their listener-rule quota (the shared stacks'). */
  albCapacity?: Readonly<Record<InstanceEnvironment, AlbCapacity>>;
  /** How long a tenant's list waits for the read model to show the instances its reservations name. */
  readYourWritesMs?: number;
}

type Deps = InstanceApiDependencies;

const tierOf = (plan: Plan): PlanTierRef => ({
  planId: plan.planId,
  version: plan.version,
  tier: plan.tier,
  environments: plan.environments,
});

/** A user's writes need the tenant ACTIVE: a parked or deleted tenant's instances take no user command (409). */
const active = {
  platform: { need: 'platform', active: true },
  tenantAdmin: { need: 'tenantAdmin', active: true },
} as const;

const answer =
  (status: number) =>
  ({ state, version }: { state: InstanceState; version: number }): HttpResult => {
    if (state.status === 'NEW') throw new Error('an instance command left the instance uncreated');
    return { status, headers: { etag: etag(version) }, body: instanceView(state, version) };
  };

/**
 * One instance per tenant and environment, in a free ALB slot: the slots are tried in `slotCandidates`' order (the
 * ones the read model shows free first, from an offset the tenant id gives, so a burst of creates does not race
 * for one slot; those it shows taken last), each claimed by a reservation in the same transaction as the
 * instance's first event; a taken slot cancels the transaction and the next is tried.
 */
async function create(request: HttpRequest, deps: Deps, tenant: AccessedTenant): Promise<HttpResult> {
  const { environment } = parseBody(request, CreateInstanceBody);
  const { tenantId } = tenant.grant;
  const instanceId = newUlid();
  const streamId = instanceStream.id(instanceId);
  const capacity = (deps.albCapacity ?? ALB_CAPACITY)[environment];
  const plan = tierOf(planOf(tenant.facts.planId));
  const respond = (outcome: { state: InstanceState; version: number }) => {
    const created = answer(202)(outcome);
    return { ...created, headers: { ...created.headers, location: instancePath(tenantId, instanceId) } };
  };
  for (const albSlot of slotCandidates(capacity, await deps.readModel.heldSlots(environment), tenantId)) {
    const command = {
      type: 'RequestProvisioning',
      instanceId,
      tenantId,
      environment,
      tenantEnvironment: tenant.facts.environment,
      plan,
      albSlot,
    } as const;
    try {
      return await instanceCommand(deps, request, tenant, { streamId }, command, respond);
    } catch (error) {
      if (!(error instanceof UniquenessError && error.key.startsWith(ALB_SLOT_KEY_PREFIX))) throw error;
    }
  }
  throw new IllegalStateError(
    'no_alb_slot',
    `every ALB slot of ${environment} is taken: add an ALB to its stack`,
  );
}

/** Every instance-management route: what it needs, what it runs or reads, how it answers. The kit does the rest. */
export const instanceRoutes: Route<Deps>[] = [
  {
    method: 'POST',
    path: '/v1.0/tenants/{id}/instances',
    summary:
      "Create the tenant's instance in an environment: 202, provisioned asynchronously (Admin, Operator)",
    body: CreateInstanceBody,
    response: { status: 202, schema: InstanceView },
    handle: async (request, deps) =>
      create(request, deps, await accessTenant(deps, request, active.platform)),
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}/instances',
    summary: "A tenant's instances, optionally by state (members)",
    query: TenantInstancesQuery,
    response: { status: 200, schema: page(InstanceView) },
    handle: async (request, deps) => {
      const { grant } = await accessTenant(deps, request, 'member');
      const query = parseWith(TenantInstancesQuery, request.query, 'query');
      const { limit, start } = pagingOf(request, deps.cursors, query);
      await caughtUp(deps, grant.tenantId);
      const found = await deps.readModel.ofTenant(grant.tenantId, query.state, limit, start);
      return listResult(request, deps.cursors, found.items.map(rowView).filter(Boolean), found.next);
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}/instances/{instanceId}',
    summary: 'An instance, from its stream (members)',
    response: { status: 200, schema: InstanceView },
    handle: async (request, deps) => {
      const { state, loaded } = await loadInstance(
        deps,
        request,
        await accessTenant(deps, request, 'member'),
      );
      return {
        status: 200,
        headers: { etag: etag(loaded.version) },
        body: instanceView(state, loaded.version),
      };
    },
  },
  {
    method: 'GET',
    path: '/v1.0/tenants/{id}/instances/{instanceId}/status',
    summary: "An instance's state, last ECS event, workflow run and counts (members)",
    response: { status: 200, schema: InstanceStatusView },
    handle: async (request, deps) => {
      const { state, loaded } = await loadInstance(
        deps,
        request,
        await accessTenant(deps, request, 'member'),
      );
      return {
        status: 200,
        headers: { etag: etag(loaded.version) },
        body: statusView(state, loaded.version),
      };
    },
  },
  {
    method: 'PATCH',
    path: '/v1.0/tenants/{id}/instances/{instanceId}',
    summary:
      "Apply the tenant's plan's tier to the instance: {planId} names the tenant's plan (Admin, Operator)",
    body: UpdateInstanceBody,
    response: { status: 200, schema: InstanceView },
    handle: async (request, deps) => {
      const tenant = await accessTenant(deps, request, active.platform);
      const target = await loadInstance(deps, request, tenant);
      const { planId } = parseBody(request, UpdateInstanceBody);
      const plan = planOf(tenant.facts.planId);
      if (planId !== plan.planId) {
        throw new UnprocessableError('planId', 'not_the_tenant_plan', `the tenant's plan is ${plan.planId}`);
      }
      const command = { type: 'ApplyPlanTier', plan: tierOf(plan) } as const;
      return instanceCommand(deps, request, tenant, target, command, answer(200));
    },
  },
  {
    method: 'DELETE',
    path: '/v1.0/tenants/{id}/instances/{instanceId}',
    summary: 'Deprovision an instance: 202, destroyed asynchronously (Admin, Operator)',
    response: { status: 202, schema: InstanceView },
    handle: async (request, deps) => {
      const tenant = await accessTenant(deps, request, active.platform);
      const target = await loadInstance(deps, request, tenant);
      const command = { type: 'Deprovision', reason: `deleted by ${request.principal.sub}` } as const;
      return instanceCommand(deps, request, tenant, target, command, answer(202));
    },
  },
  {
    method: 'POST',
    path: '/v1.0/tenants/{id}/instances/{instanceId}/scale',
    summary: "Set the desired task count within the plan's bounds (TenantAdmin)",
    body: ScaleBody,
    response: { status: 202, schema: InstanceView },
    handle: async (request, deps) => {
      const tenant = await accessTenant(deps, request, active.tenantAdmin);
      const target = await loadInstance(deps, request, tenant);
      const { desiredCount } = parseBody(request, ScaleBody);
      return instanceCommand(deps, request, tenant, target, { type: 'Scale', desiredCount }, answer(202));
    },
  },
  {
    method: 'POST',
    path: '/v1.0/tenants/{id}/instances/{instanceId}/retry',
    summary: 'Retry a failed provisioning (TenantAdmin)',
    response: { status: 202, schema: InstanceView },
    handle: async (request, deps) => {
      const tenant = await accessTenant(deps, request, active.tenantAdmin);
      const target = await loadInstance(deps, request, tenant);
      return instanceCommand(deps, request, tenant, target, { type: 'RetryProvisioning' }, answer(202));
    },
  },
  {
    method: 'GET',
    path: '/v1.0/instances',
    summary: 'Instances across tenants by state and/or environment, from the indexes (Admin, Operator)',
    query: InstancesQuery,
    response: { status: 200, schema: page(InstanceView) },
    handle: async (request, deps) => {
      if (!isPlatform(request.principal))
        throw new ForbiddenError('only Admin and Operator list all instances');
      const query = parseWith(InstancesQuery, request.query, 'query');
      const { limit, start } = pagingOf(request, deps.cursors, query);
      const found = query.state
        ? await deps.readModel.byState(query.state, query.environment, limit, start)
        : await deps.readModel.byEnvironment(query.environment ?? 'prod', limit, start);
      return listResult(request, deps.cursors, found.items.map(rowView).filter(Boolean), found.next);
    },
  },
];
