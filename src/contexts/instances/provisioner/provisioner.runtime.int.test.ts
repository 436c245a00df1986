import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { tableName } from '#src/platform/infra/app.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { captureLogs, eventually } from '#test/runtime.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { instanceStream } from '../domain/instance.stream.js';
import { BIGGER_PLAN } from '../domain/transition-table.js';
import { signature } from '../local/github/webhooks.js';
import type { InstancesLocal } from '../local/index.js';
import { tenantFolder } from '../terraform/index.js';
import { FollowUpMessage } from './follow.js';
import { loadInstance } from './steps.js';

/**
 * The provisioner through the whole local runtime: the publisher puts the instance's events on the bus, the rule
 * queues them, the provisioner, its follow-ups and the webhook function run under their packaged roles (IAM
 * enforced), against the git server, the GitHub stand-in (which calls the webhooks back over HTTP) and the
 * Secrets Manager stand-in holding the GitHub credentials.
 */
const STAGE = 'provrt';
let runtime: RunningRuntime;
let stateDir: string;
let store: DynamoEventStore;
let runner: CommandRunner;
let client: ReturnType<typeof documentClient>;

/** The functions' JSON log lines (a failed poll's line is awaited), kept and not printed. */
let logs: string[] = [];
let restoreLogs: () => void = () => {};

