import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it, vi } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import type { AwsServiceEvent } from '#src/platform/consumers/aws-event-consumer.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceEnvironment } from '../domain/instance.events.js';
import type { InstanceState } from '../domain/instance.state.js';
import { ecsStateSync, factOf } from './ecs-state-sync.js';
import { InMemoryEcsControl } from './in-memory.ecs-control.js';
import { activeInstance, runningInstance, serviceArnOf } from './instance-fixtures.js';

/**
 * The platform's clock: instances are requested at the start of 2026, before the fixture's steady state and the
 * events below (a fact dated before an instance was requested is a predecessor's, dropped while no ARN is recorded).
 */
const REQUESTED_AT = '2026-01-01T00:00:00.000Z';

/** Each environment's account: `accounts` overrides the control plane's own (000000000000). */
function world(accounts: Partial<Record<InstanceEnvironment, string>> = {}) {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(REQUESTED_AT), newEventId: ulid });
  const logger = new Logger({ logLevel: 'SILENT' });
  const info = vi.spyOn(logger, 'info');
  const warn = vi.spyOn(logger, 'warn');
  // services created when their instance was requested, before the facts (2026-02-01): not predecessors' facts
  const ecs = new InMemoryEcsControl(() => new Date(REQUESTED_AT));
  const describe = vi.spyOn(ecs.services, 'describe');
  const sync = ecsStateSync(() => ({
    store,
    runner,
    services: () => ecs.services,
    clusterArnOf: (environment) =>
      `arn:aws:ecs:af-south-1:${accounts[environment] ?? '000000000000'}:cluster/bbws-${environment}`,
    describeDeadlineMs: 50,
  }));
  const deliver = (event: AwsServiceEvent) => sync.handle(event, { logger });
  const head = async (streamId: string) =>
    stateOf(instanceDecider, await store.load(streamId)) as Exclude<InstanceState, { status: 'NEW' }>;
  /** The facts the stream holds, oldest first. */
  const facts = async (streamId: string) =>
    (await store.load(streamId)).events.filter((e) => e.type === 'ECS_SERVICE_EVENT').map((e) => e.data);
  return { store, runner, info, warn, ecs, describe, deliver, head, facts };
}

/** An ECS Service Action event as AWS sends it (aws-facts.md), `minute` minutes into 2026-02-01. */
function serviceAction(serviceArn: string, eventName: string, minute: number, id = ulid()): AwsServiceEvent {
  return {
    id,
    source: 'aws.ecs',
    // the account the service runs in (its ARN's), as EventBridge sets it
    account: serviceArn.split(':')[4] ?? '',
    'detail-type': 'ECS Service Action',
    time: '2026-02-01T00:00:00Z',
    resources: [serviceArn],
    detail: {
      eventType: 'INFO',
      eventName,
      clusterArn: 'arn:aws:ecs:af-south-1:000000000000:cluster/bbws-dev',
      createdAt: new Date(Date.parse('2026-02-01T00:00:00Z') + minute * 60_000).toISOString(),
    },
  };
}

describe('ECS state sync: the fact of an event', () => {
  it('takes both detail-types: createdAt (Service Action) or updatedAt (Deployment State Change) as `at`', () => {
    const arn = serviceArnOf('dev', ulid());
    expect(factOf(serviceAction(arn, 'SERVICE_STEADY_STATE', 1))).toMatchObject({
      fact: { eventName: 'SERVICE_STEADY_STATE', detailType: 'ECS Service Action', serviceArn: arn },
    });
    const failed = {
      id: 'd-1',
      source: 'aws.ecs',
      account: '000000000000',
      'detail-type': 'ECS Deployment State Change',
      time: '2026-02-01T00:00:00Z',
      resources: [arn],
      detail: {
        eventType: 'ERROR',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        deploymentId: 'ecs-svc/1',
        updatedAt: '2026-02-01T00:05:00Z',
        reason: 'circuit breaker',
      },
    };
    expect(factOf(failed)).toEqual({
      fact: {
        ecsEventId: 'd-1',
        detailType: 'ECS Deployment State Change',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        eventType: 'ERROR',
        at: '2026-02-01T00:05:00Z',
        serviceArn: arn,
        reason: 'circuit breaker',
        deploymentId: 'ecs-svc/1',
      },
    });
  });

  it('ignores an event name AWS added since (not in domain/ecs-events.ts)', () => {
    expect(factOf(serviceAction(serviceArnOf('dev', ulid()), 'SERVICE_SOMETHING_NEW', 1))).toMatchObject({
      ignored: expect.stringContaining('eventName'),
    });
  });
});

