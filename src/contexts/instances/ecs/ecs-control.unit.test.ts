import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { planOf } from '#src/contexts/plans/index.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { integrationDetail } from '#test/lambda-events.js';
import type { InstanceCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceState } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import { type ControlTrigger, controlPlan, ecsControl, namedServices } from './ecs-control.js';
import { InMemoryEcsControl } from './in-memory.ecs-control.js';
import { activeInstance, serviceArnOf } from './instance-fixtures.js';

const logger = new Logger({ logLevel: 'SILENT' });

function world() {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const ecs = new InMemoryEcsControl();
  const consumer = ecsControl(() => ({ store, ecs: () => ecs }));
  const deliver = (type: ControlTrigger, streamId: string) =>
    consumer.handle(integrationDetail({ streamId, type }), { logger });
  const command = (streamId: string, command: InstanceCommand) =>
    runner.run({
      decider: instanceDecider,
      streamId,
      command,
      metadata: { correlationId: ulid(), actor: 'test' },
      result: () => undefined,
    });
  const head = async (streamId: string) =>
    stateOf(instanceDecider, await store.load(streamId)) as Exclude<InstanceState, { status: 'NEW' }>;
  return { store, runner, ecs, deliver, command, head };
}

async function running() {
  const w = world();
  const instance = await activeInstance(w.runner, { planId: 'business' }); // business: 1 desired, 1..4
  w.ecs.create(instance.serviceArn, 1);
  w.ecs.bounds.set(instance.serviceArn, { minCount: 1, maxCount: 4 });
  return { ...w, instance };
}

describe('ECS control: the plan, from the head', () => {
  it('does nothing for an instance without a recorded service, deprovisioning or deleted', async () => {
    const w = world();
    const instance = await activeInstance(w.runner);
    await w.command(instance.streamId, { type: 'Deprovision', reason: 'deleted' });
    expect(controlPlan('INSTANCE_RESUMED', await w.head(instance.streamId))).toMatchObject({
      action: 'none',
    });
    expect(controlPlan('INSTANCE_SCALED', { status: 'NEW' })).toMatchObject({ action: 'none' });
  });

  it('holds a SUSPENDED instance at 0 with bounds 0..0, whichever event arrives', async () => {
    const { instance, command, head } = await running();
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    for (const trigger of [
      'INSTANCE_SCALED',
      'INSTANCE_SUSPENDED',
      'INSTANCE_RESUMED',
      'INSTANCE_WORKFLOW_SUCCEEDED',
    ] as const)
      expect(controlPlan(trigger, await head(instance.streamId))).toMatchObject({
        action: 'apply',
        bounds: { minCount: 0, maxCount: 0 },
        desiredCount: 0,
      });
  });

  it('leaves a workflow success of a serving instance to Terraform', async () => {
    const { instance, head } = await running();
    expect(controlPlan('INSTANCE_WORKFLOW_SUCCEEDED', await head(instance.streamId))).toMatchObject({
      action: 'none',
    });
  });
});

