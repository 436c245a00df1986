import { httpHandler } from '#src/platform/http/http-handler.js';
import { httpWiring, wiring } from '#src/platform/wiring.js';
import { tenantRoutes } from '../api/tenant.routes.js';
import { tenantApiDependencies } from '../wiring.js';

let built: ReturnType<typeof httpHandler> | undefined;

/** The tenant-management HTTP API: every route of src/contexts/tenants/api/tenant.routes.ts. */
export const handler: ReturnType<typeof httpHandler> = (event) => {
  built ??= httpHandler(tenantRoutes, {
    verifier: () => httpWiring().verifier,
    logger: wiring().logger,
    routeDeps: tenantApiDependencies,
  });
  return built(event);
};
