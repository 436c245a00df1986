import type { PlatformRole, Principal } from '#src/platform/auth/principal.js';
import type { Dependency } from '#src/platform/command/dependency.js';
import type { LoadResult } from '#src/platform/event-store/event-store.port.js';

export type TenantRole = 'TenantAdmin' | 'TenantMember';

/** What an operation needs of the caller in a tenant: membership, the TenantAdmin role, or a platform role. */
export type TenantNeed = 'member' | 'tenantAdmin' | 'platform';

export interface TenantRequirement {
  need: TenantNeed;
  /** Refuse a parked or deleted tenant (409 `tenant_parked` / `tenant_deleted`): its services are stopped. */
  active?: boolean;
}

/** Who the caller is in a tenant, and the tenant stream as the check read it. */
export interface TenantGrant {
  tenantId: string;
  streamId: string;
  role: PlatformRole | TenantRole;
  status: 'ACTIVE' | 'PARKED' | 'DELETED';
  /** One consistent Query of the tenant stream: its version is the tenant's ETag, its token a condition. */
  loaded: LoadResult;
}

/**
 * Tenant access, the one check every context makes before it touches a tenant's data. Membership and roles come
 * from the tenant's own stream, strongly consistent, so a removal takes effect on the very next request; platform
 * roles (Admin, Operator) reach every tenant. A tenant the caller is not a member of is 404 — never a hint that it
 * exists; a role that falls short is 403. The kit defines the port; the tenants context implements it and
 * exports it from its index.ts.
 */
export interface TenantAccess {
  /** Parses the id (400), loads the tenant stream and checks the caller: the grant, or 404 / 403 / 409. */
  check(
    principal: Principal,
    tenantId: string | undefined,
    requirement: TenantNeed | TenantRequirement,
  ): Promise<TenantGrant>;
  /**
   * The same check as a dependency of a command on another stream (an instance, a site): the runner re-checks it
   * on every attempt against a fresh load of the tenant stream and makes that stream's head a condition of the
   * append, so a removal or a parking that lands first refuses the command instead of racing it.
   */
  dependency(
    principal: Principal,
    grant: TenantGrant,
    requirement: TenantNeed | TenantRequirement,
  ): Dependency;
}
