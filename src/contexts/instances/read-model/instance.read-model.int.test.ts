import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { resourcesPK, tenantResourcesV1 } from '#projections/instances/tenant-resources.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { instanceStream } from '../domain/instance.stream.js';
import { BIGGER_PLAN, ecsFact, PLAN, RUN, SERVICE_ARN, SHA } from '../domain/transition-table.js';
import { InstanceReadModel } from './instance.read-model.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const writer = new DynamoProjectionWriter(client, store);
const target = { projection: tenantResourcesV1, tableName: testTable('TenantResourcesV1Table') };
const readModel = new InstanceReadModel(client, async () => target.tableName);

/** Runs commands on an instance and projects their events at once (what the dispatcher does downstream). */
async function given(instanceId: string, commands: InstanceCommand[]) {
  for (const command of commands) {
    const { events } = await runner.run({
      decider: instanceDecider,
      streamId: instanceStream.id(instanceId),
      command,
      metadata: metadata(),
      result: () => null,
    });
    for (const event of events) await writer.apply(target, event);
  }
}

const create = (
  instanceId: string,
  tenantId: string,
  environment: 'dev' | 'prod',
  alb = 1,
): InstanceCommand => ({
  type: 'RequestProvisioning',
  instanceId,
  tenantId,
  environment,
  tenantEnvironment: 'prod',
  plan: PLAN,
  albSlot: { alb, priority: 1 },
});
/** The tenant's prod service, as the naming convention gives it (the decider records no other). */
const arnOf = (tenantId: string) => SERVICE_ARN.replace(/01JD0000000000000000000001$/, tenantId);
const toActive = (serviceArn: string): InstanceCommand[] => [
  { type: 'RecordCommit', change: 1, commitSha: SHA, changed: true },
  { type: 'RecordWorkflowQueued', change: 1, ...RUN },
  { type: 'RecordWorkflowOutcome', change: 1, runId: RUN.runId, outcome: 'succeeded', conclusion: 'success' },
  {
    type: 'RecordResources',
    change: 1,
    resources: { serviceArn, efsAccessPointId: 'fsap-0123456789abcdef0' },
  },
  { type: 'RecordEcsEvent', fact: { ...ecsFact('SERVICE_STEADY_STATE', 1), serviceArn } },
];

describe('bbws-tenant-resources: the access patterns of design section 4.3 on DynamoDB Local', async () => {
  const [tenant, other] = [ulid(), ulid()];
  const [prod, dev, gone] = [ulid(), ulid(), ulid()];
  const env = 'dev' as const;
  const serviceArn = arnOf(tenant);
  await given(prod, [create(prod, tenant, 'prod', 7), ...toActive(serviceArn)]);
  await given(dev, [create(dev, tenant, 'dev', 7)]);
  await given(gone, [
    create(gone, other, 'prod', 8),
    ...toActive(arnOf(other)),
    { type: 'Deprovision', reason: 'test' },
    { type: 'RecordDeprovisioned', change: 2 },
  ]);

  it('1. gets an instance by tenant, environment and id, with the design fields', async () => {
    expect(await readModel.get(tenant, 'prod', prod)).toMatchObject({
      PK: `TENANT#${tenant}`,
      SK: `INSTANCE#prod#${prod}`,
      provisioningState: 'ACTIVE',
      ecsServiceArn: serviceArn,
      efsAccessPointId: 'fsap-0123456789abcdef0',
      workflowRunId: RUN.runId,
      lastEcsEvent: 'SERVICE_STEADY_STATE',
      desiredCount: 1,
      GSI1PK: `TENANT#${tenant}#STATE`,
      GSI2PK: 'STATE#ACTIVE',
    });
  });

  it("2. lists a tenant's instances (live ones), and by state (GSI1)", async () => {
    expect((await readModel.ofTenant(tenant, undefined, 10)).items.map((r) => r.instanceId)).toEqual([
      dev,
      prod,
    ]);
    expect((await readModel.ofTenant(tenant, 'ACTIVE', 10)).items.map((r) => r.instanceId)).toEqual([prod]);
    expect((await readModel.ofTenant(other, undefined, 10)).items).toEqual([]);
    expect((await readModel.ofTenant(other, 'DELETED', 10)).items.map((r) => r.instanceId)).toEqual([gone]);
  });

  it('3. gets the resource rows of an instance (PK=TENANT#{id}#INSTANCE#{env}#{instanceId}, SK begins_with RESOURCE#)', async () => {
    const { Items } = await client.send(
      new QueryCommand({
        TableName: target.tableName,
        KeyConditionExpression: 'PK = :pk AND begins_with(SK, :r)',
        ExpressionAttributeValues: { ':pk': resourcesPK(tenant, 'prod', prod), ':r': 'RESOURCE#' },
      }),
    );
    expect(Items?.map((i) => [i.SK, i.value])).toEqual([
      ['RESOURCE#ecs-service', serviceArn],
      ['RESOURCE#efs-access-point', 'fsap-0123456789abcdef0'],
    ]);
    const deleted = await client.send(
      new QueryCommand({
        TableName: target.tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': resourcesPK(other, 'prod', gone) },
      }),
    );
    expect(deleted.Items).toEqual([]);
  });

  it('4. lists instances across tenants by state and environment (GSI2), and the live ones of an environment by ALB slot (GSI3)', async () => {
    const active = (await readModel.byState('ACTIVE', 'prod', 100)).items.map((r) => r.instanceId);
    expect(active).toContain(prod);
    expect(active).not.toContain(dev);
    expect((await readModel.byState('DELETED', undefined, 100)).items.map((r) => r.instanceId)).toContain(
      gone,
    );
    const live = (await readModel.byEnvironment(env, 100)).items.map((r) => r.instanceId);
    expect(live).toContain(dev);
    expect(await readModel.heldSlots('prod')).toContainEqual({ alb: 7, priority: 1 });
    expect(await readModel.heldSlots('prod')).not.toContainEqual({ alb: 8, priority: 1 });
  });

  it('keeps the state the decider folds, and follows a tier change', async () => {
    await given(prod, [{ type: 'ApplyPlanTier', plan: BIGGER_PLAN }]);
    const row = await readModel.get(tenant, 'prod', prod);
    expect(row).toMatchObject({ provisioningState: 'SCALING', planId: 'business', tier: BIGGER_PLAN.tier });
    expect(row?.state).toMatchObject({ status: 'SCALING', change: { n: 2, kind: 'update' } });
  });
});