describe('ECS control: the consumer on the in-memory adapters', () => {
  it('scales the service to the head desired count (only the count)', async () => {
    const { instance, command, deliver, ecs } = await running();
    await command(instance.streamId, { type: 'Scale', desiredCount: 3 });
    await deliver('INSTANCE_SCALED', instance.streamId);
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(3);
    expect(ecs.calls).toEqual(['desired 3']);
  });

  it('suspends with bounds 0..0 first, then desired count 0; a repeat writes nothing', async () => {
    const { instance, command, deliver, ecs } = await running();
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    await deliver('INSTANCE_SUSPENDED', instance.streamId);
    await deliver('INSTANCE_SUSPENDED', instance.streamId);
    expect(ecs.bounds.get(instance.serviceArn)).toEqual({ minCount: 0, maxCount: 0 });
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(0);
    // Registering 0..0 already brings the count to 0 (autoscaling): nothing else to write, now or on the repeat.
    expect(ecs.calls).toEqual(['bounds 0..0']);
  });

  it('resumes with the old counts: bounds (min, max), then the desired count', async () => {
    const { instance, command, deliver, ecs } = await running();
    await command(instance.streamId, { type: 'Scale', desiredCount: 3 });
    await deliver('INSTANCE_SCALED', instance.streamId);
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    await deliver('INSTANCE_SUSPENDED', instance.streamId);
    await command(instance.streamId, { type: 'Resume' });
    await deliver('INSTANCE_RESUMED', instance.streamId);
    expect(ecs.bounds.get(instance.serviceArn)).toEqual({ minCount: 1, maxCount: 4 });
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(3);
    expect(ecs.calls.slice(-2)).toEqual(['bounds 1..4', 'desired 3']);
  });

  it('a late INSTANCE_SUSPENDED after the resume restores the counts, never stops the service', async () => {
    const { instance, command, deliver, ecs } = await running();
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    await command(instance.streamId, { type: 'Resume' });
    await deliver('INSTANCE_RESUMED', instance.streamId);
    await deliver('INSTANCE_SUSPENDED', instance.streamId);
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(1);
    expect(ecs.bounds.get(instance.serviceArn)).toEqual({ minCount: 1, maxCount: 4 });
  });

  it('applies 0/0 again when a workflow succeeds for a SUSPENDED instance', async () => {
    const { instance, command, deliver, ecs } = await running();
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    await deliver('INSTANCE_SUSPENDED', instance.streamId);
    // Terraform applied a folder committed before the suspension: the service runs again.
    ecs.bounds.set(instance.serviceArn, { minCount: 1, maxCount: 4 });
    ecs.counts.set(instance.serviceArn, { desiredCount: 1, runningCount: 1 });
    await deliver('INSTANCE_WORKFLOW_SUCCEEDED', instance.streamId);
    expect(ecs.bounds.get(instance.serviceArn)).toEqual({ minCount: 0, maxCount: 0 });
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(0);
  });

  it('plans again when the head moved while it wrote (a concurrent handler of an older head never wins)', async () => {
    const { instance, command, deliver, ecs } = await running();
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    // While this handler writes 0..0 for the head it loaded, the tenant is unparked and the instance resumed
    // (the resume's own handler already ran against the stand-in before this late write).
    const register = ecs.targets.register;
    let resumed = false;
    ecs.targets.register = async (arn, bounds) => {
      await register(arn, bounds);
      if (resumed) return;
      resumed = true;
      await command(instance.streamId, { type: 'Resume' });
    };
    await deliver('INSTANCE_SUSPENDED', instance.streamId);
    expect(ecs.bounds.get(instance.serviceArn)).toEqual({ minCount: 1, maxCount: 4 });
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(1);
  });

  it('writes once when only ECS facts land on the stream while it writes (no plan changed: no reason to replan)', async () => {
    const { instance, command, deliver, ecs } = await running();
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    // Every write of this handler is followed by an ECS fact (the state sync reporting the service), more of
    // them than the handler's rounds: they move the stream, not the plan.
    const register = ecs.targets.register;
    let writes = 0;
    ecs.targets.register = async (arn, bounds) => {
      await register(arn, bounds);
      writes++;
      await command(instance.streamId, {
        type: 'RecordEcsEvent',
        fact: {
          ecsEventId: `fact-${writes}`,
          detailType: 'ECS Service Action',
          eventName: 'SERVICE_STEADY_STATE',
          eventType: 'INFO',
          at: new Date(Date.now() + writes).toISOString(),
          serviceArn: instance.serviceArn,
        },
      });
    };
    await deliver('INSTANCE_SUSPENDED', instance.streamId);
    expect(writes).toBe(1);
    expect(ecs.bounds.get(instance.serviceArn)).toEqual({ minCount: 0, maxCount: 0 });
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(0);
  });

  it('stops a service recorded after the suspension (the workflow succeeded before its ARN was known)', async () => {
    const w = world();
    const instance = await activeInstance(w.runner, { withResources: false });
    await w.command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    await w.deliver('INSTANCE_WORKFLOW_SUCCEEDED', instance.streamId); // nothing to stop yet: no ARN recorded
    const serviceArn = serviceArnOf('dev', instance.tenantId); // the tenant's own service, recorded late
    w.ecs.create(serviceArn, 1);
    // Reported by the current change: the sync the suspension started (change 2) applies the folder too.
    await w.command(instance.streamId, { type: 'RecordResources', change: 2, resources: { serviceArn } });
    await w.deliver('INSTANCE_RESOURCES_RECORDED', instance.streamId);
    expect(w.ecs.counts.get(serviceArn)?.desiredCount).toBe(0);
    expect(w.ecs.bounds.get(serviceArn)).toEqual({ minCount: 0, maxCount: 0 });
  });

  it("restores the counts when a suspension's 0/0 folder is applied after the resume (a sync at the head)", async () => {
    const { instance, command, deliver, ecs, head } = await running();
    await command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' }); // sync change 2: 0/0
    await command(instance.streamId, { type: 'Resume' }); // change 2 in flight: checked when it settles
    const run = { runId: 702, runUrl: 'https://github.com/bbws/env-dev/actions/runs/702' };
    for (const step of [
      { type: 'RecordCommit', change: 2, commitSha: 'c'.repeat(40), changed: true, suspended: true },
      { type: 'RecordWorkflowQueued', change: 2, ...run },
      {
        type: 'RecordWorkflowOutcome',
        change: 2,
        runId: run.runId,
        outcome: 'succeeded',
        conclusion: 'success',
      },
    ] satisfies InstanceCommand[])
      await command(instance.streamId, step);
    // What Terraform did with the 0/0 folder.
    ecs.bounds.set(instance.serviceArn, { minCount: 0, maxCount: 0 });
    ecs.counts.set(instance.serviceArn, { desiredCount: 0, runningCount: 0 });
    expect((await head(instance.streamId)).change).toMatchObject({ n: 3, kind: 'sync' });
    await deliver('INSTANCE_WORKFLOW_SUCCEEDED', instance.streamId);
    expect(ecs.bounds.get(instance.serviceArn)).toEqual({ minCount: 1, maxCount: 4 });
    expect(ecs.counts.get(instance.serviceArn)?.desiredCount).toBe(1);
  });

  it('does nothing, without failing, when the recorded service no longer exists', async () => {
    const w = world();
    const instance = await activeInstance(w.runner);
    await w.command(instance.streamId, { type: 'Suspend', reason: 'tenant parked' });
    await expect(w.deliver('INSTANCE_SUSPENDED', instance.streamId)).resolves.toBeUndefined();
    expect(w.ecs.calls).toEqual([]);
  });
});

