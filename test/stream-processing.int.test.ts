import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { metadata } from './fixtures.js';
import { eventually, startTestRuntime } from './runtime.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let runner: CommandRunner;
let client: ReturnType<typeof documentClient>;
let store: DynamoEventStore;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  store = new DynamoEventStore(client, tableName('EventStoreTable', 'rt'), catalogue);
  runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
});
afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

const command = (tenantId: string, c: TenantCommand) =>
  runner.run({
    decider: tenantDecider,
    streamId: `tenant-${tenantId}`,
    command: c,
    metadata: metadata({ tenantId }),
    result: () => null,
  });

describe('stream processing in the local runtime', () => {
  it('projects appended events into bbws-tenants and carries user assignments to the identity directory', async () => {
    const tenantId = ulid();
    await command(tenantId, {
      type: 'CreateTenant',
      tenantId,
      organizationName: `Org ${tenantId}`,
      contactEmail: 'a@b.test',
      environment: 'prod',
    });
    await command(tenantId, { type: 'AssignUser', userId: 'user-7', role: 'TenantAdmin' });
    await command(tenantId, { type: 'ParkTenant', reason: 'maintenance' });
    const row = await eventually(async () => {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName('TenantsV1Table', 'rt'),
          Key: { PK: `TENANT#${tenantId}`, SK: 'METADATA' },
        }),
      );
      expect(Item).toMatchObject({ status: 'PARKED', version: 3 });
      return Item;
    });
    expect(row).toMatchObject({ environment: 'prod', GSI2PK: 'STATUS#PARKED' });
    const identity = new LocalIdentityDirectory(`${runtime.stateDir}/identity/users.json`);
    await eventually(async () =>
      expect(await identity.memberships('user-7')).toEqual({
        [tenantId]: { role: 'TenantAdmin', version: 2 },
      }),
    );
  });

  it('publishes every event at least once even when PutEvents partly fails', async () => {
    let calls = 0;
    runtime.eventBridge.refuse = () => (++calls % 3 === 0 ? 'ThrottlingException' : undefined);
    const tenantIds = Array.from({ length: 6 }, () => ulid());
    const eventIds: string[] = [];
    for (const tenantId of tenantIds) {
      const created = await command(tenantId, {
        type: 'CreateTenant',
        tenantId,
        organizationName: `Org ${tenantId}`,
        contactEmail: 'a@b.test',
        environment: 'dev',
      });
      const assigned = await command(tenantId, {
        type: 'AssignUser',
        userId: `u-${tenantId}`,
        role: 'TenantMember',
      });
      eventIds.push(...created.events.map((e) => e.eventId), ...assigned.events.map((e) => e.eventId));
    }
    await eventually(() => {
      const published = new Set(
        runtime.eventBridge.accepted.map((e) => (e.detail as { eventId: string }).eventId),
      );
      expect(eventIds.filter((id) => !published.has(id))).toEqual([]);
    });
    expect(calls).toBeGreaterThan(eventIds.length); // some entries were refused and sent again
    runtime.eventBridge.refuse = () => undefined;
  });
});
