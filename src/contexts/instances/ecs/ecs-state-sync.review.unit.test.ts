import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it, vi } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import type { AwsServiceEvent } from '#src/platform/consumers/aws-event-consumer.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { serviceName } from '../terraform/naming.js';
import { ecsStateSync } from './ecs-state-sync.js';
import { InMemoryEcsControl } from './in-memory.ecs-control.js';
import { activeInstance } from './instance-fixtures.js';

// Adversarial review of the state sync's account check (commit 521ff2d): the account is checked, the cluster and
// the region are not. Before an instance's service ARN is recorded, the fallback by name takes any service named
// bbws-<env>-tenant-<id> in the environment's account for the instance's, whatever cluster or region it is in.

const DEV_ACCOUNT = '111111111111';

function world() {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({
    store,
    clock: () => new Date('2026-01-01T00:00:00.000Z'),
    newEventId: ulid,
  });
  const logger = new Logger({ logLevel: 'SILENT' });
  const info = vi.spyOn(logger, 'info');
  const ecs = new InMemoryEcsControl();
  const sync = ecsStateSync(() => ({
    store,
    runner,
    services: () => ecs.services,
    // wiring.ts: the environment's cluster ARN (WORKLOAD_ENVIRONMENTS + AWS_REGION)
    clusterArnOf: (environment) =>
      `arn:aws:ecs:af-south-1:${environment === 'dev' ? DEV_ACCOUNT : '000000000000'}:cluster/bbws-${environment}`,
    describeDeadlineMs: 50,
  }));
  return { store, runner, info, deliver: (event: AwsServiceEvent) => sync.handle(event, { logger }) };
}

function serviceAction(serviceArn: string, eventName: string, minute: number): AwsServiceEvent {
  return {
    id: ulid(),
    source: 'aws.ecs',
    account: DEV_ACCOUNT,
    'detail-type': 'ECS Service Action',
    time: '2026-02-01T00:00:00Z',
    resources: [serviceArn],
    detail: {
      eventType: 'WARN',
      eventName,
      createdAt: new Date(Date.parse('2026-02-01T00:00:00Z') + minute * 60_000).toISOString(),
    },
  };
}

describe('ECS state sync: a same-named service outside the environment cluster (review)', () => {
  it.each([
    ['another cluster of the same account and region', 'af-south-1', 'scratch'],
    ['the same cluster name in another region of the same account', 'eu-west-1', 'bbws-dev'],
  ])('ignores its events before the ARN is recorded: %s', async (_, region, cluster) => {
    const { runner, deliver, store, info } = world();
    const instance = await activeInstance(runner, { environment: 'dev', withResources: false });
    const before = (await store.load(instance.streamId)).version;
    const elsewhere = `arn:aws:ecs:${region}:${DEV_ACCOUNT}:service/${cluster}/${serviceName('dev', instance.tenantId)}`;
    await deliver(serviceAction(elsewhere, 'SERVICE_TASK_START_IMPAIRED', 2));
    // The environment's cluster is bbws-dev in af-south-1 (WORKLOAD_ENVIRONMENTS + AWS_REGION): this is not its
    // service, yet its fact is appended to the instance's stream today.
    expect((await store.load(instance.streamId)).version).toBe(before);
    expect(info).toHaveBeenCalledWith('ECS event ignored', expect.anything());
  });
});
