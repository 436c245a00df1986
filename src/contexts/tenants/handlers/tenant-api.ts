import { httpHandler } from '#src/platform/http/http-handler.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { logger } from '#src/platform/wiring.js';
import { tenantRoutes } from '../api/tenant.routes.js';
import { tenantUniqueKeys } from '../api/tenant.schemas.js';
import { tenantApiDependencies } from '../wiring.js';

let built: ReturnType<typeof httpHandler> | undefined;

/** The tenant-management HTTP API: every route of src/contexts/tenants/api/tenant.routes.ts. */
export const handler: ReturnType<typeof httpHandler> = (event) => {
  built ??= httpHandler(tenantRoutes, {
    verifier: () => httpWiring().verifier,
    logger: logger(),
    routeDeps: tenantApiDependencies,
    uniqueKeys: tenantUniqueKeys,
  });
  return built(event);
};