beforeAll(async () => {
  ({ lines: logs, restore: restoreLogs } = captureLogs());
  stateDir = await mkdtemp(join(tmpdir(), 'bbws-provisioner-runtime-'));
  runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir,
    pollMs: 10,
    logLevel: 'ERROR',
    contexts: [{ name: 'instances', local: 'src/contexts/instances/local/index.startInstancesLocal' }],
  });
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  store = new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue);
  runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
}, 600_000);
afterAll(async () => {
  restoreLogs();
  client?.destroy();
  await runtime?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

const run = (instanceId: string, command: InstanceCommand) =>
  runner.run({
    decider: instanceDecider,
    streamId: instanceStream.id(instanceId),
    command,
    metadata: { correlationId: ulid(), actor: 'test' },
    result: () => undefined,
  });
const request = async (priority: number) => {
  const instanceId = ulid();
  const tenantId = ulid();
  await run(instanceId, {
    type: 'RequestProvisioning',
    instanceId,
    tenantId,
    environment: 'dev',
    tenantEnvironment: 'prod',
    plan: BIGGER_PLAN,
    albSlot: { alb: 1, priority },
  });
  return { instanceId, tenantId };
};
const types = async (instanceId: string) =>
  (await store.readStream(instanceStream.id(instanceId))).map((e) => e.type);
const standIns = () => (runtime.standIns.get('instances') as InstancesLocal).standIns;
/** Messages of a queue received and not yet deleted (in flight until their visibility timeout). */
const inFlight = async (queueUrl: string) => {
  const { Attributes } = await runtime.sqs.client.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
};

describe('the provisioner on the local runtime', () => {
  it('takes a requested instance to a succeeded workflow with its resources and to ACTIVE, then deprovisions it', async () => {
    const started = Date.now();
    const { instanceId, tenantId } = await request(1);
    await eventually(async () => {
      const seen = await types(instanceId);
      expect(seen).toContain('INSTANCE_WORKFLOW_SUCCEEDED');
      expect(seen).toContain('INSTANCE_RESOURCES_RECORDED');
    }, 60_000);
    const state = await loadInstance(store, instanceId);
    if (state.status === 'NEW') throw new Error('no instance');
    expect(state.resources?.serviceArn).toMatch(/^arn:aws:ecs:af-south-1:/);
    const runs = standIns().github.runs.filter((r) => r.inputs.tenant_id === tenantId);
    expect(runs).toHaveLength(1);
    // End to end with the ECS state sync: the service Terraform made reports steady: ACTIVE.
    await eventually(
      async () => expect((await loadInstance(store, instanceId)).status).toBe('ACTIVE'),
      60_000,
    );
    console.info(`requested -> ACTIVE through the local runtime in ${Date.now() - started} ms`);
    // The webhook function answered the stand-in's deliveries (signed with the secret it read).
    expect(standIns().github.deliveries.filter((d) => d.status === 202).length).toBeGreaterThan(0);

    await run(instanceId, { type: 'Deprovision', reason: 'runtime test' });
    await eventually(
      async () => expect((await loadInstance(store, instanceId)).status).toBe('DELETED'),
      60_000,
    );
    expect(
      standIns().github.runs.filter((r) => r.inputs.tenant_id === tenantId && r.inputs.action === 'destroy'),
    ).toHaveLength(1);
    const folders = await import('../local/git/bare-repository.js');
    const head = await folders.resolveRef(standIns().git.repositories.dev.bare, 'main');
    expect(
      await folders.folderAt(standIns().git.repositories.dev.bare, head ?? '', tenantFolder(tenantId)),
    ).toEqual({});
  }, 180_000);

  it('polls a run still in progress again later (a delayed follow-up), until it settles', async () => {
    const timing = standIns().github.timing;
    const before = timing.inProgressMs;
    timing.inProgressMs = 7000; // longer than the first poll's 5 s delay
    try {
      const { instanceId } = await request(9);
      await eventually(
        async () => expect(await types(instanceId)).toContain('INSTANCE_WORKFLOW_SUCCEEDED'),
        60_000,
      );
    } finally {
      timing.inProgressMs = before;
    }
  }, 120_000);

  it('deprovisions an instance superseded before its first commit at once', async () => {
    const { instanceId } = await request(5);
    await run(instanceId, { type: 'Deprovision', reason: 'changed our mind' });
    await eventually(
      async () => expect((await loadInstance(store, instanceId)).status).toBe('DELETED'),
      60_000,
    );
  }, 120_000);

  it('refuses an unsigned webhook with 401 over HTTP', async () => {
    const body = JSON.stringify({ action: 'completed' });
    for (const path of ['/v1.0/webhooks/github', '/v1.0/webhooks/deploy-outcome']) {
      const answer = await fetch(`${runtime.httpUrl}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature('forged', body) },
        body,
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });

  it('keeps a poll that fails for a retry (its ledger claim given back), never dropping it', async () => {
    const timing = standIns().github.timing;
    const before = timing.inProgressMs;
    timing.inProgressMs = 8_000; // the change stays unsettled while the bogus poll is handled
    try {
      const { instanceId, tenantId } = await request(11);
      await eventually(
        async () => expect(await types(instanceId)).toContain('INSTANCE_WORKFLOW_QUEUED'),
        60_000,
      );
      const queueUrl = runtime.sqs.queueUrls.ProvisionerFollowQueue ?? '';
      // A run the GitHub stand-in never had: the poll fails (404), under provisionerFollow's enforced role.
      const followUp = {
        instanceId,
        tenantId,
        change: 1,
        runId: 987_654_321,
        action: 'apply',
        eventId: ulid(),
        correlationId: ulid(),
        attempt: 0,
      };
      // a valid follow-up of a live instance: it is claimed and polled, not refused before its claim
      expect(FollowUpMessage.parse(followUp)).toEqual(followUp);
      expect((await loadInstance(store, instanceId)).status).not.toBe('NEW');
      await runtime.sqs.client.send(
        new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(followUp) }),
      );
      // Its failure is logged after the claim was given back: the checks below run after the poll, not before the
      // message was received.
      await eventually(() => {
        const failed = logs.filter(
          (l) => l.includes('"consumer":"provisionerFollow"') && l.includes(`"runId":${followUp.runId}`),
        );
        expect(failed.some((l) => l.includes('"level":"ERROR"'))).toBe(true);
      }, 30_000);
      const key = `provisionerFollow#${instanceId}:1:${followUp.runId}:0`;
      // Received and failed: in flight until its visibility timeout, the claim given back (DeleteItem), so the
      // retry polls again; after maxReceiveCount it rests in the DLQ.
      await eventually(async () => {
        expect(await inFlight(queueUrl)).toBeGreaterThanOrEqual(1);
        const ledger = await client.send(
          new GetCommand({
            TableName: tableName('ConsumerLedgerTable', STAGE),
            Key: { pk: key },
            ConsistentRead: true,
          }),
        );
        expect(ledger.Item).toBeUndefined();
        expect(standIns().github.runs.some((r) => r.id === followUp.runId)).toBe(false);
      }, 20_000);
    } finally {
      timing.inProgressMs = before;
    }
  }, 120_000);

  it('keeps a change it cannot handle for a retry (the ledger claim given back), never dropping it', async () => {
    const queueUrl = runtime.sqs.queueUrls.ProvisionerQueue ?? '';
    const eventId = ulid();
    await runtime.sqs.client.send(
      new SendMessageCommand({
        QueueUrl: queueUrl,
        MessageBody: JSON.stringify({
          version: '0',
          id: ulid(),
          source: 'bbws.instance-management',
          'detail-type': 'INSTANCE_RETRY_REQUESTED',
          time: new Date().toISOString(),
          detail: {
            specVersion: '1',
            eventId,
            streamId: instanceStream.id(ulid()),
            version: 2,
            type: 'INSTANCE_RETRY_REQUESTED',
            schemaVersion: 1,
            occurredAt: new Date().toISOString(),
            tenantId: null,
            correlationId: ulid(),
            causationId: null,
            actor: 'test',
            data: { change: 2, retryOf: 1 },
          },
        }),
      }),
    );
    // Received and failed (the instance is not in the store): in flight until its visibility timeout, the
    // ledger's claim given back (DeleteItem) so the retry handles it, and after maxReceiveCount the DLQ.
    await eventually(async () => expect(await inFlight(queueUrl)).toBe(1), 20_000);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const ledger = await client.send(
      new GetCommand({
        TableName: tableName('ConsumerLedgerTable', STAGE),
        Key: { pk: `provisioner#${eventId}` },
        ConsistentRead: true,
      }),
    );
    expect(ledger.Item).toBeUndefined();
    expect(await inFlight(queueUrl)).toBe(1);
  });
});
