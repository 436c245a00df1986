import {
  ApplicationAutoScalingClient,
  DescribeScalableTargetsCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountAccessKey } from '#src/platform/local/iam/sessions.js';
import { localCredentials } from '../test-support/wait.js';
import { type AwsStandIns, startAwsStandIns } from './aws-stand-ins.js';
import type { EcsEvent } from './ecs-events.js';

const DEV = '111111111111';
const events: EcsEvent[] = [];
let aws: AwsStandIns;
const clients: { destroy(): void }[] = [];
const client = <C extends { destroy(): void }>(c: C): C => {
  clients.push(c);
  return c;
};
const options = (credentials: { accessKeyId: string; secretAccessKey: string }) => ({
  region: 'af-south-1',
  endpoint: aws.endpoint,
  credentials,
  maxAttempts: 1,
});

beforeAll(async () => {
  aws = await startAwsStandIns({
    region: 'af-south-1',
    account: '000000000000',
    clusters: ['bbws-dev'],
    clusterAccounts: { 'bbws-dev': DEV },
    putEvent: (e) => void events.push(e),
    ecsTiming: { taskStartMs: 20, taskStopMs: 10, steadyRepeatMs: 60_000 },
  });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await aws?.stop();
});

const errorName = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: Error) => e.name,
  );

describe("the ECS and autoscaling stand-in: a cluster is its account's", () => {
  it("serves the cluster's own account; another account's caller finds no such cluster, or is denied its ARNs", async () => {
    const own = client(new ECSClient(options(accountAccessKey(DEV))));
    const { taskDefinition } = await own.send(
      new RegisterTaskDefinitionCommand({
        family: 'bbws-dev-tenant-a',
        cpu: '256',
        memory: '512',
        containerDefinitions: [],
      }),
    );
    expect(taskDefinition?.taskDefinitionArn).toContain(`:${DEV}:task-definition/`);
    const { service } = await own.send(
      new CreateServiceCommand({
        cluster: 'bbws-dev',
        serviceName: 'bbws-dev-tenant-a',
        desiredCount: 1,
        taskDefinition: taskDefinition?.taskDefinitionArn,
      }),
    );
    const arn = String(service?.serviceArn);
    expect(arn).toBe(`arn:aws:ecs:af-south-1:${DEV}:service/bbws-dev/bbws-dev-tenant-a`);
    expect(events[0]?.account).toBe(DEV); // the service's events carry its account

    // the control plane's own key: the cluster name resolves in its account (none there), the ARN is another's
    const controlPlane = client(new ECSClient(options(localCredentials)));
    expect(
      await errorName(
        controlPlane.send(new DescribeServicesCommand({ cluster: 'bbws-dev', services: [arn] })),
      ),
    ).toBe('ClusterNotFoundException');
    const clusterArn = `arn:aws:ecs:af-south-1:${DEV}:cluster/bbws-dev`;
    expect(
      await errorName(
        controlPlane.send(new DescribeServicesCommand({ cluster: clusterArn, services: [arn] })),
      ),
    ).toBe('AccessDeniedException');
    const described = await own.send(new DescribeServicesCommand({ cluster: 'bbws-dev', services: [arn] }));
    expect(described.services?.[0]?.serviceArn).toBe(arn);

    const target = {
      ServiceNamespace: 'ecs' as const,
      ScalableDimension: 'ecs:service:DesiredCount' as const,
      ResourceId: 'service/bbws-dev/bbws-dev-tenant-a',
    };
    const foreignScaling = client(new ApplicationAutoScalingClient(options(localCredentials)));
    expect(
      await errorName(
        foreignScaling.send(new RegisterScalableTargetCommand({ ...target, MinCapacity: 0, MaxCapacity: 1 })),
      ),
    ).toBe('ValidationException');
    const ownScaling = client(new ApplicationAutoScalingClient(options(accountAccessKey(DEV))));
    await ownScaling.send(new RegisterScalableTargetCommand({ ...target, MinCapacity: 0, MaxCapacity: 1 }));
    const seen = (c: ApplicationAutoScalingClient) =>
      c.send(
        new DescribeScalableTargetsCommand({ ServiceNamespace: 'ecs', ResourceIds: [target.ResourceId] }),
      );
    expect((await seen(ownScaling)).ScalableTargets).toHaveLength(1);
    expect((await seen(foreignScaling)).ScalableTargets).toEqual([]);
  });
});
