import type { z } from 'zod';
import type { Decider } from '#src/platform/domain/decider.js';
import {
  IllegalStateError,
  NotFoundError,
  UnprocessableError,
  ValidationError,
} from '#src/platform/domain/errors.js';
import { InstanceTier } from '../terraform/input.js';
import { serviceName, tenantOfService } from '../terraform/naming.js';
import type { InstanceCommand, PlanTierRef, StepCommand } from './instance.commands.js';
import type { EcsFact, InstanceEnvironment, InstanceEvent, Resources } from './instance.events.js';
import {
  type Counts,
  evolve,
  finished,
  type InstanceState,
  type Live,
  phaseRank,
  SERVING,
} from './instance.state.js';
import { albSlotKey, allowedEnvironments, instanceKey, serviceKey } from './placement.js';

export type { InstanceCommand } from './instance.commands.js';

export const instanceDecider: Decider<InstanceCommand, InstanceEvent, InstanceState> = {
  name: 'instance',
  // instance-2: the state records which change recorded the resources (`resourcesChange`). instance-3: a scale to
  // the count ECS is steady at stays ACTIVE, and `ecs.serviceCreatedAt`: snapshots folded before are folded again.
  version: 'instance-3',
  // ECS repeats SERVICE_STEADY_STATE for as long as a service runs: streams grow; a snapshot keeps loads short.
  snapshotEvery: 50,
  initialState: () => ({ status: 'NEW' }),
  decide,
  evolve,
  reservations(state, events) {
    const before = new Set(reservedKeys(state));
    const after = new Set(reservedKeys(events.reduce(evolve, state)));
    return {
      claim: [...after].filter((key) => !before.has(key)),
      release: [...before].filter((key) => !after.has(key)),
    };
  },
};

/**
 * What a live instance holds: its tenant and environment (one instance each), its ALB slot, and once recorded its
 * service ARN (the ECS state sync's mapping). All are released when it is DELETED.
 */
function reservedKeys(state: InstanceState): string[] {
  if (state.status === 'NEW' || state.status === 'DELETED') return [];
  const keys = [instanceKey(state.tenantId, state.environment), albSlotKey(state.environment, state.albSlot)];
  if (state.resources) keys.push(serviceKey(state.resources.serviceArn));
  return keys;
}

function decide(command: InstanceCommand, state: InstanceState): InstanceEvent[] {
  if (command.type === 'RequestProvisioning') return requestProvisioning(command, state);
  if (state.status === 'NEW') throw new NotFoundError('instance not found');
  if (state.status === 'DELETED') return onDeleted(command);
  return withFolderSync(state, decideLive(command, state));
}

/**
 * Git says what the service runs: after any decision, when no change is in flight (the last one succeeded, or was a
 * sync whose apply failed) and the last folder committed disagrees with the instance being SUSPENDED (a suspension's 0/0,
 * a resume's counts, applied by ECS control), a sync change commits the folder again. Otherwise the next apply of
 * the old folder (a retry, a re-run) would start a parked tenant or stop a resumed one. A change in flight is
 * checked when it settles (its folder may have been generated before the suspension or the resume).
 */
function withFolderSync(state: Live, events: InstanceEvent[]): InstanceEvent[] {
  if (events.length === 0) return events;
  const after = events.reduce(evolve, state);
  if (after.status === 'NEW' || !folderDisagrees(after)) return events;
  const data = { change: after.change.n + 1, suspended: after.status === 'SUSPENDED' };
  return [...events, { type: 'INSTANCE_FOLDER_SYNC_REQUESTED', data }];
}

