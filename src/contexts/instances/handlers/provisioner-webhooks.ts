import { httpHandler } from '#src/platform/http/http-handler.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { logger } from '#src/platform/wiring.js';
import { webhookRoutes } from '../provisioner/webhook.routes.js';
import { webhookDependencies } from '../wiring.js';

let built: ReturnType<typeof httpHandler> | undefined;

/** provisionerWebhooks: POST /v1.0/webhooks/github and /v1.0/webhooks/deploy-outcome (public, signed). */
export const handler: ReturnType<typeof httpHandler> = (event) => {
  built ??= httpHandler(webhookRoutes, {
    verifier: () => httpWiring().verifier,
    logger: logger(),
    routeDeps: webhookDependencies,
  });
  return built(event);
};