describe('ECS state sync: the consumer', () => {
  it('records the fact on the instance found by its recorded service ARN', async () => {
    const { runner, deliver, head, store } = world({ dev: '222222222222' });
    const tenantId = ulid();
    const instance = await activeInstance(runner, {
      tenantId,
      serviceArn: serviceArnOf('dev', tenantId, '222222222222'),
    });
    expect(await store.reservationHolder(`ecs-service:${instance.serviceArn}`)).toBe(instance.streamId);
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_TASK_START_IMPAIRED', 3));
    expect((await head(instance.streamId)).ecs.latest?.eventName).toBe('SERVICE_TASK_START_IMPAIRED');
  });

  it('falls back on the service name when the ARN is not recorded yet', async () => {
    const { runner, deliver, head } = world({ dev: '111111111111' });
    const instance = await activeInstance(runner, { withResources: false });
    const other = serviceArnOf('dev', instance.tenantId, '111111111111'); // same name, no ARN recorded
    await deliver(serviceAction(other, 'SERVICE_DEPLOYMENT_IN_PROGRESS', 2));
    expect((await head(instance.streamId)).ecs.latest?.eventName).toBe('SERVICE_DEPLOYMENT_IN_PROGRESS');
  });

  it('once the ARN is recorded, drops the facts of a same-named service elsewhere (another account) (review 10, #3)', async () => {
    const { runner, deliver, head, store } = world();
    const victim = await activeInstance(runner, { environment: 'prod' });
    const foreign = serviceArnOf('prod', victim.tenantId, '999999999999');
    const version = (await store.load(victim.streamId)).version;
    await deliver({
      ...serviceAction(foreign, 'SERVICE_DEPLOYMENT_FAILED', 5),
      'detail-type': 'ECS Deployment State Change',
      detail: {
        eventType: 'ERROR',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        updatedAt: '2026-02-01T00:05:00Z',
      },
    });
    expect((await head(victim.streamId)).status).toBe('ACTIVE');
    expect((await store.load(victim.streamId)).version).toBe(version);
  });

  it("drops a destroyed predecessor's steady state, dated before the new instance was requested (review 10, #3)", async () => {
    const store = new InMemoryEventStore(catalogue);
    const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
    const ecs = new InMemoryEcsControl();
    const sync = ecsStateSync(() => ({
      store,
      runner,
      services: () => ecs.services,
      clusterArnOf: (environment) => `arn:aws:ecs:af-south-1:000000000000:cluster/bbws-${environment}`,
      describeDeadlineMs: 50,
    }));
    const logger = new Logger({ logLevel: 'SILENT' });
    const { tenantId, streamId, run } = await runningInstance(runner, { environment: 'sit' });
    const steady = (createdAt: string): AwsServiceEvent => ({
      id: ulid(),
      source: 'aws.ecs',
      account: '000000000000',
      'detail-type': 'ECS Service Action',
      time: createdAt,
      resources: [serviceArnOf('sit', tenantId)],
      detail: { eventType: 'INFO', eventName: 'SERVICE_STEADY_STATE', createdAt },
    });
    // The predecessor's last steady state, an hour before this instance was requested, delivered late.
    await sync.handle(steady(new Date(Date.now() - 3600_000).toISOString()), { logger });
    await run({
      type: 'RecordWorkflowOutcome',
      change: 1,
      runId: 7,
      outcome: 'succeeded',
      conclusion: 'success',
    });
    const head = async () => stateOf(instanceDecider, await store.load(streamId)) as { status: string };
    expect((await head()).status).toBe('PROVISIONING');
    // The new service's own steady state (after the request) makes it ACTIVE.
    await sync.handle(steady(new Date(Date.now() + 1000).toISOString()), { logger });
    expect((await head()).status).toBe('ACTIVE');
  });

  it("ignores, with a log line, an event from another account than the environment's, found by ARN or by name", async () => {
    const { runner, deliver, head, store, info, describe: described } = world({ prod: '333333333333' });
    // found by name (no ARN recorded): a same-named service in the dev account, its events forwarded to this bus
    const named = await activeInstance(runner, { environment: 'prod', withResources: false });
    const before = (await store.load(named.streamId)).version;
    await deliver(
      serviceAction(serviceArnOf('prod', named.tenantId, '111111111111'), 'SERVICE_TASK_START_IMPAIRED', 2),
    );
    // the event's account says prod's, but its service ARN does not (and the other way round)
    const inProd = serviceArnOf('prod', named.tenantId, '333333333333');
    await deliver({ ...serviceAction(inProd, 'SERVICE_TASK_START_IMPAIRED', 3), account: '111111111111' });
    await deliver({
      ...serviceAction(
        serviceArnOf('prod', named.tenantId, '111111111111'),
        'SERVICE_TASK_START_IMPAIRED',
        4,
      ),
      account: '333333333333',
    });
    expect((await store.load(named.streamId)).version).toBe(before);
    const ignored = info.mock.calls.filter(([m]) => m === 'ECS event ignored').map(([, fields]) => fields);
    expect(ignored).toEqual([
      expect.objectContaining({ why: "from account 111111111111, not prod's (333333333333)" }),
      expect.objectContaining({ why: "from account 111111111111, not prod's (333333333333)" }),
      expect.objectContaining({ why: "a service of account 111111111111, not prod's (333333333333)" }),
    ]);
    expect(described).not.toHaveBeenCalled();
    // the same event from prod's own account is recorded
    await deliver(serviceAction(inProd, 'SERVICE_TASK_START_IMPAIRED', 5));
    expect((await head(named.streamId)).ecs.latest?.eventName).toBe('SERVICE_TASK_START_IMPAIRED');
  });

  it('ignores, with a log line, an event of a service the platform does not manage', async () => {
    const { deliver, info, store } = world();
    const arn = 'arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/someone-elses';
    await deliver(serviceAction(arn, 'SERVICE_STEADY_STATE', 1));
    await deliver(serviceAction(serviceArnOf('dev', ulid()), 'SERVICE_STEADY_STATE', 1)); // no such instance
    expect(info).toHaveBeenCalledWith(
      'ECS event ignored',
      expect.objectContaining({ why: 'not a managed service', serviceArn: arn }),
    );
    expect(info.mock.calls.filter(([m]) => m === 'ECS event ignored')).toHaveLength(2);
    expect(await store.reservationHolder(`ecs-service:${arn}`)).toBeUndefined();
  });

  it('never moves an instance backwards: duplicates and older events are no-ops', async () => {
    const { runner, deliver, head, store } = world();
    const instance = await activeInstance(runner);
    const steady = serviceAction(instance.serviceArn, 'SERVICE_STEADY_STATE', 10);
    const failed = {
      ...serviceAction(instance.serviceArn, 'SERVICE_DEPLOYMENT_FAILED', 5),
      'detail-type': 'ECS Deployment State Change',
      detail: {
        eventType: 'ERROR',
        eventName: 'SERVICE_DEPLOYMENT_FAILED',
        updatedAt: '2026-02-01T00:05:00Z',
      },
    };
    await deliver(steady);
    const version = (await store.load(instance.streamId)).version;
    await deliver(steady);
    await deliver(failed); // older than the steady state: dropped
    await deliver(steady);
    expect((await store.load(instance.streamId)).version).toBe(version);
    expect((await head(instance.streamId)).status).toBe('ACTIVE');
  });

  it('keeps a SUSPENDED instance SUSPENDED on SERVICE_STEADY_STATE at desired count 0', async () => {
    const { runner, deliver, head } = world();
    const instance = await activeInstance(runner);
    await runner.run({
      decider: instanceDecider,
      streamId: instance.streamId,
      command: { type: 'Suspend', reason: 'tenant parked' },
      metadata: { correlationId: ulid(), actor: 'test' },
      result: () => undefined,
    });
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_STEADY_STATE', 20));
    expect((await head(instance.streamId)).status).toBe('SUSPENDED');
  });
});

