import { tenantAccess } from '#src/contexts/tenants/index.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { client, eventStore, registry, runner } from '#src/platform/wiring.js';
import type { InstanceApiDependencies } from './api/instance.routes.js';
import { InstanceReadModel } from './read-model/instance.read-model.js';

let built: InstanceApiDependencies | undefined;

/** The instance API's adapters, built once per process from the platform's. */
export function instanceApiDependencies(): InstanceApiDependencies {
  built ??= {
    runner: runner(),
    store: eventStore(),
    tenantAccess: tenantAccess(eventStore()),
    readModel: new InstanceReadModel(
      client(),
      async () => (await registry().active('tenant-resources')).tableName,
    ),
    cursors: httpWiring().cursors,
  };
  return built;
}
