import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEventBridge } from '#src/platform/local/eventbridge-server.js';
import { localCredentials, waitFor } from '../test-support/wait.js';
import { type AwsStandIns, startAwsStandIns } from './aws-stand-ins.js';

const PLATFORM_BUS = 'bbws-events-test';
const cluster = 'bbws-dev';
const received: Record<string, unknown>[] = [];
// The ECS rule of the control plane: on the platform's bus, fed by a rule forwarding from the default bus.
const bridge = new LocalEventBridge([
  { name: 'forward', bus: 'default', pattern: { source: ['aws.ecs'] }, targetBus: PLATFORM_BUS },
  {
    name: 'ecsState',
    bus: PLATFORM_BUS,
    pattern: { source: ['aws.ecs'], 'detail-type': ['ECS Service Action', 'ECS Deployment State Change'] },
    invoke: async (event) => void received.push(event as Record<string, unknown>),
  },
]);
let aws: AwsStandIns;
let ecs: ECSClient;
let scaling: ApplicationAutoScalingClient;

beforeAll(async () => {
  aws = await startAwsStandIns({
    region: 'af-south-1',
    account: '000000000000',
    clusters: [cluster],
    putEvent: (e) => bridge.putServiceEvent(e),
    ecsTiming: { taskStartMs: 20, taskStopMs: 10, steadyRepeatMs: 60 },
    autoscalingEnforceMs: 30,
  });
  const client = { region: 'af-south-1', endpoint: aws.endpoint, credentials: localCredentials };
  ecs = new ECSClient(client);
  scaling = new ApplicationAutoScalingClient(client);
});
afterAll(async () => {
  ecs?.destroy();
  scaling?.destroy();
  await aws?.stop();
  await bridge.close();
});

let services = 0;
async function newService(desiredCount: number, cpu = '256') {
  const serviceName = `bbws-dev-tenant-svc${++services}`;
  const { taskDefinition } = await ecs.send(
    new RegisterTaskDefinitionCommand({ family: serviceName, cpu, memory: '512', containerDefinitions: [] }),
  );
  const { service } = await ecs.send(
    new CreateServiceCommand({
      cluster,
      serviceName,
      desiredCount,
      taskDefinition: taskDefinition?.taskDefinitionArn,
      deploymentConfiguration: { deploymentCircuitBreaker: { enable: true, rollback: true } },
      tags: [{ key: 'bbws:tenant-id', value: 'T' }],
    }),
  );
  return { serviceName, arn: service?.serviceArn ?? '' };
}

const describeService = async (name: string) =>
  (await ecs.send(new DescribeServicesCommand({ cluster, services: [name] }))).services?.[0];
const namesFor = (arn: string) =>
  received
    .filter((e) => (e.resources as string[])[0] === arn)
    .map((e) => (e.detail as { eventName: string }).eventName);
const resourceId = (name: string) => `service/${cluster}/${name}`;
const register = (name: string, MinCapacity: number, MaxCapacity: number) =>
  scaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ResourceId: resourceId(name),
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity,
      MaxCapacity,
    }),
  );