describe('ECS state sync: the service counts recorded with each fact', () => {
  it("records the service's desired and running counts (DescribeServices) with the fact", async () => {
    const { runner, ecs, describe, deliver, head, facts } = world();
    const instance = await activeInstance(runner);
    ecs.create(instance.serviceArn, 2);
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_STEADY_STATE', 10));
    expect(describe).toHaveBeenCalledWith(
      instance.serviceArn,
      expect.objectContaining({ signal: expect.any(AbortSignal) }),
    );
    expect((await facts(instance.streamId)).at(-1)).toMatchObject({
      eventName: 'SERVICE_STEADY_STATE',
      desiredCount: 2,
      runningCount: 2,
    });
    expect((await head(instance.streamId)).ecs).toMatchObject({ desiredCount: 2, runningCount: 2 });
  });

  it("takes the described counts over an event's own desiredCount (read later, as one pair)", async () => {
    const { runner, ecs, deliver, head } = world();
    const instance = await activeInstance(runner);
    ecs.create(instance.serviceArn, 3);
    const updated = serviceAction(instance.serviceArn, 'SERVICE_DESIRED_COUNT_UPDATED', 10);
    await deliver({ ...updated, detail: { ...(updated.detail as object), desiredCount: 2 } });
    expect((await head(instance.streamId)).ecs).toMatchObject({ desiredCount: 3, runningCount: 3 });
  });

  it('never lets an older fact, delivered late, replace the counts of a newer one', async () => {
    const { runner, ecs, deliver, head, store } = world();
    const instance = await activeInstance(runner);
    ecs.create(instance.serviceArn, 3);
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_STEADY_STATE', 10));
    const version = (await store.load(instance.streamId)).version;
    ecs.create(instance.serviceArn, 1); // the service changed since; the late fact is older than the recorded one
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_TASK_START_IMPAIRED', 5));
    expect((await store.load(instance.streamId)).version).toBe(version);
    expect((await head(instance.streamId)).ecs).toMatchObject({ desiredCount: 3, runningCount: 3 });
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_STEADY_STATE', 11)); // a newer one takes the new counts
    expect((await head(instance.streamId)).ecs).toMatchObject({ desiredCount: 1, runningCount: 1 });
  });

  it('records the fact without counts, logged at WARN, when the describe fails (throttled)', async () => {
    const { runner, ecs, describe, deliver, head, facts, warn } = world();
    const instance = await activeInstance(runner);
    ecs.create(instance.serviceArn, 2);
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_STEADY_STATE', 10));
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    describe.mockRejectedValueOnce(throttled);
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_TASK_START_IMPAIRED', 11));
    const last = (await facts(instance.streamId)).at(-1);
    expect(last).toMatchObject({ eventName: 'SERVICE_TASK_START_IMPAIRED' });
    expect(last).not.toHaveProperty('desiredCount');
    expect(last).not.toHaveProperty('runningCount');
    expect(warn).toHaveBeenCalledWith(
      'ECS fact recorded without the service counts',
      expect.objectContaining({ why: 'ThrottlingException: Rate exceeded', serviceArn: instance.serviceArn }),
    );
    // the last counts read stay shown (the decider keeps them when a newer fact carries none)
    expect((await head(instance.streamId)).ecs).toMatchObject({
      latest: { eventName: 'SERVICE_TASK_START_IMPAIRED' },
      desiredCount: 2,
      runningCount: 2,
    });
  });

  it("records the fact without counts when the service is gone (deleted), keeping an event's own desiredCount", async () => {
    const { runner, ecs, deliver, facts, warn } = world();
    const instance = await activeInstance(runner);
    ecs.create(instance.serviceArn, 1);
    ecs.delete(instance.serviceArn);
    const updated = serviceAction(instance.serviceArn, 'SERVICE_DESIRED_COUNT_UPDATED', 10);
    await deliver({ ...updated, detail: { ...(updated.detail as object), desiredCount: 0 } });
    const last = (await facts(instance.streamId)).at(-1);
    expect(last).toMatchObject({ eventName: 'SERVICE_DESIRED_COUNT_UPDATED', desiredCount: 0 });
    expect(last).not.toHaveProperty('runningCount');
    expect(warn).toHaveBeenCalledWith(
      'ECS fact recorded without the service counts',
      expect.objectContaining({ why: expect.stringContaining('no such service') }),
    );
  });

  it('records the fact without counts when the describe does not answer within its deadline, and aborts it', async () => {
    const { runner, ecs, describe, deliver, facts, warn } = world();
    const instance = await activeInstance(runner);
    ecs.create(instance.serviceArn, 2);
    let aborted: AbortSignal | undefined;
    describe.mockImplementationOnce((_arn, options) => {
      aborted = options?.signal;
      return new Promise(() => {}); // never answers
    });
    await deliver(serviceAction(instance.serviceArn, 'SERVICE_STEADY_STATE', 10));
    expect((await facts(instance.streamId)).at(-1)).not.toHaveProperty('runningCount');
    expect(aborted?.aborted).toBe(true);
    expect(warn).toHaveBeenCalledWith(
      'ECS fact recorded without the service counts',
      expect.objectContaining({ why: expect.stringContaining('DeadlineExceeded') }),
    );
  });

  it('describes no service it does not manage, and nothing for an event it ignores', async () => {
    const { deliver, describe } = world();
    await deliver(
      serviceAction(
        'arn:aws:ecs:af-south-1:000000000000:service/bbws-dev/someone-elses',
        'SERVICE_STEADY_STATE',
        1,
      ),
    );
    await deliver(serviceAction(serviceArnOf('dev', ulid()), 'SERVICE_SOMETHING_NEW', 1));
    expect(describe).not.toHaveBeenCalled();
  });
});
