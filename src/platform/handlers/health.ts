import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2 } from 'aws-lambda';
import { validCorrelationId } from '#src/platform/http/correlation.js';

/**
 * GET /v1.0/health (liveness for load balancers and smoke tests; no auth, no data) and API Gateway's `$default`
 * route: any request no route declares gets a 404 problem+json, never API Gateway's `{"message":"Not Found"}`.
 * Kept free of dependencies: it is the smallest bundle and the first thing a probe calls.
 */
export const handler = async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyResultV2> => {
  if (event.routeKey === 'GET /v1.0/health') {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json', 'cache-control': 'no-store' },
      body: JSON.stringify({ status: 'ok', service: 'bbws-control-plane' }),
    };
  }
  // The client's own id when it sent a valid one (as every other answer does), else API Gateway's request id.
  const correlationId =
    validCorrelationId(headerOf(event, 'x-correlation-id')) ?? event.requestContext?.requestId ?? '';
  return {
    statusCode: 404,
    headers: { 'content-type': 'application/problem+json', 'x-correlation-id': correlationId },
    body: JSON.stringify({
      type: 'https://bbws.example/problems/not-found',
      title: 'Not Found',
      status: 404,
      detail: `no route ${event.requestContext?.http?.method ?? ''} ${event.rawPath ?? ''}`.trim(),
      instance: event.rawPath,
      correlationId,
    }),
  };
};

/** A request header by name: API Gateway passes them lower-cased, a test or another caller may not. */
function headerOf(event: APIGatewayProxyEventV2, name: string): string | undefined {
  for (const [key, value] of Object.entries(event.headers ?? {}))
    if (key.toLowerCase() === name) return value;
  return undefined;
}
