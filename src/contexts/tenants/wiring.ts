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
    // Sites and instances arrive with their services; until then no tenant can own any.
    ownedResources: async () => ({ sites: 0, instances: 0 }),
  };
  return built;
}
