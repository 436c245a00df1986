import { httpHandler } from '#src/platform/http/http-handler.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { logger } from '#src/platform/wiring.js';
import { instanceRoutes } from '../api/instance.routes.js';
import { instanceUniqueKeys } from '../api/instance.schemas.js';
import { instanceApiDependencies } from '../wiring.js';

let built: ReturnType<typeof httpHandler> | undefined;

/** The instance-management HTTP API: every route of src/contexts/instances/api/instance.routes.ts. */
export const handler: ReturnType<typeof httpHandler> = (event) => {
  built ??= httpHandler(instanceRoutes, {
    verifier: () => httpWiring().verifier,
    logger: logger(),
    routeDeps: instanceApiDependencies,
    uniqueKeys: instanceUniqueKeys,
  });
  return built(event);
};