/**
 * Review 10, #4: the deploy-outcome report (the only record of the service's ARN) was missed, yet the workflow
 * succeeded: ECS control falls back to the service the naming convention gives in the environment's cluster.
 */
describe('ECS control: an instance whose service was never recorded', () => {
  const CLUSTERS = { prod: 'arn:aws:ecs:af-south-1:000000000000:cluster/bbws-prod' };
  const named = namedServices(CLUSTERS);
  let slots = 0;

  /** Provisioned, the run succeeded and ECS said steady, but no resources were recorded; then suspended. */
  async function unrecorded(w: ReturnType<typeof world>, until: 'committed' | 'suspended') {
    const tenantId = ulid();
    const instanceId = ulid();
    const streamId = instanceStream.id(instanceId);
    const { planId, version, tier, environments } = planOf('business');
    const ref = { runId: 7, runUrl: 'https://github.com/o/prod-env/actions/runs/7' };
    const steps: InstanceCommand[] = [
      {
        type: 'RequestProvisioning',
        instanceId,
        tenantId,
        environment: 'prod',
        tenantEnvironment: 'prod',
        plan: { planId, version, tier, environments },
        albSlot: { alb: 1, priority: ++slots },
      },
      { type: 'RecordCommit', change: 1, commitSha: 'b'.repeat(40), changed: true },
    ];
    if (until === 'suspended')
      steps.push(
        { type: 'RecordWorkflowQueued', change: 1, ...ref },
        { type: 'RecordWorkflowRunning', change: 1, ...ref },
        { type: 'RecordWorkflowOutcome', change: 1, runId: 7, outcome: 'succeeded', conclusion: 'success' },
        {
          type: 'RecordEcsEvent',
          fact: {
            ecsEventId: 'e1',
            detailType: 'ECS Service Action',
            eventName: 'SERVICE_STEADY_STATE',
            eventType: 'INFO',
            at: new Date().toISOString(),
            serviceArn: serviceArnOf('prod', tenantId),
          },
        },
        { type: 'Suspend', reason: 'tenant parked' },
      );
    for (const step of steps) await w.command(streamId, step);
    return { streamId, serviceArn: serviceArnOf('prod', tenantId) };
  }

  it('plans 0/0 on the named service for a SUSPENDED head without resources (the review repro)', async () => {
    const w = world();
    const { streamId, serviceArn } = await unrecorded(w, 'suspended');
    const head = await w.head(streamId);
    expect(head.status).toBe('SUSPENDED');
    expect(head.resources).toBeUndefined();
    expect(controlPlan('INSTANCE_SUSPENDED', head, named)).toEqual({
      action: 'apply',
      serviceArn,
      environment: 'prod',
      bounds: { minCount: 0, maxCount: 0 },
      desiredCount: 0,
    });
    // Without the environment's cluster, or before any workflow succeeded, there is still nothing to control.
    expect(controlPlan('INSTANCE_SUSPENDED', head)).toMatchObject({ action: 'none' });
    expect(controlPlan('INSTANCE_SUSPENDED', head, namedServices({}))).toMatchObject({ action: 'none' });
    const committed = await w.head((await unrecorded(w, 'committed')).streamId);
    expect(controlPlan('INSTANCE_SCALED', committed, named)).toMatchObject({ action: 'none' });
  });

  it('the consumer suspends the named service when it is given the clusters', async () => {
    const w = world();
    const { streamId, serviceArn } = await unrecorded(w, 'suspended');
    w.ecs.create(serviceArn, 1);
    w.ecs.bounds.set(serviceArn, { minCount: 1, maxCount: 4 });
    const consumer = ecsControl(() => ({ store: w.store, ecs: () => w.ecs, namedService: named }));
    await consumer.handle(integrationDetail({ streamId, type: 'INSTANCE_SUSPENDED' as const }), { logger });
    expect(w.ecs.bounds.get(serviceArn)).toEqual({ minCount: 0, maxCount: 0 });
    expect(w.ecs.counts.get(serviceArn)?.desiredCount).toBe(0);
  });
});
