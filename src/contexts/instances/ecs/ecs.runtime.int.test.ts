import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import { CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { tableName } from '#src/platform/infra/app.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { eventually } from '#test/runtime.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { EcsFact } from '../domain/instance.events.js';
import type { InstanceState } from '../domain/instance.state.js';
import type { InstancesLocal } from '../local/index.js';
import { localCredentials } from '../local/test-support/wait.js';
import { serviceName } from '../terraform/naming.js';
import { activeInstance } from './instance-fixtures.js';

/**
 * ECS control, the ECS state sync and the reactions to tenant events through the whole local runtime: every
 * function under its packaged role, the tenant API over HTTP, the ECS + Application Auto Scaling stand-in reached
 * through the real SDK, its events on the default bus. The instance is brought to ACTIVE by the decider's own
 * commands (what the provisioner reports), its service created in the stand-in as Terraform would.
 */
const STAGE = 'ecsrt';
let runtime: RunningRuntime;
let stateDir: string;
let store: DynamoEventStore;
let runner: CommandRunner;
let client: ReturnType<typeof documentClient>;
let ecs: ECSClient;
let scaling: ApplicationAutoScalingClient;
let admin: string;
const logs: string[] = [];
const write = process.stdout.write;

beforeAll(async () => {
  // The functions' JSON log lines are kept (the ignored event's line is asserted), not printed.
  process.stdout.write = ((chunk: unknown, ...rest: unknown[]) => {
    const text = String(chunk);
    if (text.startsWith('{"level"')) return logs.push(text) > 0;
    return (write as (...a: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
  }) as typeof process.stdout.write;
  stateDir = await mkdtemp(join(tmpdir(), 'bbws-ecs-runtime-'));
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
  const aws = {
    region: 'af-south-1',
    endpoint: process.env.ECS_ENDPOINT ?? '',
    credentials: localCredentials,
  };
  ecs = new ECSClient(aws);
  scaling = new ApplicationAutoScalingClient(aws);
  admin = signLocalToken(localKeys(join(stateDir, 'auth')), { sub: 'admin', 'cognito:groups': ['Admin'] });
}, 600_000);
afterAll(async () => {
  process.stdout.write = write;
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

/** A service in the dev cluster, as the tenant's Terraform makes it: tier counts, its scalable target. */
async function service(name: string, desiredCount: number, bounds: { min: number; max: number }) {
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({ family: name, cpu: '256', memory: '512', containerDefinitions: [] }),
  );
  const { service: created } = await ecs.send(
    new CreateServiceCommand({
      cluster: 'bbws-dev',
      serviceName: name,
      desiredCount,
      taskDefinition: taskDefinition?.taskDefinitionArn,
    }),
  );
  await scaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      ResourceId: `service/bbws-dev/${name}`,
      MinCapacity: bounds.min,
      MaxCapacity: bounds.max,
    }),
  );
  return created?.serviceArn ?? '';
}

const head = async (streamId: string) =>
  stateOf(instanceDecider, await store.load(streamId)) as Exclude<InstanceState, { status: 'NEW' }>;
const serviceNow = (arn: string) => standIns().aws.ecs.services.get(arn);
const boundsNow = async (name: string) => {
  const { ScalableTargets } = await scaling.send(
    new DescribeScalableTargetsCommand({
      ServiceNamespace: 'ecs',
      ResourceIds: [`service/bbws-dev/${name}`],
    }),
  );
  return { min: ScalableTargets?.[0]?.MinCapacity, max: ScalableTargets?.[0]?.MaxCapacity };
};

describe('park and unpark a tenant: its instance suspended and resumed on ECS', () => {
  it('park -> desired 0 and bounds 0..0, SUSPENDED (steady at 0 keeps it so); unpark -> the old counts', async () => {
    const created = await api('POST', '/tenants', {
      organizationName: `ECS ${ulid()}`,
      contactEmail: 'ops@ecs.test',
      environment: 'prod',
    });
    expect(created.status).toBe(201);
    const tenantId = String(created.body.tenantId);
    const name = serviceName('dev', tenantId);
    const serviceArn = await service(name, 1, { min: 1, max: 2 });
    const instance = await activeInstance(runner, {
      tenantId,
      environment: 'dev',
      planId: 'starter',
      serviceArn,
      steadyAt: new Date().toISOString(),
    });
    // A TenantAdmin's scale to 2 (starter: 1..2): ECS control sets the count.
    await runner.run({
      decider: instanceDecider,
      streamId: instance.streamId,
      command: { type: 'Scale', desiredCount: 2 },
      metadata: { correlationId: ulid(), actor: 'test', tenantId },
      result: () => undefined,
    });
    await eventually(() => expect(serviceNow(serviceArn)?.desiredCount).toBe(2));

    expect((await api('POST', `/tenants/${tenantId}/park`, { reason: 'unpaid' })).status).toBe(200);
    await eventually(async () => {
      expect((await head(instance.streamId)).status).toBe('SUSPENDED');
      expect(serviceNow(serviceArn)?.desiredCount).toBe(0);
      expect(await boundsNow(name)).toEqual({ min: 0, max: 0 });
    });
    // ECS reports the service steady at 0: recorded, and the instance stays SUSPENDED.
    await eventually(async () => {
      const state = await head(instance.streamId);
      expect(state.ecs.latest?.eventName).toBe('SERVICE_STEADY_STATE');
      expect(state.ecs.desiredCount ?? 0).toBe(0);
      expect(state.status).toBe('SUSPENDED');
    });
    // Autoscaling does not start it again.
    standIns().aws.autoscaling.enforceAll();
    expect(serviceNow(serviceArn)?.desiredCount).toBe(0);

    expect((await api('POST', `/tenants/${tenantId}/unpark`, {})).status).toBe(200);
    await eventually(async () => {
      expect(await boundsNow(name)).toEqual({ min: 1, max: 2 });
      expect(serviceNow(serviceArn)?.desiredCount).toBe(2);
      expect((await head(instance.streamId)).status).not.toBe('SUSPENDED');
    });
    await eventually(async () => expect((await head(instance.streamId)).status).toBe('ACTIVE'));
  }, 60_000);
});

describe('a plan change and a deletion of the tenant reach its instances', () => {
  it("PLAN_CHANGED -> the plan's tier applied; deletion refused without force; TENANT_DELETED -> deprovisioned", async () => {
    const created = await api('POST', '/tenants', {
      organizationName: `ECS ${ulid()}`,
      contactEmail: 'ops@ecs.test',
      environment: 'prod',
    });
    const tenantId = String(created.body.tenantId);
    const serviceArn = await service(serviceName('dev', tenantId), 1, { min: 1, max: 2 });
    const instance = await activeInstance(runner, {
      tenantId,
      environment: 'dev',
      planId: 'starter',
      serviceArn,
      steadyAt: new Date().toISOString(),
    });
    expect((await api('PUT', `/tenants/${tenantId}/plan`, { planId: 'business' })).status).toBe(200);
    await eventually(async () => expect((await head(instance.streamId)).planId).toBe('business'));
    // Its live instance is an owned resource: a deletion without force is refused.
    expect((await api('DELETE', `/tenants/${tenantId}`)).status).toBe(409);
    expect((await api('DELETE', `/tenants/${tenantId}?force=true`)).status).toBe(204);
    await eventually(async () =>
      expect(['DEPROVISIONING', 'DELETED']).toContain((await head(instance.streamId)).status),
    );
  }, 60_000);
});

describe('ECS events: duplicated, late, or of a service the platform does not manage', () => {
  // The stand-in re-sends a duplicate under a new EventBridge id (AWS keeps the id, and the decider then drops it as
  // not newer), so only order is asserted here; the decider's unit tests cover same-id repeats.
  it('never moves an instance backwards: its recorded facts only ever grow by (at, id)', async () => {
    const tenantId = ulid();
    const name = serviceName('dev', tenantId);
    const serviceArn = await service(name, 1, { min: 1, max: 2 });
    const instance = await activeInstance(runner, {
      tenantId,
      environment: 'dev',
      planId: 'starter',
      serviceArn,
      steadyAt: new Date().toISOString(),
    });
    const delivery = standIns().aws.events;
    const ofService = (e: { resources: [string] }) => e.resources[0] === serviceArn;
    delivery.duplicate(3, ofService);
    await eventually(async () =>
      expect((await head(instance.streamId)).ecs.latest?.eventName).toBe('SERVICE_STEADY_STATE'),
    );
    // Late: the deployment's first event again (older than the steady state), and an old failure put by hand.
    delivery.redeliver((e) => ofService(e) && e.detail.eventName === 'SERVICE_DEPLOYMENT_IN_PROGRESS');
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
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const facts = (await store.load(instance.streamId)).events
      .filter((e) => e.type === 'ECS_SERVICE_EVENT')
      .map((e) => e.data as EcsFact);
    const order = facts.map((f) => [Date.parse(f.at), f.ecsEventId] as const);
    for (let i = 1; i < order.length; i++) {
      const [at, id] = order[i] as readonly [number, string];
      const [prevAt, prevId] = order[i - 1] as readonly [number, string];
      expect(at > prevAt || (at === prevAt && id > prevId)).toBe(true);
    }
    expect(facts.some((f) => f.eventName === 'SERVICE_DEPLOYMENT_FAILED')).toBe(false);
    expect((await head(instance.streamId)).status).toBe('ACTIVE');
  }, 30_000);

  it('ignores the events of a service the platform does not manage, with a log line', async () => {
    const arn = await service(`someone-elses-${ulid().toLowerCase()}`, 1, { min: 1, max: 1 });
    await eventually(() =>
      expect(
        logs.some(
          (l) => l.includes('ECS event ignored') && l.includes('not a managed service') && l.includes(arn),
        ),
      ).toBe(true),
    );
  }, 30_000);
});
