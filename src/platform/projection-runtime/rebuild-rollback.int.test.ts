import { CreateTableCommand, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { tenantPK } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { projections } from '#src/contexts/projections.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { app } from '#src/platform/infra/app.js';
import { cloudFormationTable } from '#src/platform/infra/cloudformation.js';
import type { TableDefinition } from '#src/platform/infra/definitions.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import { DynamoBulkRowWriter, DynamoProgressStore } from './dynamodb.bulk.js';
import { DynamoProjectionWriter } from './dynamodb.projection-writer.js';
import { type RebuildDependencies, rebuild } from './rebuild.js';
import { ProjectionRegistry, RegistryConflictError } from './registry.js';

/**
 * Rebuilds clear their table, so these run on tables of their own (a stage per file): the v1 table and the
 * registry of the shared test stage stay untouched. The event table is the shared one.
 */
const STAGE = `rb${ulid().slice(-8).toLowerCase()}`;
const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const writer = new DynamoProjectionWriter(client, store);
const own = (id: string) => cloudFormationTable(app.tables[id] as TableDefinition, STAGE).Properties;
const v1Table = String(own('TenantsV1Table').TableName);
const registryTable = String(own('ProjectionRegistryTable').TableName);
const registry = new ProjectionRegistry(
  client,
  registryTable,
  (id) => String(own(id).TableName),
  projections,
);

beforeAll(async () => {
  const ddb = dynamoClient({ region: 'af-south-1', endpoint: inject('dynamoEndpoint') });
  for (const id of ['TenantsV1Table', 'TenantsV2Table', 'ProjectionRegistryTable']) {
    const { TableName, BillingMode, AttributeDefinitions, KeySchema, GlobalSecondaryIndexes } = own(id);
    await ddb.send(
      new CreateTableCommand({
        TableName,
        BillingMode,
        AttributeDefinitions,
        KeySchema,
        GlobalSecondaryIndexes,
      } as unknown as CreateTableCommandInput),
    );
  }
  ddb.destroy();
});

const deps = (overrides: Partial<RebuildDependencies> = {}): RebuildDependencies => ({
  store,
  registry,
  writer,
  bulk: new DynamoBulkRowWriter(client),
  progress: new DynamoProgressStore(client, registryTable),
  clock: () => new Date(),
  sleep: async () => {},
  registryTtlMs: 0,
  ...overrides,
});

const run = async (tenantId: string, command: TenantCommand) =>
  (
    await runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command,
      metadata: metadata({ tenantId }),
      result: () => null,
    })
  ).events;

async function tenantsOfUser(userId: string): Promise<string[]> {
  const out = await client.send(
    new QueryCommand({
      TableName: v1Table,
      IndexName: 'GSI1',
      KeyConditionExpression: 'GSI1PK = :u',
      ExpressionAttributeValues: { ':u': `USER#${userId}` },
    }),
  );
  return (out.Items ?? []).map((i) => String(i.PK));
}

describe('rebuilding into a table that holds rows', () => {
  it('rolls back to the old, unfed v1 table without keeping rows the events deleted since', async () => {
    const tenantId = ulid();
    const userId = `u-${ulid()}`;
    // v1 is active and fed: the tenant and its member land in its table
    const fed = [
      ...(await run(tenantId, {
        type: 'CreateTenant',
        tenantId,
        organizationName: `Org ${tenantId}`,
        contactEmail: 'a@b.test',
        environment: 'prod',
      })),
      ...(await run(tenantId, { type: 'AssignUser', userId, role: 'TenantMember' })),
    ];
    for (const event of fed) await writer.apply(registry.target('tenants', 1), event);
    expect(await tenantsOfUser(userId)).toEqual([tenantPK(tenantId)]);
    // switched to v2 (v1 retained, no longer fed); then the user is removed
    const initial = await registry.entry('tenants', true);
    await registry.save({ ...initial, active: 2, retained: [1] });
    await run(tenantId, { type: 'RemoveUser', userId });

    // roll back: rebuild v1 into its old table and switch
    const progress = await rebuild(deps(), 'tenants', 1, { segments: 2 });
    expect(progress.cleared).toBeGreaterThan(0);
    await registry.switchTo('tenants', 1);
    expect(await tenantsOfUser(userId)).toEqual([]);
  });

  it('a rebuild racing with projections drop cannot put the dropped shadow back', async () => {
    const entry = await registry.entry('tenants', true);
    const active = entry.active;
    const other = active === 1 ? 2 : 1;
    // the drop arrives while the rebuild waits for the dispatcher to see the catching-up shadow
    let dropped = false;
    const racing = deps({
      registryTtlMs: 1,
      sleep: async () => {
        if (dropped) return;
        dropped = true;
        await registry.drop('tenants', other);
      },
    });
    await expect(rebuild(racing, 'tenants', other, { segments: 2 })).rejects.toBeInstanceOf(
      RegistryConflictError,
    );
    expect(dropped).toBe(true);
    const after = await registry.entry('tenants', true);
    expect(after.shadow).toBeUndefined();
    expect(after.active).toBe(active);
  });
});
