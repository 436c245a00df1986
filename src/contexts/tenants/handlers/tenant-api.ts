import { tenantRoutes } from '#src/contexts/tenants/api/tenant.routes.js';
import { httpHandler } from '#src/platform/http/http-handler.js';
import { openApiDocument } from '#src/platform/http/openapi.js';
import { httpWiring, wiring } from '#src/platform/wiring.js';

/** The tenant-management HTTP API (every /v1.0 tenant route in serverless.yml). */
const routes = () => ({
  ...tenantRoutes(httpWiring().tenantApi),
  'GET /v1.0/openapi.json': { auth: false, handle: async () => ({ status: 200, body: openApiDocument() }) },
});

let built: ReturnType<typeof httpHandler> | undefined;

export const handler: ReturnType<typeof httpHandler> = (event) => {
  built ??= httpHandler(routes(), { verifier: () => httpWiring().verifier, logger: wiring().logger });
  return built(event);
};
