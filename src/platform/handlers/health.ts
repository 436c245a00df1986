import type { APIGatewayProxyResultV2 } from 'aws-lambda';
import { loadConfig } from '#src/platform/config/config.js';

const config = loadConfig();

/** GET /v1.0/health: liveness for load balancers and smoke tests; no auth, no data. */
export const handler = async (): Promise<APIGatewayProxyResultV2> => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
  body: JSON.stringify({ status: 'ok', service: 'bbws-control-plane', stage: config.STAGE }),
});
