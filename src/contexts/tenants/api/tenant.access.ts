import { isPlatform, type Principal } from '#src/platform/auth/principal.js';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { dependsOn, loadOptionsOf, stateOf } from '#src/platform/command/dependency.js';
import { ForbiddenError, IllegalStateError, NotFoundError } from '#src/platform/domain/errors.js';
import type { EventStore, LoadResult } from '#src/platform/event-store/event-store.port.js';
import { runCommand } from '#src/platform/http/command.js';
import type { HttpRequest, HttpResult } from '#src/platform/http/http-handler.js';
import type {
  TenantAccess,
  TenantGrant,
  TenantNeed,
  TenantRequirement,
} from '#src/platform/http/tenant-access.js';
import { roleOf, type TenantCommand, type TenantState, tenantDecider } from '../domain/tenant.decider.js';
import { tenantStream } from '../domain/tenant.stream.js';

type Created = Exclude<TenantState, { status: 'NEW' }>;

const requirementOf = (need: TenantNeed | TenantRequirement): TenantRequirement =>
  typeof need === 'string' ? { need } : need;

/**
 * The rule, pure, on a tenant's state: the caller's standing, or a refusal. The access check runs it on its own
 * load; the command runner runs it again on every attempt (a removal that lands between the check and the write
 * must refuse the write); a command on another stream runs it as a dependency.
 */
export function tenantPolicy(principal: Principal, need: TenantNeed | TenantRequirement) {
  const requirement = requirementOf(need);
  return (state: TenantState): { state: Created; role: TenantGrant['role'] } => {
    if (state.status === 'NEW') throw new NotFoundError('tenant not found');
    const role = isPlatform(principal) ? principal.platformRoles[0] : roleOf(state, principal.sub);
    // Not a member: the same answer as for a tenant that does not exist.
    if (!role) throw new NotFoundError('tenant not found');
    assertRole(role, requirement.need);
    if (requirement.active) assertActive(state);
    return { state, role };
  };
}

function assertRole(role: TenantGrant['role'], need: TenantNeed): void {
  const platform = role === 'Admin' || role === 'Operator';
  if (need === 'platform' && !platform) throw new ForbiddenError('only Admin and Operator may do this');
  if (need === 'tenantAdmin' && role === 'TenantMember') {
    throw new ForbiddenError('this needs the TenantAdmin role in the tenant');
  }
}

/** A parked or deleted tenant's services are stopped: commands that need them running are refused. */
function assertActive(state: Created): void {
  if (state.status === 'PARKED') throw new IllegalStateError('tenant_parked', 'the tenant is parked');
  if (state.status === 'DELETED') throw new IllegalStateError('tenant_deleted', 'the tenant is deleted');
}

/** A tenant as the access check saw it: the grant and the state behind it (single resources are answered from it). */
export interface AccessedTenant {
  grant: TenantGrant;
  state: Created;
  /** The check, again, for the command runner's every attempt. */
  authorize: (state: TenantState) => void;
}

/** Parses the id (400 for one no stream can have), loads the tenant stream (one consistent Query) and checks. */
export async function accessTenant(
  store: EventStore,
  principal: Principal,
  rawId: string | undefined,
  need: TenantNeed | TenantRequirement,
): Promise<AccessedTenant> {
  const streamId = tenantStream.id(rawId ?? '');
  const loaded = await store.load(streamId, loadOptionsOf(tenantDecider));
  const policy = tenantPolicy(principal, need);
  const { state, role } = policy(stateOf(tenantDecider, loaded));
  const tenantId = tenantStream.parse(streamId);
  return {
    grant: { tenantId, streamId, role, status: state.status, loaded },
    state,
    authorize: (current) => void policy(current),
  };
}

/** The tenants context's implementation of the kit's TenantAccess port (exported from its index.ts). */
export function tenantAccess(store: EventStore): TenantAccess {
  return {
    check: async (principal, tenantId, need) => (await accessTenant(store, principal, tenantId, need)).grant,
    dependency: (principal, grant, need) =>
      dependsOn(
        tenantDecider,
        grant.streamId,
        (state) => void tenantPolicy(principal, need)(state),
        grant.loaded,
      ),
  };
}

/** What another context decides on about a tenant (an instance: where it may run, which plan's tier it takes). */
export interface TenantFacts {
  tenantId: string;
  status: 'ACTIVE' | 'PARKED' | 'DELETED';
  environment: 'dev' | 'sit' | 'prod';
  /** undefined: the plans catalogue's default plan */
  planId: string | undefined;
}

/**
 * The facts of a tenant from a load of its stream (a grant's `loaded`, or what a dependency's check is given):
 * another context reads them on the very load its write is conditioned on. Undefined for a tenant never created.
 */
export function tenantFactsOf(loaded: LoadResult): TenantFacts | undefined {
  const state = stateOf(tenantDecider, loaded);
  if (state.status === 'NEW') return undefined;
  return {
    tenantId: state.tenantId,
    status: state.status,
    environment: state.environment,
    planId: state.planId,
  };
}

/** A command on a tenant the access check let through: its load for the first attempt, its check for every one. */
export function tenantCommand(
  runner: CommandRunner,
  request: HttpRequest,
  tenant: AccessedTenant,
  command: TenantCommand,
  respond: (outcome: { state: TenantState; version: number }) => HttpResult,
): Promise<HttpResult> {
  return runCommand(runner, request, {
    decider: tenantDecider,
    streamId: tenant.grant.streamId,
    tenantId: tenant.grant.tenantId,
    loaded: tenant.grant.loaded,
    authorize: tenant.authorize,
    command,
    respond,
  });
}