function folderDisagrees(state: Live): boolean {
  const { change, committedSuspended } = state;
  if (state.status === 'DEPROVISIONING' || state.status === 'DELETED' || change.kind === 'deprovision')
    return false;
  // A sync whose apply failed is settled (its folder is committed); one the Terraform check refused committed
  // nothing and would only be refused again: no new sync until another change (a tier, a retry) settles.
  const failedSync = change.kind === 'sync' && change.phase === 'failed' && change.commitSha !== undefined;
  const settled = change.phase === 'succeeded' || failedSync;
  return settled && committedSuspended !== undefined && committedSuspended !== (state.status === 'SUSPENDED');
}

function decideLive(
  command: Exclude<InstanceCommand, { type: 'RequestProvisioning' }>,
  state: Live,
): InstanceEvent[] {
  switch (command.type) {
    case 'ApplyPlanTier':
      return applyTier(command.plan, state);
    case 'Scale':
      return scale(command.desiredCount, state);
    case 'Suspend':
      return suspend(command.reason, state);
    case 'Resume':
      return state.suspendedCounts
        ? [{ type: 'INSTANCE_RESUMED', data: { counts: state.suspendedCounts } }]
        : [];
    case 'RetryProvisioning':
      if (state.status !== 'FAILED') {
        throw new IllegalStateError('instance_not_failed', 'the instance has not failed');
      }
      return [
        { type: 'INSTANCE_RETRY_REQUESTED', data: { change: state.change.n + 1, retryOf: state.change.n } },
      ];
    case 'Deprovision':
      if (state.status === 'DEPROVISIONING') return [];
      return [
        {
          type: 'INSTANCE_DEPROVISIONING_REQUESTED',
          data: { change: state.change.n + 1, reason: command.reason },
        },
      ];
    case 'RecordEcsEvent':
      return owned(command.fact, state) && newer(command.fact, state)
        ? [{ type: 'ECS_SERVICE_EVENT', data: command.fact }]
        : [];
    default:
      return step(command, state);
  }
}

function requestProvisioning(
  command: Extract<InstanceCommand, { type: 'RequestProvisioning' }>,
  state: InstanceState,
): InstanceEvent[] {
  if (state.status !== 'NEW') {
    throw new IllegalStateError('instance_exists', `instance ${command.instanceId} already exists`);
  }
  const { instanceId, tenantId, environment, tenantEnvironment, plan, albSlot } = command;
  const allowed = allowedEnvironments(tenantEnvironment, plan.environments);
  if (!allowed.includes(environment)) {
    throw new UnprocessableError(
      'environment',
      'environment_not_allowed',
      `a ${tenantEnvironment} tenant on plan ${plan.planId} may have instances in ${allowed.join(', ') || 'no environment'}`,
    );
  }
  const data = { instanceId, tenantId, environment, ...tierOf(plan), albSlot, change: 1 as const };
  return [{ type: 'INSTANCE_PROVISIONING_REQUESTED', data }];
}

/** The plan's tier, checked as Terraform will take it (a valid Fargate pair, min <= desired <= max). */
function tierOf(plan: PlanTierRef) {
  const tier = InstanceTier.safeParse(plan.tier);
  if (!tier.success) {
    throw new ValidationError('tier', `plan ${plan.planId} has no valid instance tier`, {
      cause: tier.error,
    });
  }
  return { planId: plan.planId, planVersion: plan.version, tier: tier.data };
}

/** DELETED is the end: late facts and steps are dropped, anything a caller asks for is refused. */
function onDeleted(command: InstanceCommand): InstanceEvent[] {
  switch (command.type) {
    case 'RecordEcsEvent':
    case 'RecordCommitStarted':
    case 'RecordCommit':
    case 'RecordWorkflowQueued':
    case 'RecordWorkflowRunning':
    case 'RecordWorkflowOutcome':
    case 'RecordResources':
    case 'RecordDeprovisioned':
    case 'Suspend':
    case 'Resume':
      return [];
    default:
      throw new IllegalStateError('instance_deleted', 'the instance is deleted');
  }
}

