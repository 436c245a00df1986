import { instancesOwnedBy } from '#src/contexts/instances/index.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { client, eventStore, identity, registry, runner } from '#src/platform/wiring.js';
import type { TenantApiDependencies } from './api/tenant.routes.js';
import { TenantReadModel } from './read-model/tenant.read-model.js';

let built: TenantApiDependencies | undefined;

/** The tenant API's adapters, built once per process from the platform's. */
export function tenantApiDependencies(): TenantApiDependencies {
  if (built) return built;
  built = {
    runner: runner(),
    store: eventStore(),
    readModel: new TenantReadModel(client(), async () => (await registry().active('tenants')).tableName),
    identity: identity(),
    cursors: httpWiring().cursors,
    // Instances: their reservations, read consistently (instances context). Sites arrive with their service.
    ownedResources: async (tenantId) => ({
      sites: 0,
      instances: await instancesOwnedBy(eventStore(), tenantId),
    }),
  };
  return built;
}
