import { planOf } from '#src/contexts/plans/index.js';
import { type TenantFacts, tenantFactsOf } from '#src/contexts/tenants/index.js';
import type { Principal } from '#src/platform/auth/principal.js';
import { type Dependency, loadOptionsOf, stateOf } from '#src/platform/command/dependency.js';
import { IllegalStateError, NotFoundError } from '#src/platform/domain/errors.js';
import type { LoadResult } from '#src/platform/event-store/event-store.port.js';
import { runCommand } from '#src/platform/http/command.js';
import type { HttpRequest, HttpResult } from '#src/platform/http/http-handler.js';
import type { TenantGrant, TenantNeed, TenantRequirement } from '#src/platform/http/tenant-access.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceState, Live } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import type { InstanceApiDependencies } from './instance.routes.js';

type Deps = InstanceApiDependencies;

/** The tenant as the access check saw it: its grant and the facts an instance command is decided on. */
export interface AccessedTenant {
  grant: TenantGrant;
  facts: TenantFacts;
  requirement: TenantRequirement;
}

export async function accessTenant(
  deps: Deps,
  request: HttpRequest,
  requirement: TenantNeed | TenantRequirement,
): Promise<AccessedTenant> {
  const need = typeof requirement === 'string' ? { need: requirement } : requirement;
  const grant = await deps.tenantAccess.check(request.principal, request.params.id, need);
  const facts = tenantFactsOf(grant.loaded);
  if (!facts) throw new NotFoundError('tenant not found');
  return { grant, facts, requirement: need };
}

/** An instance of this tenant: anything else (another tenant's, none) is 404, never a hint that it exists. */
const belongsTo =
  (tenantId: string) =>
  (state: InstanceState): Live => {
    if (state.status === 'NEW' || state.tenantId !== tenantId) throw new NotFoundError('instance not found');
    return state;
  };

export async function loadInstance(deps: Deps, request: HttpRequest, tenant: AccessedTenant) {
  const streamId = instanceStream.id(request.params.instanceId ?? '');
  const loaded = await deps.store.load(streamId, loadOptionsOf(instanceDecider));
  const state = belongsTo(tenant.grant.tenantId)(stateOf(instanceDecider, loaded));
  return { streamId, loaded, state };
}

/**
 * The tenant's stream as a dependency: the caller's standing and the tenant's status are checked again on every
 * attempt against the load the append is conditioned on (a parked or deleted tenant refuses: 409), and so are the
 * facts the command was built from (its plan and environment): if they moved, the command is refused rather than
 * decided on facts that are no longer true.
 */
export function tenantDependency(deps: Deps, principal: Principal, tenant: AccessedTenant): Dependency {
  const base = deps.tenantAccess.dependency(principal, tenant.grant, tenant.requirement);
  return {
    ...base,
    check(loaded: LoadResult) {
      base.check(loaded);
      const now = tenantFactsOf(loaded);
      const samePlan = now !== undefined && planOf(now.planId) === planOf(tenant.facts.planId);
      if (!samePlan || now?.environment !== tenant.facts.environment) {
        throw new IllegalStateError(
          'tenant_changed',
          "the tenant's plan changed meanwhile; send the request again",
        );
      }
    },
  };
}

/** A user's command on one of the tenant's instances: authorised and conditioned on the tenant's stream. */
export function instanceCommand(
  deps: Deps,
  request: HttpRequest,
  tenant: AccessedTenant,
  target: { streamId: string; loaded?: LoadResult | undefined },
  command: InstanceCommand,
  respond: (outcome: { state: InstanceState; version: number }) => HttpResult,
): Promise<HttpResult> {
  return runCommand(deps.runner, request, {
    decider: instanceDecider,
    streamId: target.streamId,
    tenantId: tenant.grant.tenantId,
    loaded: target.loaded,
    authorize:
      command.type === 'RequestProvisioning'
        ? undefined
        : (state) => void belongsTo(tenant.grant.tenantId)(state),
    dependsOn: [tenantDependency(deps, request.principal, tenant)],
    command,
    respond,
  });
}