function applyTier(plan: PlanTierRef, state: Live): InstanceEvent[] {
  if (state.status === 'DEPROVISIONING') {
    throw new IllegalStateError('instance_deprovisioning', 'the instance is being deprovisioned');
  }
  const next = tierOf(plan);
  const same =
    next.planId === state.planId &&
    next.planVersion === state.planVersion &&
    JSON.stringify(next.tier) === JSON.stringify(state.tier);
  if (same) return [];
  const desiredCount = Math.min(Math.max(state.desiredCount, next.tier.minCount), next.tier.maxCount);
  return [{ type: 'INSTANCE_TIER_APPLIED', data: { ...next, desiredCount, change: state.change.n + 1 } }];
}

function scale(desiredCount: number, state: Live): InstanceEvent[] {
  if (!SERVING.includes(state.status)) {
    throw new IllegalStateError('instance_not_serving', `a ${state.status} instance cannot be scaled`);
  }
  const { minCount, maxCount } = state.tier;
  if (desiredCount < minCount || desiredCount > maxCount) {
    throw new UnprocessableError(
      'desiredCount',
      'desired_count_out_of_bounds',
      `must be within the plan's bounds, ${minCount} to ${maxCount}`,
    );
  }
  if (desiredCount === state.desiredCount) return [];
  return [{ type: 'INSTANCE_SCALED', data: { desiredCount, previousDesiredCount: state.desiredCount } }];
}

function suspend(reason: string, state: Live): InstanceEvent[] {
  if (state.status === 'SUSPENDED' || state.status === 'DEPROVISIONING') return [];
  const { minCount, maxCount } = state.tier;
  // What ECS last reported as desired (autoscaling may have moved it), within the tier's bounds.
  const desired = Math.min(Math.max(state.ecs.desiredCount ?? state.desiredCount, minCount), maxCount);
  const previousCounts: Counts = { desiredCount: desired, minCount, maxCount };
  return [{ type: 'INSTANCE_SUSPENDED', data: { previousCounts, reason } }];
}

/**
 * How far ECS's clock may run behind the platform's: a fact dated more than this before the instance's provisioning
 * was requested cannot be about its service (none existed yet). ECS and Lambda clocks are both NTP-synchronised
 * (skew well under a second); a minute leaves room for that and for nothing else.
 */
export const ECS_CLOCK_SKEW_MS = 60_000;

/**
 * Whether a fact can be about this instance's service. Once its resources are recorded, only a fact of that service
 * ARN is (a same-named service in another account or cluster is not). And never a fact of a destroyed predecessor:
 * a re-created service has its predecessor's name, and in the same cluster its ARN too, so neither the name (before
 * the resources are recorded) nor the ARN (after) tells them apart; their dates do (predecessorFact).
 */
function owned(fact: EcsFact, state: Live): boolean {
  if (state.resources && fact.serviceArn !== state.resources.serviceArn) return false;
  return !predecessorFact(fact, state);
}

/**
 * A fact of an earlier service of the same name or ARN, delivered late. On ECS's clock, whatever is recorded: a fact
 * dated before the current service's creation (`serviceCreatedAt`: this fact's, or the newest recorded; the state
 * sync reads it with the counts) is an earlier service's. ECS facts are compared with ECS's clock only there. Before
 * the ARN is recorded, also on the platform's: a fact dated more than ECS_CLOCK_SKEW_MS before this instance's
 * provisioning was requested (createdAt, the requested event's occurredAt; a stream folded without occurredAt has
 * none). A later change's start is no boundary: the service is the same, and its older facts are dropped by
 * `newer` already; nor is a deploymentId: it names a deployment, not a service, and Service Action events carry none.
 */
function predecessorFact(fact: EcsFact, state: Live): boolean {
  const at = Date.parse(fact.at);
  const created = newestCreation(fact.serviceCreatedAt, state.ecs.serviceCreatedAt);
  if (created !== undefined && at < created) return true;
  if (state.resources || state.createdAt === undefined) return false;
  return at < Date.parse(state.createdAt) - ECS_CLOCK_SKEW_MS;
}