describe('the ECS stand-in through @aws-sdk/client-ecs', () => {
  it("deploys a new service and sends AWS's events to the default bus, forwarded to the platform bus", async () => {
    const { serviceName, arn } = await newService(2);
    const steady = await waitFor(
      () => describeService(serviceName),
      (s) => s?.runningCount === 2,
    );
    expect(steady?.deployments?.[0]).toMatchObject({ rolloutState: 'COMPLETED', runningCount: 2 });
    await waitFor(
      () => namesFor(arn),
      (names) => names.includes('SERVICE_DEPLOYMENT_COMPLETED'),
    );
    expect(namesFor(arn).slice(0, 3)).toEqual([
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_STEADY_STATE',
      'SERVICE_DEPLOYMENT_COMPLETED',
    ]);
    const mine = received.filter((e) => (e.resources as string[])[0] === arn);
    const [inProgress, action] = mine;
    expect(inProgress).toMatchObject({
      source: 'aws.ecs',
      'detail-type': 'ECS Deployment State Change',
      resources: [arn],
      detail: {
        eventType: 'INFO',
        eventName: 'SERVICE_DEPLOYMENT_IN_PROGRESS',
        deploymentId: steady?.deployments?.[0]?.id,
        reason: `ECS deployment ${steady?.deployments?.[0]?.id} in progress.`,
      },
    });
    expect((inProgress?.detail as { updatedAt?: string } | undefined)?.updatedAt).toMatch(
      /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
    );
    expect(action).toMatchObject({ 'detail-type': 'ECS Service Action', resources: [arn] });
    expect(Object.keys(action?.detail as object).sort()).toEqual([
      'clusterArn',
      'createdAt',
      'eventName',
      'eventType',
    ]);
    expect(action?.detail).toMatchObject({ eventType: 'INFO', clusterArn: steady?.clusterArn });
    expect(JSON.stringify(mine)).not.toContain('bbws:tenant-id'); // ECS events carry no tags
    // Each reached the platform bus through the forwarding rule, after the default bus.
    const arrivals = bridge.arrivals.filter((a) => a.event.id === action?.id);
    expect(arrivals.map((a) => [a.bus, a.forwardedBy])).toEqual([
      ['default', undefined],
      [PLATFORM_BUS, 'forward'],
    ]);
  });

  it('repeats SERVICE_STEADY_STATE while steady, at desired count 0 too', async () => {
    const { serviceName, arn } = await newService(0);
    await waitFor(
      () => describeService(serviceName),
      (s) => s?.deployments?.[0]?.rolloutState === 'COMPLETED',
    );
    const steadyStates = () => namesFor(arn).filter((n) => n === 'SERVICE_STEADY_STATE').length;
    await waitFor(steadyStates, (n) => n >= 3);
    expect((await describeService(serviceName))?.runningCount).toBe(0);
  });

  it('a new desired count is no deployment: running follows after a delay, then steady state', async () => {
    const { serviceName, arn } = await newService(1);
    await waitFor(
      () => namesFor(arn),
      (n) => n.includes('SERVICE_DEPLOYMENT_COMPLETED'),
    );
    const { service } = await ecs.send(
      new UpdateServiceCommand({ cluster, service: serviceName, desiredCount: 3 }),
    );
    expect(service).toMatchObject({ desiredCount: 3, runningCount: 1, pendingCount: 2 });
    await waitFor(
      () => describeService(serviceName),
      (s) => s?.runningCount === 3,
    );
    expect(namesFor(arn).filter((n) => n.startsWith('SERVICE_DEPLOYMENT'))).toHaveLength(2);
  });

  it('a failing deployment: SERVICE_TASK_START_IMPAIRED, SERVICE_DEPLOYMENT_FAILED, then the rollback', async () => {
    const { serviceName, arn } = await newService(1);
    await waitFor(
      () => namesFor(arn),
      (n) => n.includes('SERVICE_DEPLOYMENT_COMPLETED'),
    );
    const { taskDefinition } = await ecs.send(
      new RegisterTaskDefinitionCommand({
        family: serviceName,
        cpu: '512',
        memory: '1024',
        containerDefinitions: [],
      }),
    );
    aws.ecs.failDeployments(serviceName);
    await ecs.send(
      new UpdateServiceCommand({
        cluster,
        service: serviceName,
        taskDefinition: taskDefinition?.taskDefinitionArn,
      }),
    );
    await waitFor(
      () => namesFor(arn),
      (n) => n.filter((x) => x === 'SERVICE_DEPLOYMENT_COMPLETED').length === 2,
    );
    // SERVICE_STEADY_STATE repeats meanwhile: left out here.
    const details = received
      .filter((e) => (e.resources as string[])[0] === arn)
      .map((e) => e.detail as { eventName: string })
      .filter((d) => d.eventName !== 'SERVICE_STEADY_STATE');
    expect(details.map((d) => d.eventName)).toEqual([
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_TASK_START_IMPAIRED',
      'SERVICE_DEPLOYMENT_FAILED',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
    ]);
    expect(details[3]).toMatchObject({ eventType: 'WARN' });
    expect(details[4]).toMatchObject({
      eventType: 'ERROR',
      reason: expect.stringContaining('circuit breaker'),
    });
    expect(details[5]).toMatchObject({ reason: expect.stringContaining('rolling back') });
    expect((await describeService(serviceName))?.taskDefinition).toMatch(/:1$/);
  });

  it('injects duplicates and out-of-order delivery (test hooks)', async () => {
    const next = `-svc${services + 1}`;
    const mine = (e: { resources: readonly string[] }) => e.resources[0]?.endsWith(next) === true;
    aws.events.duplicate(1, mine);
    aws.events.holdBack(2, mine);
    const { arn } = await newService(1);
    await waitFor(
      () => namesFor(arn),
      (n) => n.length >= 4,
    );
    // IN_PROGRESS and STEADY_STATE held and delivered newest first; STEADY_STATE (the first delivered) twice.
    expect(namesFor(arn).slice(0, 4)).toEqual([
      'SERVICE_STEADY_STATE',
      'SERVICE_STEADY_STATE',
      'SERVICE_DEPLOYMENT_IN_PROGRESS',
      'SERVICE_DEPLOYMENT_COMPLETED',
    ]);
    // The service's deployment events as received (the service's periodic SERVICE_STEADY_STATE repeats are
    // service actions, new events with new ids: they must not be taken for the redelivery).
    const deploymentIds = () =>
      received
        .filter(
          (e) => (e.resources as string[])[0] === arn && e['detail-type'] === 'ECS Deployment State Change',
        )
        .map((e) => String(e.id));
    const before = deploymentIds();
    expect(
      aws.events.redeliver((e) => e.resources[0] === arn && e.detailType === 'ECS Deployment State Change'),
    ).toBe(true);
    const after = await waitFor(deploymentIds, (ids) => ids.length > before.length);
    // Redelivered as EventBridge does: under the event's own id (a duplicate and a late one alike).
    expect(before).toContain(after.at(-1));
    const ids = received.filter((e) => (e.resources as string[])[0] === arn).map((e) => String(e.id));
    expect(ids[1]).toBe(ids[0]);
  });

  it('refuses to delete a service scaled above 0 without force, and reports unknown services as MISSING', async () => {
    const { serviceName } = await newService(1);
    await expect(ecs.send(new DeleteServiceCommand({ cluster, service: serviceName }))).rejects.toMatchObject(
      {
        name: 'InvalidParameterException',
      },
    );
    await ecs.send(new DeleteServiceCommand({ cluster, service: serviceName, force: true }));
    const gone = await waitFor(
      () => describeService(serviceName),
      (s) => s?.status === 'INACTIVE',
    );
    expect(gone?.runningCount).toBe(0);
    const missing = await ecs.send(new DescribeServicesCommand({ cluster, services: ['nope'] }));
    expect(missing.failures).toEqual([
      { arn: expect.stringMatching(/service\/bbws-dev\/nope$/), reason: 'MISSING' },
    ]);
    await expect(
      ecs.send(new DescribeServicesCommand({ cluster: 'other', services: ['x'] })),
    ).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
    });
  });
});

