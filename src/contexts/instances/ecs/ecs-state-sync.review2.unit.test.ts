import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import type { AwsServiceEvent } from '#src/platform/consumers/aws-event-consumer.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceState } from '../domain/instance.state.js';
import type { EcsServices } from './ecs-control.port.js';
import { ecsStateSync } from './ecs-state-sync.js';
import { activeInstance } from './instance-fixtures.js';

// Review 2 (53124e5, #9): the decider drops a fact dated before `serviceCreatedAt` (a destroyed predecessor's of the
// same ARN), and README/docs/events.md say the state sync reads it "with the counts". It does not: the sync's
// describe port (ServiceCounts) has no createdAt and the fact it records never carries serviceCreatedAt, so in
// production the rule never applies: a late predecessor fact of the same ARN, newer than any recorded, is recorded.
// Here DescribeServices says the current service was created at 00:10; ECS delivers late a deployment failure of
// its predecessor dated 00:05 (same cluster, same name: same ARN). The instance must stay ACTIVE.

const SERVICE_CREATED = '2026-02-01T00:10:00.000Z';

function serviceAction(serviceArn: string, eventName: string, at: string): AwsServiceEvent {
  return {
    id: ulid(),
    source: 'aws.ecs',
    account: serviceArn.split(':')[4] ?? '',
    'detail-type': 'ECS Deployment State Change',
    time: at,
    resources: [serviceArn],
    detail: {
      eventType: 'ERROR',
      eventName,
      deploymentId: 'ecs-svc/old',
      updatedAt: at,
      reason: 'circuit breaker',
    },
  };
}

describe('ECS state sync: a late fact of a re-created service’s predecessor (review 2)', () => {
  it('is dropped by the service’s creation time that DescribeServices gives', async () => {
    const store = new InMemoryEventStore(catalogue);
    const runner = new CommandRunner({
      store,
      clock: () => new Date('2026-01-01T00:00:00.000Z'),
      newEventId: ulid,
    });
    // What DescribeServices answers for the current service: its counts and its createdAt (ECS's clock).
    const services = {
      describe: async () => ({ desiredCount: 1, runningCount: 1, createdAt: new Date(SERVICE_CREATED) }),
      setDesiredCount: async () => {},
    } as unknown as EcsServices;
    const sync = ecsStateSync(() => ({
      store,
      runner,
      services: () => services,
      clusterArnOf: (environment) => `arn:aws:ecs:af-south-1:000000000000:cluster/bbws-${environment}`,
      describeDeadlineMs: 200,
    }));
    const instance = await activeInstance(runner);
    await sync.handle(
      serviceAction(instance.serviceArn, 'SERVICE_DEPLOYMENT_FAILED', '2026-02-01T00:05:00.000Z'),
      {
        logger: new Logger({ logLevel: 'SILENT' }),
      },
    );
    const state = stateOf(instanceDecider, await store.load(instance.streamId)) as Exclude<
      InstanceState,
      { status: 'NEW' }
    >;
    expect(state.ecs.latest?.eventName, 'the predecessor’s fact is not recorded').toBe(
      'SERVICE_STEADY_STATE',
    );
    expect(state.status).toBe('ACTIVE');
  });
});