const newestCreation = (...times: (string | undefined)[]): number | undefined => {
  const parsed = times.filter((t): t is string => t !== undefined).map(Date.parse);
  return parsed.length === 0 ? undefined : Math.max(...parsed);
};

/** ECS facts are ordered by ECS's clock and their event id: anything not newer than the newest is dropped. */
function newer(fact: EcsFact, state: Live): boolean {
  const latest = state.ecs.latest;
  if (!latest) return true;
  const [a, b] = [Date.parse(fact.at), Date.parse(latest.at)];
  return a > b || (a === b && fact.ecsEventId > latest.ecsEventId);
}

/**
 * A provisioner step for change `change`. Idempotent: a step already recorded (the same commit, the same run) is a
 * no-op, so a step re-delivered after a crash records nothing twice; a step of a superseded change is dropped; a
 * second, different commit or run for one change is refused (the provisioner looks for its own before acting
 * again: this is where a mistake would show).
 */
function step(command: StepCommand, state: Live): InstanceEvent[] {
  const change = state.change;
  if (command.change < change.n) return [];
  if (command.change > change.n) {
    throw new IllegalStateError(
      'unknown_change',
      `change ${command.change} was never requested (current ${change.n})`,
    );
  }
  switch (command.type) {
    case 'RecordCommitStarted':
      if (phaseRank(change.phase) >= phaseRank('committing')) return [];
      return [{ type: 'INSTANCE_COMMIT_STARTED', data: { change: change.n } }];
    case 'RecordCommit':
      return commit(command, state);
    case 'RecordWorkflowQueued':
    case 'RecordWorkflowRunning':
      return workflowRun(command, state);
    case 'RecordWorkflowOutcome':
      return outcome(command, state);
    case 'RecordResources':
      return recordResources(command.resources, state);
    case 'RecordDeprovisioned':
      if (change.kind !== 'deprovision' || change.phase === 'failed') {
        throw new IllegalStateError(
          'not_deprovisioning',
          `change ${change.n} is not a deprovisioning in progress`,
        );
      }
      return [{ type: 'INSTANCE_DEPROVISIONED', data: withSha({ change: change.n }, command.commitSha) }];
    default:
      return command satisfies never;
  }
}

/**
 * Why a service is not this instance's by the naming convention (terraform/naming.ts), or undefined: its ARN must
 * be an ECS service ARN whose name (`bbws-<env>-tenant-<tenantId>`) names the instance's tenant and environment, and
 * its name, when given, that same name.
 */
export function notThisInstance(
  resources: Pick<z.infer<typeof Resources>, 'serviceArn' | 'serviceName'>,
  instance: { tenantId: string; environment: InstanceEnvironment },
): { field: 'serviceArn' | 'serviceName'; message: string } | undefined {
  const { tenantId, environment } = instance;
  const expected = serviceName(environment, tenantId);
  const named = tenantOfService(resources.serviceArn);
  if (
    !SERVICE_ARN.test(resources.serviceArn) ||
    named?.tenantId !== tenantId ||
    named.environment !== environment
  ) {
    return {
      field: 'serviceArn',
      message: `not the ECS service of tenant ${tenantId} in ${environment} (${expected})`,
    };
  }
  if (resources.serviceName !== undefined && resources.serviceName !== expected) {
    return { field: 'serviceName', message: `must be ${expected}` };
  }
  return undefined;
}

