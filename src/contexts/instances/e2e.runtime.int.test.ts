import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { planOf } from '#src/contexts/plans/index.js';
import { localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { tableName } from '#src/platform/infra/app.js';
import { accountAccessKey } from '#src/platform/local/iam/sessions.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { captureLogs, eventually } from '#test/runtime.js';
import { instanceDecider } from './domain/instance.decider.js';
import type { EcsFact } from './domain/instance.events.js';
import type { InstanceState, Live } from './domain/instance.state.js';
import { instanceStream } from './domain/instance.stream.js';
import { folderAt } from './local/git/bare-repository.js';
import type { InstancesLocal } from './local/index.js';
import { LOCAL_WORKLOAD_ACCOUNTS } from './local/instances-stand-ins.js';
import { serviceName, tenantFolder } from './terraform/naming.js';

/**
 * Issue 10's "must show", end to end on the local runtime (every function under its packaged role, IAM enforced):
 * a tenant and its instance created over the HTTP API, provisioned by the real provisioner (commit, workflow in the
 * GitHub stand-in, Terraform applied to the ECS stand-in), ACTIVE from the ECS state sync, its WordPress answering
 * behind the ALB stand-in; parked and unparked through the reactions and ECS control (asserted on the ECS and
 * autoscaling stand-ins, and on the folders the syncs committed); its deletion refused without force; a plan change
 * committed and run with the task size read from the pushed Terraform. Then ECS's delivery faults: duplicates and
 * late redeliveries (under their own EventBridge id, as AWS sends them) and services the platform does not manage.
 */
const STAGE = 'instrt';
const ENV = 'dev';
let runtime: RunningRuntime;
let stateDir: string;
let store: DynamoEventStore;
let runner: CommandRunner;
let client: ReturnType<typeof documentClient>;
let ecs: ECSClient;
let scaling: ApplicationAutoScalingClient;
let admin: string;
/** The functions' JSON log lines (an ignored event's line is asserted), kept and not printed. */
let logs: string[] = [];
let restoreLogs: () => void = () => {};

beforeAll(async () => {
  ({ lines: logs, restore: restoreLogs } = captureLogs());
  stateDir = await mkdtemp(join(tmpdir(), 'bbws-instances-e2e-'));
  runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir,
    pollMs: 10,
    logLevel: 'INFO',
    contexts: [{ name: 'instances', local: 'src/contexts/instances/local/index.startInstancesLocal' }],
  });
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  store = new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue);
  runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  // The test looks at the environment's ECS as its own account does (the control plane's key finds no cluster).
  const aws = {
    region: 'af-south-1',
    endpoint: process.env.ECS_ENDPOINT ?? '',
    credentials: accountAccessKey(LOCAL_WORKLOAD_ACCOUNTS[ENV]),
  };
  ecs = new ECSClient(aws);
  scaling = new ApplicationAutoScalingClient(aws);
  admin = signLocalToken(localKeys(join(stateDir, 'auth')), { sub: 'admin', 'cognito:groups': ['Admin'] });
}, 600_000);
afterAll(async () => {
  restoreLogs();
  ecs?.destroy();
  scaling?.destroy();
  client?.destroy();
  await runtime?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

const standIns = () => (runtime.standIns.get('instances') as InstancesLocal).standIns;

async function api(method: string, path: string, body?: unknown) {
  const response = await fetch(`${runtime.httpUrl}/v1.0${path}`, {
    method,
    headers: {
      authorization: `Bearer ${admin}`,
      'idempotency-key': ulid(),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
}

const head = async (streamId: string): Promise<Live> => {
  const state: InstanceState = stateOf(instanceDecider, await store.load(streamId));
  if (state.status === 'NEW') throw new Error(`${streamId} not found`);
  return state;
};
const serviceNow = (arn: string) => standIns().aws.ecs.services.get(arn);
const boundsNow = async (name: string) => {
  const { ScalableTargets } = await scaling.send(
    new DescribeScalableTargetsCommand({
      ServiceNamespace: 'ecs',
      ResourceIds: [`service/bbws-${ENV}/${name}`],
    }),
  );
  return { min: ScalableTargets?.[0]?.MinCapacity, max: ScalableTargets?.[0]?.MaxCapacity };
};
/** The tenant's WordPress through the environment's ALB stand-in, routed by X-Tenant-Id. */
const wordpress = (tenantId: string) =>
  fetch(`${standIns().albs[ENV].url}/`, { headers: { 'x-tenant-id': tenantId } });
/** The tenant folder's file at a commit of the environment repository. */
const pushed = async (sha: string, tenantId: string, file: string) => {
  const files = await folderAt(standIns().git.repositories[ENV].bare, sha, tenantFolder(tenantId));
  return JSON.parse(files[file] ?? '{}') as { locals: Record<string, unknown> };
};
/** The counts a committed folder carries: [desired, min, max]. */
const committedCounts = async (state: Live) => {
  const { locals } = await pushed(String(state.change.commitSha), state.tenantId, 'tenant.tf.json');
  return [locals.desired_count, locals.min_capacity, locals.max_capacity];
};
/** The head once its current change (of `kind`) succeeded. */
const settledChange = (streamId: string, kind: string, timeout = 60_000) =>
  eventually(async () => {
    const state = await head(streamId);
    expect(state.change).toMatchObject({ kind, phase: 'succeeded' });
    return state;
  }, timeout);

/** A tenant (prod, the default plan: starter) and its dev instance, created over the HTTP API, ACTIVE. */
async function activeThroughApi() {
  const created = await api('POST', '/tenants', {
    organizationName: `E2E ${ulid()}`,
    contactEmail: 'ops@e2e.test',
    environment: 'prod',
  });
  expect(created.status).toBe(201);
  const tenantId = String(created.body.tenantId);
  const requested = await api('POST', `/tenants/${tenantId}/instances`, { environment: ENV });
  expect(requested.status).toBe(202);
  const streamId = instanceStream.id(String(requested.body.instanceId));
  const state = await eventually(async () => {
    const state = await head(streamId);
    expect(state.status).toBe('ACTIVE');
    expect(state.resources?.serviceArn).toBeDefined();
    return state;
  }, 90_000);
  return {
    tenantId,
    streamId,
    serviceArn: String(state.resources?.serviceArn),
    name: serviceName(ENV, tenantId),
  };
}

describe('an instance end to end on the local runtime (issue 10)', () => {
  it('created -> ACTIVE and serving; park -> 0/0; unpark -> the old counts; no deletion without force; a plan change runs the pushed task size', async () => {
    const { tenantId, streamId, serviceArn, name } = await activeThroughApi();
    await eventually(async () => expect((await wordpress(tenantId)).status).toBe(200), 30_000);
    const starter = planOf('starter').tier;
    expect(await boundsNow(name)).toEqual({ min: starter.minCount, max: starter.maxCount });
    // A TenantAdmin's scale to 2 (starter: 1..2): the counts a park must keep.
    await runner.run({
      decider: instanceDecider,
      streamId,
      command: { type: 'Scale', desiredCount: 2 },
      metadata: { correlationId: ulid(), actor: 'test', tenantId },
      result: () => undefined,
    });
    await eventually(() => expect(serviceNow(serviceArn)?.desiredCount).toBe(2));
    await eventually(async () => expect((await head(streamId)).status).toBe('ACTIVE'));

    expect((await api('POST', `/tenants/${tenantId}/park`, { reason: 'unpaid' })).status).toBe(200);
    await eventually(async () => {
      expect((await head(streamId)).status).toBe('SUSPENDED');
      expect(serviceNow(serviceArn)?.desiredCount).toBe(0);
      expect(await boundsNow(name)).toEqual({ min: 0, max: 0 });
    });
    // Git says so too: the suspension's sync committed and applied the folder with 0/0.
    const parked = await settledChange(streamId, 'sync');
    expect(parked.status).toBe('SUSPENDED');
    expect(await committedCounts(parked)).toEqual([0, 0, 0]);
    standIns().aws.autoscaling.enforceAll(); // autoscaling does not start it again
    expect(serviceNow(serviceArn)?.desiredCount).toBe(0);
    expect(await boundsNow(name)).toEqual({ min: 0, max: 0 });

    expect((await api('POST', `/tenants/${tenantId}/unpark`, {})).status).toBe(200);
    await eventually(async () => {
      expect(await boundsNow(name)).toEqual({ min: 1, max: 2 });
      expect(serviceNow(serviceArn)?.desiredCount).toBe(2);
    });
    const resumed = await eventually(async () => {
      const state = await settledChange(streamId, 'sync');
      expect(state.change.n).toBeGreaterThan(parked.change.n);
      expect(state.status).toBe('ACTIVE');
      return state;
    }, 60_000);
    expect(await committedCounts(resumed)).toEqual([
      starter.desiredCount,
      starter.minCount,
      starter.maxCount,
    ]);
    expect(serviceNow(serviceArn)?.desiredCount).toBe(2); // the resume's apply left the count to ECS control
    await eventually(async () => expect((await wordpress(tenantId)).status).toBe(200), 30_000);

    // Its live instance is an owned resource: no deletion without force.
    expect((await api('DELETE', `/tenants/${tenantId}`)).status).toBe(409);

    const business = planOf('business').tier;
    expect((await api('PUT', `/tenants/${tenantId}/plan`, { planId: 'business' })).status).toBe(200);
    const changed = await eventually(async () => {
      const state = await settledChange(streamId, 'update');
      expect(state.planId).toBe('business');
      return state;
    }, 60_000);
    const { locals } = await pushed(String(changed.change.commitSha), tenantId, 'tenant.tf.json');
    expect(locals.task_cpu).toBe(business.cpu);
    expect(changed.change.commitSha).not.toBe(resumed.change.commitSha);
    // The ECS stand-in runs the task definition the workflow registered from the pushed Terraform.
    await eventually(async () => {
      const { services } = await ecs.send(
        new DescribeServicesCommand({ cluster: `bbws-${ENV}`, services: [name] }),
      );
      const { taskDefinition } = await ecs.send(
        new DescribeTaskDefinitionCommand({ taskDefinition: services?.[0]?.taskDefinition }),
      );
      expect(taskDefinition?.cpu).toBe(String(business.cpu));
      expect(taskDefinition?.memory).toBe(String(business.memoryMiB));
    });
    await eventually(async () => expect((await head(streamId)).status).toBe('ACTIVE'), 60_000);
    await eventually(async () => expect((await wordpress(tenantId)).status).toBe(200), 30_000);

    // With force: TENANT_DELETED -> the reaction deprovisions it (destroy, the folder removed): DELETED.
    expect((await api('DELETE', `/tenants/${tenantId}?force=true`)).status).toBe(204);
    await eventually(async () => expect((await head(streamId)).status).toBe('DELETED'), 60_000);
    expect(serviceNow(serviceArn)?.status).not.toBe('ACTIVE');
  }, 300_000);
});

describe('ECS events: redelivered, late, or of a service the platform does not manage', () => {
  it('records a fact once however often EventBridge delivers it (the same id), and never moves backwards', async () => {
    const { streamId, serviceArn, tenantId } = await activeThroughApi();
    const delivery = standIns().aws.events;
    const ofService = (e: { resources: [string] }) => e.resources[0] === serviceArn;
    const extra = () => delivery.delivered.filter(ofService).length - delivery.sent.filter(ofService).length;
    const before = extra();
    delivery.duplicate(1, ofService);
    await runner.run({
      decider: instanceDecider,
      streamId,
      command: { type: 'Scale', desiredCount: 2 },
      metadata: { correlationId: ulid(), actor: 'test', tenantId },
      result: () => undefined,
    });
    await eventually(() => expect(extra()).toBe(before + 1)); // the scale's first event, delivered twice
    // Late: the deployment's first event again, and an old failure put by hand.
    expect(
      delivery.redeliver((e) => ofService(e) && e.detail.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS'),
    ).toBe(true);
    runtime.eventBridge.putServiceEvent({
      source: 'aws.ecs',
      detailType: 'ECS Deployment State Change',
      resources: [serviceArn],
      detail: {
        eventType: 'ERROR',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        deploymentId: 'ecs-svc/0',
        updatedAt: '2026-01-02T00:00:00Z',
        reason: 'an old deployment',
      },
      time: new Date('2026-01-02T00:00:00Z'),
    });
    await eventually(async () => expect((await head(streamId)).status).toBe('ACTIVE'));
    // On the bus, as from AWS: the duplicated event twice under one id.
    const twice = delivery.delivered.filter(ofService).find((e, i, all) => all.indexOf(e) !== i);
    const id = String(twice?.id);
    const arrivals = runtime.eventBridge.arrivals.filter((a) => a.bus === 'default' && a.event.id === id);
    expect(arrivals).toHaveLength(2);
    // The state sync handled both deliveries; whichever came second appended nothing.
    const recorded = () =>
      logs
        .filter((l) => l.includes('ECS fact recorded') && l.includes(id))
        .map((l) => (JSON.parse(l) as { appended: number }).appended);
    await eventually(() => expect(recorded()).toHaveLength(2), 30_000);
    expect(recorded()).toContain(0);
    expect(recorded().reduce((sum, n) => sum + n, 0)).toBeLessThanOrEqual(1);
    // The late redelivery's handler done: its event handled twice (first delivery and redelivery).
    const late = delivery.delivered
      .filter(ofService)
      .find((e) => e.detail.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS');
    const handled = (eventId: string) =>
      logs.filter((l) => l.includes('ECS fact recorded') && l.includes(eventId)).length;
    await eventually(() => expect(handled(String(late?.id))).toBeGreaterThanOrEqual(2), 30_000);
    const facts = await factsOf(streamId);
    // Each redelivery came under its event's id (AWS's), so the state sync saw it as not newer: one fact per ECS
    // event. Under a new id, a copy whose id sorted after the original's would have been recorded a second time.
    const sent = new Set(delivery.sent.filter(ofService).map((e) => String(e.id)));
    for (const fact of facts) expect(sent.has(fact.ecsEventId), fact.ecsEventId).toBe(true);
    const occurrences = facts.map((f) => `${f.eventName} ${f.at} ${f.deploymentId ?? ''}`);
    expect(new Set(occurrences).size).toBe(occurrences.length);
    const order = facts.map((f) => [Date.parse(f.at), f.ecsEventId] as const);
    for (let i = 1; i < order.length; i++) {
      const [at, id] = order[i] as readonly [number, string];
      const [prevAt, prevId] = order[i - 1] as readonly [number, string];
      expect(at > prevAt || (at === prevAt && id > prevId)).toBe(true);
    }
    expect(facts.some((f) => f.eventName === 'SERVICE_DEPLOYMENT_FAILED')).toBe(false);
    expect((await head(streamId)).status).toBe('ACTIVE');
  }, 180_000);

  it('ignores the events of a service the platform does not manage, with a log line', async () => {
    const family = `someone-elses-${ulid().toLowerCase()}`;
    const { taskDefinition } = await ecs.send(
      new RegisterTaskDefinitionCommand({ family, cpu: '256', memory: '512', containerDefinitions: [] }),
    );
    const { service } = await ecs.send(
      new CreateServiceCommand({
        cluster: `bbws-${ENV}`,
        serviceName: family,
        desiredCount: 1,
        taskDefinition: taskDefinition?.taskDefinitionArn,
      }),
    );
    const arn = String(service?.serviceArn);
    await eventually(() =>
      expect(
        logs.some(
          (l) => l.includes('ECS event ignored') && l.includes('not a managed service') && l.includes(arn),
        ),
      ).toBe(true),
    );
  }, 30_000);
});

const factsOf = async (streamId: string): Promise<EcsFact[]> =>
  (await store.readStream(streamId))
    .filter((e) => e.type === 'ECS_SERVICE_EVENT')
    .map((e) => e.data as EcsFact);
