import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { tenantPK } from '#projections/tenants/tenants.v1.js';
import { tenantsV2 } from '#projections/tenants/tenants.v2.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { projections } from '#src/contexts/projections.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { applyChanges, type Row } from '#src/platform/domain/projection.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { TEST_STAGE, testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import { DynamoBulkRowWriter, DynamoProgressStore } from './dynamodb.bulk.js';
import { DynamoProjectionWriter } from './dynamodb.projection-writer.js';
import { type RebuildDependencies, rebuild } from './rebuild.js';
import { ProjectionRegistry } from './registry.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const registry = new ProjectionRegistry(
  client,
  testTable('ProjectionRegistryTable'),
  (id) => tableName(id, TEST_STAGE),
  projections,
);
const v2Table = testTable('TenantsV2Table');

const run = (tenantId: string, command: TenantCommand) =>
  runner.run({
    decider: tenantDecider,
    streamId: `tenant-${tenantId}`,
    command,
    metadata: metadata({ tenantId }),
    result: () => null,
  });

async function tenantWithHistory(domain: string): Promise<string> {
  const tenantId = ulid();
  await run(tenantId, {
    type: 'CreateTenant',
    tenantId,
    organizationName: `Org ${tenantId}`,
    contactEmail: `ops@${domain}`,
    environment: 'dev',
  });
  await run(tenantId, { type: 'AssignUser', userId: 'u1', role: 'TenantAdmin' });
  await run(tenantId, {
    type: 'PutHierarchy',
    hierarchy: { divisions: [{ name: 'D', groups: [{ name: 'G', teams: ['T'] }] }] },
  });
  return tenantId;
}

async function rows(tenantId: string): Promise<Row[]> {
  const out = await client.send(
    new QueryCommand({
      TableName: v2Table,
      KeyConditionExpression: 'PK = :pk',
      ExpressionAttributeValues: { ':pk': tenantPK(tenantId) },
      ConsistentRead: true,
    }),
  );
  return ((out.Items ?? []) as Row[]).sort((a, b) => a.SK.localeCompare(b.SK));
}

async function cleanRows(tenantId: string): Promise<Row[]> {
  const folded = new Map<string, Row>();
  for (const event of await store.readStream(`tenant-${tenantId}`))
    applyChanges(folded, tenantsV2.apply(folded, event));
  return JSON.parse(JSON.stringify([...folded.values()].sort((a, b) => a.SK.localeCompare(b.SK))));
}

describe('projection rebuild (blue/green) on DynamoDB Local', () => {
  it('fills v2 from the event table, takes events appended meanwhile exactly once, resumes, and switches', async () => {
    const domain = `${ulid().toLowerCase()}.example`;
    const before = [await tenantWithHistory(domain), await tenantWithHistory(domain)];
    let puts = 0;
    let failAfter = 1; // the first run dies after its first bulk write: the second one resumes
    const bulk = new DynamoBulkRowWriter(client);
    const deps: RebuildDependencies = {
      store,
      registry,
      writer: new DynamoProjectionWriter(client, store),
      bulk: {
        putRows: async (table, r) => {
          if (failAfter > 0 && ++puts > failAfter) throw new Error('simulated crash');
          await bulk.putRows(table, r);
        },
        clear: (table, onProgress) => bulk.clear(table, onProgress),
      },
      progress: new DynamoProgressStore(client, testTable('ProjectionRegistryTable')),
      clock: () => new Date(),
      sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.min(ms, 50))),
      registryTtlMs: 0,
    };
    await expect(rebuild(deps, 'tenants', 2, { segments: 2 })).rejects.toThrow(/simulated crash/);
    expect((await registry.entry('tenants', true)).shadow).toMatchObject({ version: 2, state: 'building' });
    failAfter = 0;
    // appended while the rebuild runs (after its start): must reach v2 exactly once
    const during = await tenantWithHistory(domain);
    await run(before[0] as string, { type: 'ParkTenant', reason: 'appended during the rebuild' });
    const progress = await rebuild(deps, 'tenants', 2, { segments: 2 });
    expect(progress.phase).toBe('done');
    expect((await registry.entry('tenants', true)).shadow).toMatchObject({ version: 2, state: 'ready' });

    for (const tenantId of [...before, during])
      expect(await rows(tenantId)).toEqual(await cleanRows(tenantId));
    const byDomain = await client.send(
      new QueryCommand({
        TableName: v2Table,
        IndexName: 'GSI3',
        KeyConditionExpression: 'GSI3PK = :d',
        ExpressionAttributeValues: { ':d': `DOMAIN#${domain}` },
      }),
    );
    expect((byDomain.Items ?? []).map((i) => i.tenantId).sort()).toEqual([...before, during].sort());
    expect((await rows(before[0] as string)).find((r) => r.SK === 'METADATA')).toMatchObject({
      status: 'PARKED',
      contactDomain: domain,
    });

    // switch: readers resolve v2; v1 is retained until dropped
    await registry.switchTo('tenants', 2);
    expect((await registry.active('tenants')).tableName).toBe(v2Table);
    expect((await registry.entry('tenants', true)).retained).toEqual([1]);
    // leave the shared registry as other tests expect
    const { revision } = await registry.entry('tenants', true);
    await registry.save({ name: 'tenants', active: 1, retained: [], ...(revision ? { revision } : {}) });
  });
});
