import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from './health.js';

const unknownRoute = (headers: Record<string, string>) =>
  ({
    routeKey: '$default',
    rawPath: '/v1.0/no-such-route',
    headers,
    requestContext: { requestId: 'apigw-request-1', http: { method: 'GET' } },
  }) as unknown as APIGatewayProxyEventV2;

const answer = async (headers: Record<string, string>) =>
  (await handler(unknownRoute(headers))) as APIGatewayProxyStructuredResultV2;

describe('the $default route (health function)', () => {
  it("answers 404 problem+json under the client's own X-Correlation-Id, as every other answer does", async () => {
    const reply = await answer({ 'x-correlation-id': 'client-corr-1' });
    expect(reply).toMatchObject({
      statusCode: 404,
      headers: { 'content-type': 'application/problem+json', 'x-correlation-id': 'client-corr-1' },
    });
    expect(JSON.parse(String(reply.body))).toMatchObject({ status: 404, correlationId: 'client-corr-1' });
  });

  it("uses API Gateway's request id when the client sent none, or one the kit would not echo", async () => {
    const cases: Record<string, string>[] = [
      {},
      { 'x-correlation-id': 'not valid!' },
      { 'x-correlation-id': 'x'.repeat(129) },
    ];
    for (const headers of cases) {
      const reply = await answer(headers);
      expect(reply.headers?.['x-correlation-id'], JSON.stringify(headers)).toBe('apigw-request-1');
    }
  });
});