/** An ECS service ARN: `arn:<partition>:ecs:<region>:<account>:service/<cluster>/<name>`. */
const SERVICE_ARN = /^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:service\/[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/;

/**
 * The folder's outputs, once per change: the same set again is a no-op, another set for the same change is refused
 * (a report, signed or not, cannot re-point the instance). The service must be this instance's by the naming
 * convention (terraform/naming.ts): its ARN (and name, when given) names this tenant and environment; otherwise
 * the `ecs-service:<arn>` mapping could be claimed for another tenant's service.
 */
function recordResources(resources: z.infer<typeof Resources>, state: Live): InstanceEvent[] {
  const { change } = state;
  const wrong = notThisInstance(resources, state);
  if (wrong)
    throw new UnprocessableError(`resources.${wrong.field}`, 'service_not_this_instance', wrong.message);
  const same = JSON.stringify(state.resources) === JSON.stringify(resources);
  if (state.resources && state.resourcesChange === change.n) {
    if (same) return [];
    throw new IllegalStateError(
      'resources_already_recorded',
      `change ${change.n} already recorded its resources (${state.resources.serviceArn})`,
    );
  }
  if (same) return [];
  return [{ type: 'INSTANCE_RESOURCES_RECORDED', data: { change: change.n, resources } }];
}

function commit(command: Extract<StepCommand, { type: 'RecordCommit' }>, state: Live): InstanceEvent[] {
  const { change } = state;
  if (change.commitSha !== undefined) {
    if (change.commitSha === command.commitSha) return [];
    throw new IllegalStateError(
      'commit_already_recorded',
      `change ${change.n} is at commit ${change.commitSha}`,
    );
  }
  if (phaseRank(change.phase) >= phaseRank('committed')) return [];
  const { commitSha, changed, suspended } = command;
  const data = { change: change.n, commitSha, changed };
  return [{ type: 'INSTANCE_COMMITTED', data: suspended === undefined ? data : { ...data, suspended } }];
}

function sameRun(state: Live, runId: number | undefined): void {
  const run = state.change.run;
  if (run && runId !== undefined && run.id !== runId) {
    throw new IllegalStateError('run_already_recorded', `change ${state.change.n} runs as ${run.id}`);
  }
}

function workflowRun(
  command: Extract<StepCommand, { type: 'RecordWorkflowQueued' | 'RecordWorkflowRunning' }>,
  state: Live,
): InstanceEvent[] {
  const { change } = state;
  sameRun(state, command.runId);
  if (change.kind !== 'deprovision' && change.commitSha === undefined) {
    throw new IllegalStateError('not_committed', `change ${change.n} has no commit recorded yet`);
  }
  const target = command.type === 'RecordWorkflowQueued' ? 'queued' : 'running';
  if (phaseRank(change.phase) >= phaseRank(target)) return [];
  const data = { change: change.n, runId: command.runId, runUrl: command.runUrl };
  return [{ type: target === 'queued' ? 'INSTANCE_WORKFLOW_QUEUED' : 'INSTANCE_WORKFLOW_RUNNING', data }];
}

function outcome(
  command: Extract<StepCommand, { type: 'RecordWorkflowOutcome' }>,
  state: Live,
): InstanceEvent[] {
  const { change } = state;
  sameRun(state, command.runId);
  if (finished(change.phase)) {
    if ((change.phase === 'succeeded') === (command.outcome === 'succeeded')) return [];
    throw new IllegalStateError('outcome_already_recorded', `change ${change.n} already ${change.phase}`);
  }
  const runId = command.runId ?? change.run?.id;
  if (command.outcome === 'succeeded') {
    if (runId === undefined) throw new IllegalStateError('no_run', `change ${change.n} has no workflow run`);
    return [{ type: 'INSTANCE_WORKFLOW_SUCCEEDED', data: { change: change.n, runId } }];
  }
  const { conclusion, reason } = command;
  const data = { change: change.n, conclusion, reason: reason ?? conclusion };
  return [{ type: 'INSTANCE_WORKFLOW_FAILED', data: runId === undefined ? data : { ...data, runId } }];
}

function withSha<T extends object>(data: T, commitSha: string | undefined): T & { commitSha?: string } {
  return commitSha === undefined ? data : { ...data, commitSha };
}
