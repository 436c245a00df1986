import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import type { PlatformRole } from '#src/platform/auth/principal.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { Cursors } from '#src/platform/http/cursor.js';
import { type HttpRequest, httpHandler } from '#src/platform/http/http-handler.js';
import { listResult } from '#src/platform/http/paging.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import type { TenantCommand } from '../domain/tenant.decider.js';
import { tenantDecider } from '../domain/tenant.decider.js';
import { TenantReadModel } from '../read-model/tenant.read-model.js';
import { tenantRoutes } from './tenant.routes.js';

// GET /v1.0/tenants runs one of two queries (every tenant on GSI2 for a platform role, the caller's memberships
// on GSI1 otherwise), on DynamoDB Local: a cursor must name the one it continues.

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const writer = new DynamoProjectionWriter(client, store);
const target = { projection: tenantsV1, tableName: testTable('TenantsV1Table') };
const cursors = new Cursors('cursor-test-secret');

/** A token is `<sub>` or `<sub>|<platform role>`: the same person before and after a change of role. */
const handler = httpHandler(tenantRoutes, {
  verifier: () => ({
    verify: async (token) => {
      const [sub = '', role] = token.split('|');
      return { sub, platformRoles: role ? [role as PlatformRole] : [] };
    },
  }),
  logger: new Logger({ logLevel: 'SILENT' }),
  routeDeps: () => ({
    runner,
    store,
    readModel: new TenantReadModel(client, async () => target.tableName),
    identity: {} as never,
    cursors,
    ownedResources: async () => ({ sites: 0, instances: 0 }),
  }),
});

async function list(token: string, cursor?: string) {
  const event = {
    routeKey: 'GET /v1.0/tenants',
    rawPath: '/v1.0/tenants',
    headers: { authorization: `Bearer ${token}` },
    queryStringParameters: { limit: '1', ...(cursor ? { cursor } : {}) },
  } as unknown as APIGatewayProxyEventV2;
  const result = (await handler(event)) as APIGatewayProxyStructuredResultV2;
  return { status: result.statusCode, body: JSON.parse(String(result.body)) as Record<string, unknown> };
}

async function tenantWithMember(userId: string): Promise<void> {
  const tenantId = ulid();
  const commands: TenantCommand[] = [
    {
      type: 'CreateTenant',
      tenantId,
      organizationName: `Cursor Org ${tenantId}`,
      contactEmail: 'c@cursor.test',
      environment: 'dev',
    },
    { type: 'AssignUser', userId, role: 'TenantMember' },
  ];
  for (const command of commands) {
    const { events } = await runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command,
      metadata: metadata({ tenantId }),
      result: () => null,
    });
    for (const event of events) await writer.apply(target, event);
  }
}

describe('GET /v1.0/tenants: a cursor continues the query it was issued for', async () => {
  const person = `role-changer-${ulid()}`;
  await tenantWithMember(person);
  await tenantWithMember(person);

  it('refuses a platform-list cursor once the same caller lists as a member (400 naming cursor, not 500)', async () => {
    const first = await list(`${person}|Operator`);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const replay = await list(person, String(first.body.nextCursor));
    expect({ status: replay.status, field: replay.body.field, detail: replay.body.detail }).toEqual({
      status: 400,
      field: 'cursor',
      detail: 'the cursor belongs to another query',
    });
  });

  it('refuses a member-list cursor once the same caller lists with a platform role', async () => {
    const first = await list(person);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const replay = await list(`${person}|Admin`, String(first.body.nextCursor));
    expect({ status: replay.status, field: replay.body.field, detail: replay.body.detail }).toEqual({
      status: 400,
      field: 'cursor',
      detail: 'the cursor belongs to another query',
    });
    // and the cursor still continues the query it belongs to
    expect((await list(person, String(first.body.nextCursor))).status).toBe(200);
  });

  it('answers a signed cursor whose position the index refuses with 400 naming cursor (the list changed under it)', async () => {
    const request = {
      routeKey: 'GET /v1.0/tenants',
      path: '/v1.0/tenants',
      query: { limit: '1' },
      principal: { sub: person, platformRoles: ['Operator'] },
    } as unknown as HttpRequest;
    // a position of another table's key schema, signed for this very query (as after a projection switch)
    const stale = listResult(request, cursors, [], { PK: 'TENANT#x', SK: 'METADATA' }, 'every tenant')
      .body as {
      nextCursor: string;
    };
    const replay = await list(`${person}|Operator`, stale.nextCursor);
    expect({ status: replay.status, field: replay.body.field, detail: replay.body.detail }).toEqual({
      detail: expect.stringMatching(/does not fit/),
      status: 400,
      field: 'cursor',
    });
  });
});
