import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { httpHandler } from '#src/platform/http/http-handler.js';
import { PLANS } from '../catalogue.js';
import { PlansView, planRoutes } from './plan.routes.js';

describe('GET /v1.0/plans', () => {
  it('answers the catalogue without a token, valid against its documented schema', async () => {
    const handler = httpHandler(planRoutes, {
      verifier: () => {
        throw new Error('a public route verifies no token');
      },
      logger: new Logger({ logLevel: 'SILENT' }),
      routeDeps: () => undefined,
    });
    const reply = (await handler({
      routeKey: 'GET /v1.0/plans',
      rawPath: '/v1.0/plans',
      headers: {},
    } as unknown as APIGatewayProxyEventV2)) as APIGatewayProxyStructuredResultV2;
    expect(reply.statusCode).toBe(200);
    const body = PlansView.parse(JSON.parse(String(reply.body)));
    expect(body).toMatchObject({ currency: 'ZAR', vatRatePercent: 15, defaultPlanId: 'starter' });
    expect(body.items).toEqual(PLANS);
  });
});