describe('Application Auto Scaling through its SDK client: why suspending sets min and max to 0', () => {
  it('brings a service set to desired 0 back up while min is 1 (SERVICE_DESIRED_COUNT_UPDATED)', async () => {
    const { serviceName, arn } = await newService(1);
    await register(serviceName, 1, 2);
    await ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, desiredCount: 0 }));
    await waitFor(
      () => namesFor(arn),
      (n) => n.includes('SERVICE_DESIRED_COUNT_UPDATED'),
    );
    await waitFor(
      () => describeService(serviceName),
      (s) => s?.desiredCount === 1 && s.runningCount === 1,
    );
  });

  it('keeps a suspended service (desired 0, min and max 0) at 0', async () => {
    const { serviceName, arn } = await newService(1);
    await register(serviceName, 1, 2);
    await ecs.send(new UpdateServiceCommand({ cluster, service: serviceName, desiredCount: 0 }));
    await register(serviceName, 0, 0);
    await waitFor(
      () => describeService(serviceName),
      (s) => s?.runningCount === 0,
    );
    await new Promise((resolve) => setTimeout(resolve, 150)); // several enforcement rounds
    expect(await describeService(serviceName)).toMatchObject({ desiredCount: 0, runningCount: 0 });
    const targets = await scaling.send(
      new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [resourceId(serviceName)] }),
    );
    expect(targets.ScalableTargets?.[0]).toMatchObject({ MinCapacity: 0, MaxCapacity: 0 });
    expect(namesFor(arn).filter((n) => n === 'SERVICE_STEADY_STATE').length).toBeGreaterThanOrEqual(2);
  });

  it('scales a service up when a target is registered with min above its desired count', async () => {
    const { serviceName } = await newService(1);
    await register(serviceName, 3, 4);
    expect((await describeService(serviceName))?.desiredCount).toBe(3);
    await waitFor(
      () => describeService(serviceName),
      (s) => s?.runningCount === 3,
    );
  });

  it('refuses a target for a service that does not exist, and min above max', async () => {
    await expect(register('nope', 0, 1)).rejects.toMatchObject({ name: 'ValidationException' });
    const { serviceName } = await newService(0);
    await expect(register(serviceName, 2, 1)).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
