import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import type { PersonalDataSystem } from '#src/platform/event-store/event-store.personal-data.contract.js';

/**
 * The system the event store's personal-data suite runs on (src/platform/event-store/
 * event-store.personal-data.contract.ts): the tests that run it give it, so the platform's suite needs no context.
 */
export const personalDataSystem: PersonalDataSystem<
  TenantCommand,
  Parameters<typeof tenantDecider.evolve>[1],
  ReturnType<typeof tenantDecider.initialState>
> = {
  catalogue,
  tenantDecider,
  rename: (organizationName) => ({ type: 'UpdateTenant', organizationName }),
};
