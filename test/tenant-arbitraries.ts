import fc from 'fast-check';
import type { TenantCommand } from '#src/contexts/tenants/domain/tenant.decider.js';

const userId = fc.constantFrom('u1', 'u2', 'u3');
const name = fc.constantFrom('Acme', 'Beta', 'Gamma');

/** Random tenant commands (any order, so many are refused): for model-based and projection properties. */
export const tenantCommandArb = (tenantId = 't'): fc.Arbitrary<TenantCommand> =>
  fc.oneof(
    name.map(
      (n): TenantCommand => ({
        type: 'CreateTenant',
        tenantId,
        organizationName: `${n} ${tenantId}`,
        contactEmail: 'a@b.test',
        environment: 'dev',
      }),
    ),
    name.map((n): TenantCommand => ({ type: 'UpdateTenant', organizationName: `${n} ${tenantId}` })),
    fc.constant<TenantCommand>({ type: 'ParkTenant', reason: 'r' }),
    fc.constant<TenantCommand>({ type: 'UnparkTenant' }),
    fc.record({ force: fc.boolean(), sites: fc.nat(2), instances: fc.nat(1) }).map(
      ({ force, sites, instances }): TenantCommand => ({
        type: 'DeleteTenant',
        force,
        owned: { sites, instances },
      }),
    ),
    fc
      .record({ userId, role: fc.constantFrom('TenantAdmin' as const, 'TenantMember' as const) })
      .map((c): TenantCommand => ({ type: 'AssignUser', ...c })),
    userId.map((id): TenantCommand => ({ type: 'RemoveUser', userId: id })),
    fc.constantFrom('A', 'B').map(
      (d): TenantCommand => ({
        type: 'PutHierarchy',
        hierarchy: { divisions: [{ name: d, groups: [{ name: 'G', teams: d === 'A' ? ['x', 'y'] : [] }] }] },
      }),
    ),
    fc.constant<TenantCommand>({ type: 'DeleteHierarchy' }),
    fc.constantFrom('starter', 'business').map((planId): TenantCommand => ({ type: 'ChangePlan', planId })),
  );
