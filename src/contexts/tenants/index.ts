import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { tenantsV2 } from '#projections/tenants/tenants.v2.js';
import type { BoundedContext } from '#src/platform/context.js';
import { tenantDecider } from './domain/tenant.decider.js';
import { tenantEventDefinitions } from './domain/tenant.events.js';
import { tenantsPersonalData } from './privacy/personal-data.js';

/**
 * Tenant management: tenants, their users and hierarchy (design sections 1.2, 3.1, 4.1). The front door holds
 * what every function may need of the context (its events, aggregates, projections and personal-data handler),
 * not its routes or deployables: those are in registration.ts, which only src/contexts/index.ts imports, so a
 * function of another context that reaches this one (the event catalogue, tenant access) does not bundle them.
 */
export const tenants = {
  name: 'tenants',
  events: tenantEventDefinitions,
  aggregates: { tenant: tenantDecider },
  projections: [tenantsV1, tenantsV2],
  // The identity directory's user of an erased person (docs/architecture.md, "Erasure").
  personalData: tenantsPersonalData,
} satisfies Pick<BoundedContext, 'name' | 'events' | 'aggregates' | 'projections' | 'personalData'>;

/** Tenant access (the HTTP kit's TenantAccess port): how every other context checks a caller against a tenant. */
export { type TenantFacts, tenantAccess, tenantFactsOf } from './api/tenant.access.js';
/** A tenant's stream id (`tenant-<id>`): for a platform command that depends on its tenant. */
export { tenantStream } from './domain/tenant.stream.js';
