import { httpHandler } from '#src/platform/http/http-handler.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { logger } from '#src/platform/wiring.js';
import { planRoutes } from '../api/plan.routes.js';

let built: ReturnType<typeof httpHandler> | undefined;

/** GET /v1.0/plans: the plans catalogue (public; no adapters, no permissions). */
export const handler: ReturnType<typeof httpHandler> = (event) => {
  built ??= httpHandler(planRoutes, {
    verifier: () => httpWiring().verifier,
    logger: logger(),
    routeDeps: () => undefined,
  });
  return built(event);
};
