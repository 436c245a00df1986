import { describe, expect, it } from 'vitest';
import { fold } from '#src/platform/domain/decider.js';
import {
  IllegalStateError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '#src/platform/domain/errors.js';
import { deciderSpec } from '#test/decider-spec.js';
import type { InstanceCommand } from './instance.commands.js';
import { ECS_CLOCK_SKEW_MS, instanceDecider } from './instance.decider.js';
import type { InstanceEvent } from './instance.events.js';
import type { InstanceState } from './instance.state.js';
import { BIGGER_PLAN, ecsFact, PLAN, RUN, SERVICE_ARN, SHA, STATE_FIXTURES } from './transition-table.js';

const spec = deciderSpec(instanceDecider);
const history = (label: string): InstanceEvent[] => {
  const found = STATE_FIXTURES.find((f) => f.label === label);
  if (!found) throw new Error(label);
  return [...found.history];
};
const stateAfter = (events: readonly InstanceEvent[]) =>
  fold(instanceDecider, instanceDecider.initialState(), events) as Exclude<InstanceState, { status: 'NEW' }>;
const ecs = (name: Parameters<typeof ecsFact>[0], minutes: number, id?: string): InstanceCommand => ({
  type: 'RecordEcsEvent',
  fact: ecsFact(name, minutes, id),
});
const [requested] = history('PENDING_PROVISIONING') as [InstanceEvent];
const create = (
  over: Partial<Extract<InstanceCommand, { type: 'RequestProvisioning' }>> = {},
): InstanceCommand => ({
  type: 'RequestProvisioning',
  instanceId: '01JD0000000000000000000002',
  tenantId: '01JD0000000000000000000001',
  environment: 'prod',
  tenantEnvironment: 'prod',
  plan: PLAN,
  albSlot: { alb: 1, priority: 1 },
  ...over,
});

describe('instance decider: creation', () => {
  it("requests provisioning with the plan's tier and the ALB slot", () =>
    spec.given([]).when(create()).thenEmits([requested]));

  it('refuses an environment above the tenant or outside the plan (422 naming environment)', () => {
    spec
      .given([])
      .when(create({ environment: 'prod', tenantEnvironment: 'sit' }))
      .thenThrows(UnprocessableError, { field: 'environment', code: 'environment_not_allowed' });
    // starter includes dev and prod, not sit
    spec
      .given([])
      .when(create({ environment: 'sit' }))
      .thenThrows(UnprocessableError, { field: 'environment' });
    spec
      .given([])
      .when(create({ environment: 'sit', plan: BIGGER_PLAN }))
      .thenEmits([
        {
          ...requested,
          data: {
            ...(requested.data as object),
            environment: 'sit',
            planId: 'business',
            tier: BIGGER_PLAN.tier,
          },
        } as InstanceEvent,
      ]);
  });

  it('refuses a tier Terraform would refuse, and a second creation', () => {
    spec
      .given([])
      .when(create({ plan: { ...PLAN, tier: { ...PLAN.tier, memoryMiB: 300 } } }))
      .thenThrows(ValidationError, { field: 'tier' });
    spec.given([requested]).when(create()).thenThrows(IllegalStateError, { code: 'instance_exists' });
    spec.given([]).when({ type: 'Scale', desiredCount: 1 }).thenThrows(NotFoundError);
  });

  it('reserves the tenant and environment and the ALB slot, the service ARN once recorded, and releases all on DELETED', () => {
    const reserve = (given: InstanceEvent[], events: InstanceEvent[]) =>
      instanceDecider.reservations?.(stateAfter(given), events);
    expect(reserve([], [requested])).toEqual({
      claim: ['instance:01JD0000000000000000000001:prod', 'alb:prod:1:1'],
      release: [],
    });
    const resources: InstanceEvent = {
      type: 'INSTANCE_RESOURCES_RECORDED',
      data: { change: 1, resources: { serviceArn: SERVICE_ARN } },
    };
    expect(reserve(history('ACTIVE'), [resources])).toEqual({
      claim: [`ecs-service:${SERVICE_ARN}`],
      release: [],
    });
    const deleted = history('DELETED');
    const last = deleted.pop() as InstanceEvent;
    expect(reserve([...deleted, resources], [last])).toEqual({
      claim: [],
      release: ['instance:01JD0000000000000000000001:prod', 'alb:prod:1:1', `ecs-service:${SERVICE_ARN}`],
    });
  });
});

describe('instance decider: provisioning steps are idempotent', () => {
  it('records a commit once: the same SHA again is a no-op, another SHA is refused', () => {
    spec
      .given(history('COMMITTING'))
      .when({ type: 'RecordCommit', change: 1, commitSha: SHA, changed: true })
      .thenEmits([{ type: 'INSTANCE_COMMITTED', data: { change: 1, commitSha: SHA, changed: true } }]);
    spec
      .given(history('WORKFLOW_QUEUED'))
      .when({ type: 'RecordCommit', change: 1, commitSha: SHA, changed: true })
      .thenEmits([]);
    spec
      .given(history('WORKFLOW_QUEUED'))
      .when({ type: 'RecordCommit', change: 1, commitSha: 'b'.repeat(40), changed: true })
      .thenThrows(IllegalStateError, { code: 'commit_already_recorded' });
  });

  it('records a run once: the same run again is a no-op, another run is refused, running never goes back to queued', () => {
    spec
      .given(history('WORKFLOW_RUNNING'))
      .when({ type: 'RecordWorkflowQueued', change: 1, ...RUN })
      .thenEmits([]);
    spec
      .given(history('WORKFLOW_QUEUED'))
      .when({ type: 'RecordWorkflowRunning', change: 1, runId: 102, runUrl: RUN.runUrl })
      .thenThrows(IllegalStateError, { code: 'run_already_recorded' });
    spec
      .given(history('WORKFLOW_RUNNING'))
      .when({
        type: 'RecordWorkflowOutcome',
        change: 1,
        runId: 7,
        outcome: 'succeeded',
        conclusion: 'success',
      })
      .thenThrows(IllegalStateError, { code: 'run_already_recorded' });
  });

  it('drops the steps of a superseded change and refuses a change never requested', () => {
    const superseded = [...history('PENDING_PROVISIONING')];
    const tier: InstanceEvent = {
      type: 'INSTANCE_TIER_APPLIED',
      data: { planId: 'business', planVersion: 1, tier: BIGGER_PLAN.tier, desiredCount: 1, change: 2 },
    };
    spec
      .given([...superseded, tier])
      .when({ type: 'RecordCommit', change: 1, commitSha: SHA, changed: true })
      .thenEmits([]);
    spec
      .given(superseded)
      .when({ type: 'RecordCommitStarted', change: 2 })
      .thenThrows(IllegalStateError, { code: 'unknown_change' });
  });

  it('fails a change before any run (a broken Terraform folder) and is FAILED', () => {
    const events = instanceDecider.decide(
      {
        type: 'RecordWorkflowOutcome',
        change: 1,
        outcome: 'failed',
        conclusion: 'check_failed',
        reason: 'bad ref',
      },
      stateAfter(history('COMMITTING')),
    );
    expect(events).toEqual([
      {
        type: 'INSTANCE_WORKFLOW_FAILED',
        data: { change: 1, conclusion: 'check_failed', reason: 'bad ref' },
      },
    ]);
    expect(stateAfter([...history('COMMITTING'), ...events]).status).toBe('FAILED');
  });

  it('goes ACTIVE when the workflow succeeds if its new service was already reported steady while it ran', () => {
    const running = history('WORKFLOW_RUNNING');
    const steady = instanceDecider.decide(ecs('SERVICE_STEADY_STATE', 5), stateAfter(running));
    const succeeded: InstanceEvent = {
      type: 'INSTANCE_WORKFLOW_SUCCEEDED',
      data: { change: 1, runId: RUN.runId },
    };
    expect(stateAfter([...running, ...steady, succeeded]).status).toBe('ACTIVE');
    // steady, then a new deployment in progress before the workflow ends: PROVISIONING, not ACTIVE
    const failed = instanceDecider.decide(
      ecs('SERVICE_DEPLOYMENT_IN_PROGRESS', 6),
      stateAfter([...running, ...steady]),
    );
    expect(stateAfter([...running, ...steady, ...failed, succeeded]).status).toBe('PROVISIONING');
  });
});

describe("instance decider: resources, once per change and only this instance's service (review 10, #2)", () => {
  const TENANT = '01JD0000000000000000000001';
  const OTHER_TENANT = '01JD0000000000000000000009';
  const record = (resources: { serviceArn: string; serviceName?: string }, change = 1): InstanceCommand => ({
    type: 'RecordResources',
    change,
    resources,
  });
  const recorded = (resources: { serviceArn: string }, change = 1): InstanceEvent => ({
    type: 'INSTANCE_RESOURCES_RECORDED',
    data: { change, resources },
  });
  const succeeded = history('PROVISIONING');

  it('records the service the naming convention gives this instance; the same set again is a no-op', () => {
    spec
      .given(succeeded)
      .when(record({ serviceArn: SERVICE_ARN, serviceName: `bbws-prod-tenant-${TENANT}` }))
      .thenEmits([
        {
          type: 'INSTANCE_RESOURCES_RECORDED',
          data: {
            change: 1,
            resources: { serviceArn: SERVICE_ARN, serviceName: `bbws-prod-tenant-${TENANT}` },
          },
        },
      ]);
    spec
      .given([...succeeded, recorded({ serviceArn: SERVICE_ARN })])
      .when(record({ serviceArn: SERVICE_ARN }))
      .thenEmits([]);
  });

  it('refuses another set for a change that recorded its resources (409 resources_already_recorded)', () => {
    const elsewhere = SERVICE_ARN.replace('093646564004', '111111111111');
    spec
      .given([...history('ACTIVE'), recorded({ serviceArn: SERVICE_ARN })])
      .when(record({ serviceArn: elsewhere }))
      .thenThrows(IllegalStateError, { code: 'resources_already_recorded' });
    spec
      .given([...history('ACTIVE'), recorded({ serviceArn: SERVICE_ARN })])
      .when(record({ serviceArn: SERVICE_ARN, serviceName: `bbws-prod-tenant-${TENANT}` }))
      .thenThrows(IllegalStateError, { code: 'resources_already_recorded' });
  });

  it("a later change records its own outputs (a tier change's new task definition)", () => {
    const tierChange = [
      ...history('SCALING (tier change in flight)').slice(0, -1),
      recorded({ serviceArn: SERVICE_ARN }),
      ...history('SCALING (tier change in flight)').slice(-1),
    ];
    const taskDefinitionArn = 'arn:aws:ecs:af-south-1:093646564004:task-definition/bbws-prod:2';
    spec
      .given(tierChange)
      .when({ type: 'RecordResources', change: 2, resources: { serviceArn: SERVICE_ARN, taskDefinitionArn } })
      .thenEmits([
        {
          type: 'INSTANCE_RESOURCES_RECORDED',
          data: { change: 2, resources: { serviceArn: SERVICE_ARN, taskDefinitionArn } },
        },
      ]);
  });

  it("refuses another tenant's or environment's service, or none by the convention (422 naming the field)", () => {
    for (const serviceArn of [
      SERVICE_ARN.replace(TENANT, OTHER_TENANT).replace(TENANT, OTHER_TENANT),
      SERVICE_ARN.replace(/bbws-prod/g, 'bbws-dev'),
      'arn:aws:ecs:af-south-1:000000000000:service/x/bogus',
      `arn:aws:iam::093646564004:role/bbws-prod-tenant-${TENANT}`,
    ]) {
      spec
        .given(succeeded)
        .when(record({ serviceArn }))
        .thenThrows(UnprocessableError, { field: 'resources.serviceArn', code: 'service_not_this_instance' });
      // not even over resources already recorded: the refusal names the service, nothing is appended
      spec
        .given([...succeeded, recorded({ serviceArn: SERVICE_ARN })])
        .when(record({ serviceArn }))
        .thenThrows(UnprocessableError, { field: 'resources.serviceArn' });
    }
    spec
      .given(succeeded)
      .when(record({ serviceArn: SERVICE_ARN, serviceName: `bbws-prod-tenant-${OTHER_TENANT}` }))
      .thenThrows(UnprocessableError, { field: 'resources.serviceName', code: 'service_not_this_instance' });
  });
});

describe('instance decider: ECS facts', () => {
  const active = history('ACTIVE'); // its newest ECS fact: SERVICE_STEADY_STATE at minute 1

  it('once the service ARN is recorded, drops a fact of any other service (review 10, #3)', () => {
    const owned = [
      ...active,
      {
        type: 'INSTANCE_RESOURCES_RECORDED',
        data: { change: 1, resources: { serviceArn: SERVICE_ARN } },
      } as InstanceEvent,
    ];
    const foreign = {
      ...ecsFact('SERVICE_DEPLOYMENT_FAILED', 5),
      serviceArn: SERVICE_ARN.replace('093646564004', '999999999999'),
    };
    spec.given(owned).when({ type: 'RecordEcsEvent', fact: foreign }).thenEmits([]);
    spec
      .given(owned)
      .when(ecs('SERVICE_DEPLOYMENT_FAILED', 5))
      .thenEmits([{ type: 'ECS_SERVICE_EVENT', data: ecsFact('SERVICE_DEPLOYMENT_FAILED', 5) }]);
  });

  it("before the ARN is recorded, drops a fact dated before the instance was requested, less the clock skew (a predecessor's)", () => {
    // requested at minute 10 (the platform's clock); facts are dated by ECS's
    const requestedAt = new Date(Date.parse(ecsFact('TASKS_STOPPED', 10).at)).toISOString();
    const running = history('WORKFLOW_RUNNING').map((e, i) => ({
      ...e,
      occurredAt: i === 0 ? requestedAt : undefined,
    }));
    const state = running.reduce(instanceDecider.evolve, instanceDecider.initialState()) as Exclude<
      InstanceState,
      { status: 'NEW' }
    >;
    expect(state.createdAt).toBe(requestedAt);
    const skewMinutes = ECS_CLOCK_SKEW_MS / 60_000;
    expect(instanceDecider.decide(ecs('SERVICE_STEADY_STATE', 10 - skewMinutes - 1), state)).toEqual([]);
    expect(instanceDecider.decide(ecs('SERVICE_STEADY_STATE', 10 - skewMinutes), state)).toHaveLength(1);
    const steady = instanceDecider.decide(ecs('SERVICE_STEADY_STATE', 11), state);
    expect(steady).toHaveLength(1);
  });

  it("drops a fact dated before the service's creation, ARN recorded or not (serviceCreatedAt: ECS's clock only)", () => {
    // A re-created service has its predecessor's ARN: a late fact of the predecessor names the recorded ARN. No
    // occurredAt in this history: only ECS's own dates tell the two apart.
    const owned = [
      ...history('WORKFLOW_RUNNING'),
      { type: 'INSTANCE_RESOURCES_RECORDED', data: { change: 1, resources: { serviceArn: SERVICE_ARN } } },
    ] as InstanceEvent[];
    const createdAt = ecsFact('TASKS_STOPPED', 20).at;
    const late = { ...ecsFact('SERVICE_STEADY_STATE', 19), serviceCreatedAt: createdAt };
    // the first fact recorded, carrying the new service's creation: its own date says it is the predecessor's
    spec.given(owned).when({ type: 'RecordEcsEvent', fact: late }).thenEmits([]);
    const first = { ...ecsFact('SERVICE_DEPLOYMENT_IN_PROGRESS', 20), serviceCreatedAt: createdAt };
    spec
      .given(owned)
      .when({ type: 'RecordEcsEvent', fact: first })
      .thenEmits([{ type: 'ECS_SERVICE_EVENT', data: first }]);
    // once recorded, a later fact without it (the sync could not read the service) is still held to it
    const after = [...owned, { type: 'ECS_SERVICE_EVENT', data: first } as InstanceEvent];
    expect(stateAfter(after).ecs.serviceCreatedAt).toBe(createdAt);
    spec
      .given(after)
      .when(ecs('SERVICE_STEADY_STATE', 19, 'ecs-zzz'))
      .thenEmits([]);
    spec
      .given(after)
      .when(ecs('SERVICE_STEADY_STATE', 21))
      .thenEmits([{ type: 'ECS_SERVICE_EVENT', data: ecsFact('SERVICE_STEADY_STATE', 21) }]);
  });

  it('ignores a fact older than the newest, and a duplicate', () => {
    spec.given(active).when(ecs('SERVICE_DEPLOYMENT_FAILED', 0)).thenEmits([]);
    spec.given(active).when(ecs('SERVICE_STEADY_STATE', 1)).thenEmits([]);
  });

  it('orders facts of the same millisecond by their EventBridge id', () => {
    spec
      .given(active)
      .when(ecs('TASKS_STOPPED', 1, 'ecs-SERVICE_STEADY_STATE-0'))
      .thenEmits([]);
    spec
      .given(active)
      .when(ecs('TASKS_STOPPED', 1, 'ecs-zzz'))
      .thenEmits([{ type: 'ECS_SERVICE_EVENT', data: ecsFact('TASKS_STOPPED', 1, 'ecs-zzz') }]);
  });

  it('keeps a SUSPENDED instance SUSPENDED on a steady state at desired count 0', () => {
    const suspended = history('SUSPENDED');
    const fact = { ...ecsFact('SERVICE_STEADY_STATE', 9), desiredCount: 0 };
    const events = instanceDecider.decide({ type: 'RecordEcsEvent', fact }, stateAfter(suspended));
    expect(stateAfter([...suspended, ...events])).toMatchObject({
      status: 'SUSPENDED',
      ecs: { desiredCount: 0 },
    });
  });

  it('scales on the scheduler and is ACTIVE again on the next steady state', () => {
    const scaled = instanceDecider.decide(
      { type: 'RecordEcsEvent', fact: { ...ecsFact('SERVICE_DESIRED_COUNT_UPDATED', 2), desiredCount: 2 } },
      stateAfter(active),
    );
    const steady = instanceDecider.decide(ecs('SERVICE_STEADY_STATE', 3), stateAfter([...active, ...scaled]));
    expect(stateAfter([...active, ...scaled]).status).toBe('SCALING');
    expect(stateAfter([...active, ...scaled, ...steady])).toMatchObject({
      status: 'ACTIVE',
      ecs: { recorded: 3 },
    });
  });
});

describe('instance decider: commands', () => {
  it('scales within the plan, refuses outside it (422 naming desiredCount), records nothing for the same count', () => {
    spec
      .given(history('ACTIVE'))
      .when({ type: 'Scale', desiredCount: 2 })
      .thenEmits([{ type: 'INSTANCE_SCALED', data: { desiredCount: 2, previousDesiredCount: 1 } }]);
    spec
      .given(history('ACTIVE'))
      .when({ type: 'Scale', desiredCount: 3 })
      .thenThrows(UnprocessableError, { field: 'desiredCount', code: 'desired_count_out_of_bounds' });
    spec.given(history('ACTIVE')).when({ type: 'Scale', desiredCount: 0 }).thenThrows(UnprocessableError);
    spec.given(history('ACTIVE')).when({ type: 'Scale', desiredCount: 1 }).thenEmits([]);
    spec
      .given(history('PROVISIONING'))
      .when({ type: 'Scale', desiredCount: 2 })
      .thenThrows(IllegalStateError, { code: 'instance_not_serving' });
  });

  it('a scale to the count ECS is already steady at (autoscaling reached it) leaves the instance ACTIVE', () => {
    const active = history('ACTIVE');
    const atTwo = (minute: number, runningCount: number): InstanceEvent => ({
      type: 'ECS_SERVICE_EVENT',
      data: { ...ecsFact('SERVICE_STEADY_STATE', minute), desiredCount: 2, runningCount },
    });
    const autoscaled: InstanceEvent[] = [
      ...active,
      {
        type: 'ECS_SERVICE_EVENT',
        data: { ...ecsFact('SERVICE_DESIRED_COUNT_UPDATED', 2), desiredCount: 2 },
      },
      atTwo(3, 2),
    ];
    expect(stateAfter(autoscaled).status).toBe('ACTIVE');
    const scaled = instanceDecider.decide({ type: 'Scale', desiredCount: 2 }, stateAfter(autoscaled));
    expect(scaled).toEqual([{ type: 'INSTANCE_SCALED', data: { desiredCount: 2, previousDesiredCount: 1 } }]);
    expect(stateAfter([...autoscaled, ...scaled])).toMatchObject({ status: 'ACTIVE', desiredCount: 2 });
    // Not there yet (one task running of two, or not steady): SCALING until ECS says steady.
    const starting = [...autoscaled.slice(0, -1), atTwo(3, 1)];
    expect(stateAfter([...starting, ...scaled]).status).toBe('SCALING');
    const notSteady = autoscaled.slice(0, -1);
    expect(stateAfter([...notSteady, ...scaled]).status).toBe('SCALING');
    // Another count than ECS runs: SCALING, as before.
    const back = instanceDecider.decide(
      { type: 'Scale', desiredCount: 1 },
      stateAfter([...autoscaled, ...scaled]),
    );
    expect(stateAfter([...autoscaled, ...scaled, ...back]).status).toBe('SCALING');
  });

  it('a scale during a tier change stays SCALING even at the count ECS runs', () => {
    const inFlight = [
      ...history('SCALING (tier change in flight)'),
      {
        type: 'ECS_SERVICE_EVENT',
        data: { ...ecsFact('SERVICE_STEADY_STATE', 3), desiredCount: 2, runningCount: 2 },
      } as InstanceEvent,
    ];
    const scaled = instanceDecider.decide({ type: 'Scale', desiredCount: 2 }, stateAfter(inFlight));
    expect(stateAfter([...inFlight, ...scaled]).status).toBe('SCALING');
  });

  it('suspends with the counts ECS last reported (within the tier), and resumes with exactly those', () => {
    const active = history('ACTIVE');
    const scaled = instanceDecider.decide(
      { type: 'RecordEcsEvent', fact: { ...ecsFact('SERVICE_DESIRED_COUNT_UPDATED', 2), desiredCount: 2 } },
      stateAfter(active),
    );
    const suspended = instanceDecider.decide(
      { type: 'Suspend', reason: 'tenant parked' },
      stateAfter([...active, ...scaled]),
    );
    const previousCounts = { desiredCount: 2, minCount: 1, maxCount: 2 };
    expect(suspended).toEqual([
      { type: 'INSTANCE_SUSPENDED', data: { previousCounts, reason: 'tenant parked' } },
      { type: 'INSTANCE_FOLDER_SYNC_REQUESTED', data: { change: 2, suspended: true } },
    ]);
    const all = [...active, ...scaled, ...suspended];
    spec.given(all).when({ type: 'Suspend', reason: 'again' }).thenEmits([]);
    // The suspension's sync is still in flight: it is checked again when it settles.
    spec
      .given(all)
      .when({ type: 'Resume' })
      .thenEmits([{ type: 'INSTANCE_RESUMED', data: { counts: previousCounts } }]);
    spec.given(active).when({ type: 'Resume' }).thenEmits([]);
  });

  it('applies the tier of another plan as a new change, clamping the desired count into its bounds', () => {
    const active = history('ACTIVE');
    spec
      .given(active)
      .when({ type: 'ApplyPlanTier', plan: BIGGER_PLAN })
      .thenEmits([
        {
          type: 'INSTANCE_TIER_APPLIED',
          data: { planId: 'business', planVersion: 1, tier: BIGGER_PLAN.tier, desiredCount: 1, change: 2 },
        },
      ]);
    spec.given(active).when({ type: 'ApplyPlanTier', plan: PLAN }).thenEmits([]);
    const big = { ...BIGGER_PLAN, tier: { ...BIGGER_PLAN.tier, desiredCount: 3, minCount: 3, maxCount: 4 } };
    const [applied] = instanceDecider.decide({ type: 'ApplyPlanTier', plan: big }, stateAfter(active));
    expect(applied).toMatchObject({ data: { desiredCount: 3 } });
  });

  it('retries a failed change as a new change of the same kind', () => {
    spec
      .given(history('FAILED'))
      .when({ type: 'RetryProvisioning' })
      .thenEmits([{ type: 'INSTANCE_RETRY_REQUESTED', data: { change: 2, retryOf: 1 } }]);
    const failedDestroy = [
      ...history('DEPROVISIONING'),
      {
        type: 'INSTANCE_WORKFLOW_FAILED',
        data: { change: 2, conclusion: 'failure', reason: 'destroy failed' },
      } as InstanceEvent,
    ];
    expect(stateAfter(failedDestroy).status).toBe('FAILED');
    const [retry] = instanceDecider.decide({ type: 'RetryProvisioning' }, stateAfter(failedDestroy));
    expect(stateAfter([...failedDestroy, retry as InstanceEvent])).toMatchObject({
      status: 'DEPROVISIONING',
      change: { n: 3, kind: 'deprovision', phase: 'requested' },
    });
  });

  it('deprovisions once (a second request is a no-op), and refuses anything asked of a DELETED instance', () => {
    spec.given(history('DEPROVISIONING')).when({ type: 'Deprovision', reason: 'again' }).thenEmits([]);
    spec
      .given(history('DELETED'))
      .when({ type: 'Deprovision', reason: 'again' })
      .thenThrows(IllegalStateError, { code: 'instance_deleted' });
    spec.given(history('DELETED')).when(ecs('SERVICE_STEADY_STATE', 99)).thenEmits([]);
  });
});

describe('instance decider: git says what the service runs (sync changes)', () => {
  const run = (n: number) => ({
    runId: 500 + n,
    runUrl: `https://github.com/bbws/env-prod/actions/runs/${500 + n}`,
  });
  /** Change `n` committed with `suspended`, queued, running: in flight. */
  const inFlight = (n: number, suspended: boolean): InstanceEvent[] => [
    { type: 'INSTANCE_COMMIT_STARTED', data: { change: n } },
    { type: 'INSTANCE_COMMITTED', data: { change: n, commitSha: SHA, changed: true, suspended } },
    { type: 'INSTANCE_WORKFLOW_QUEUED', data: { change: n, ...run(n) } },
    { type: 'INSTANCE_WORKFLOW_RUNNING', data: { change: n, ...run(n) } },
  ];
  const succeeded = (n: number, runId = run(n).runId): InstanceCommand => ({
    type: 'RecordWorkflowOutcome',
    change: n,
    runId,
    outcome: 'succeeded',
    conclusion: 'success',
  });
  const sync = (change: number, suspended: boolean): InstanceEvent => ({
    type: 'INSTANCE_FOLDER_SYNC_REQUESTED',
    data: { change, suspended },
  });
  const COUNTS = { desiredCount: 1, minCount: 1, maxCount: 2 };

  it('a resume of a parked instance whose folder says 0/0 commits the counts again (the resume gap)', () => {
    spec
      .given(history('SUSPENDED'))
      .when({ type: 'Resume' })
      .thenEmits([{ type: 'INSTANCE_RESUMED', data: { counts: COUNTS } }, sync(3, false)]);
  });

  it('a sync never moves the status: the resumed instance is ACTIVE on steady state while its sync runs', () => {
    const resumed = [
      ...history('SUSPENDED'),
      { type: 'INSTANCE_RESUMED', data: { counts: COUNTS } } as InstanceEvent,
      sync(3, false),
    ];
    expect(stateAfter(resumed)).toMatchObject({ status: 'SCALING', change: { n: 3, kind: 'sync' } });
    const running = [...resumed, ...inFlight(3, false)];
    expect(stateAfter(running).status).toBe('SCALING');
    const steady = instanceDecider.decide(ecs('SERVICE_STEADY_STATE', 50), stateAfter(running));
    expect(stateAfter([...running, ...steady]).status).toBe('ACTIVE');
    const done = instanceDecider.decide(succeeded(3), stateAfter([...running, ...steady]));
    expect(done).toEqual([{ type: 'INSTANCE_WORKFLOW_SUCCEEDED', data: { change: 3, runId: run(3).runId } }]);
    expect(stateAfter([...running, ...steady, ...done]).status).toBe('ACTIVE');
  });

  it('a change that settles after a suspension its folder predates starts a sync then, and not before', () => {
    const running = history('WORKFLOW_RUNNING');
    spec
      .given(running)
      .when({ type: 'Suspend', reason: 'tenant parked' })
      .thenEmits([{ type: 'INSTANCE_SUSPENDED', data: { previousCounts: COUNTS, reason: 'tenant parked' } }]);
    const parked = [
      ...running,
      {
        type: 'INSTANCE_SUSPENDED',
        data: { previousCounts: COUNTS, reason: 'tenant parked' },
      } as InstanceEvent,
    ];
    spec
      .given(parked)
      .when(succeeded(1, RUN.runId))
      .thenEmits([
        { type: 'INSTANCE_WORKFLOW_SUCCEEDED', data: { change: 1, runId: RUN.runId } },
        sync(2, true),
      ]);
  });

  it('the suspension sync settling after a resume starts the resume sync', () => {
    const parked = [
      ...history('ACTIVE'),
      {
        type: 'INSTANCE_SUSPENDED',
        data: { previousCounts: COUNTS, reason: 'tenant parked' },
      } as InstanceEvent,
      sync(2, true),
      ...inFlight(2, true),
      { type: 'INSTANCE_RESUMED', data: { counts: COUNTS } } as InstanceEvent,
    ];
    spec
      .given(parked)
      .when(succeeded(2))
      .thenEmits([
        { type: 'INSTANCE_WORKFLOW_SUCCEEDED', data: { change: 2, runId: run(2).runId } },
        sync(3, false),
      ]);
  });

  it('no sync when the folder already agrees, for a failed provisioning (its retry regenerates) or a deprovisioning', () => {
    const generatedParked = [
      ...history('PENDING_PROVISIONING'),
      {
        type: 'INSTANCE_SUSPENDED',
        data: { previousCounts: COUNTS, reason: 'tenant parked' },
      } as InstanceEvent,
      ...inFlight(1, true),
    ];
    spec
      .given(generatedParked)
      .when(succeeded(1))
      .thenEmits([{ type: 'INSTANCE_WORKFLOW_SUCCEEDED', data: { change: 1, runId: run(1).runId } }]);
    spec
      .given(history('FAILED'))
      .when({ type: 'Suspend', reason: 'tenant parked' })
      .thenEmits([{ type: 'INSTANCE_SUSPENDED', data: { previousCounts: COUNTS, reason: 'tenant parked' } }]);
    spec.given(history('DEPROVISIONING')).when({ type: 'Suspend', reason: 'tenant parked' }).thenEmits([]);
  });

  it('after a failed sync: a new one at the next suspension or resume, never in a loop of refused checks', () => {
    const resumed = [
      ...history('SUSPENDED'),
      { type: 'INSTANCE_RESUMED', data: { counts: COUNTS } } as InstanceEvent,
      sync(3, false),
    ];
    const applyFailed = [
      ...resumed,
      ...inFlight(3, false),
      {
        type: 'INSTANCE_WORKFLOW_FAILED',
        data: { change: 3, runId: run(3).runId, conclusion: 'failure', reason: 'apply failed' },
      } as InstanceEvent,
    ];
    expect(stateAfter(applyFailed).status).toBe('SCALING'); // a sync never moves the status
    spec
      .given(applyFailed)
      .when({ type: 'Suspend', reason: 'parked again' })
      .thenEmits([
        { type: 'INSTANCE_SUSPENDED', data: { previousCounts: COUNTS, reason: 'parked again' } },
        sync(4, true),
      ]);
    // The check refused the sync's folder: nothing committed, and the next decision starts no sync again.
    const checkFailed = [
      ...resumed,
      {
        type: 'INSTANCE_WORKFLOW_FAILED',
        data: { change: 3, conclusion: 'check_failed', reason: 'a broken reference' },
      } as InstanceEvent,
    ];
    spec
      .given(checkFailed)
      .when(ecs('SERVICE_STEADY_STATE', 90))
      .thenEmits([{ type: 'ECS_SERVICE_EVENT', data: ecsFact('SERVICE_STEADY_STATE', 90) }]);
  });

  it('a sync that ECS failed meanwhile is retried as a full apply (update)', () => {
    const failed = [
      ...history('SUSPENDED'),
      { type: 'INSTANCE_RESUMED', data: { counts: COUNTS } } as InstanceEvent,
      sync(3, false),
    ];
    const failure = instanceDecider.decide(ecs('SERVICE_DEPLOYMENT_FAILED', 60), stateAfter(failed));
    const [retry] = instanceDecider.decide(
      { type: 'RetryProvisioning' },
      stateAfter([...failed, ...failure]),
    );
    expect(stateAfter([...failed, ...failure, retry as InstanceEvent])).toMatchObject({
      status: 'SCALING',
      change: { n: 4, kind: 'update', phase: 'requested' },
    });
  });
});
