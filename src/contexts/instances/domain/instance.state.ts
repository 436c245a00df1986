import type { z } from 'zod';
import type { Timed } from '#src/platform/domain/decider.js';
import type { AlbSlot, InstanceTier } from '../terraform/input.js';
import { type EcsMeaning, meaningOf } from './ecs-events.js';
import type { EcsFact, InstanceEnvironment, InstanceEvent, Resources } from './instance.events.js';

export const INSTANCE_STATUSES = [
  'PENDING_PROVISIONING',
  'COMMITTING',
  'WORKFLOW_QUEUED',
  'WORKFLOW_RUNNING',
  'PROVISIONING',
  'ACTIVE',
  'FAILED',
  'SCALING',
  'SUSPENDED',
  'DEPROVISIONING',
  'DELETED',
] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** Serving: the service runs the tenant's sites (site management needs one of these). */
export const SERVING: readonly InstanceStatus[] = ['ACTIVE', 'SCALING'];

/**
 * A GitOps change: the first provisioning (`provision`), a change of a provisioned instance (`update`: a tier), the
 * folder committed again so that git says what ECS control applied (`sync`: 0/0 after a suspension, the tier's
 * counts after a resume; it never moves the status: the service already runs what it says), or its removal
 * (`deprovision`). One is current at a time; the provisioner's step commands name it by number, and a step for an
 * older change is dropped (a newer change superseded it).
 */
export type ChangeKind = 'provision' | 'update' | 'sync' | 'deprovision';
export type Phase = 'requested' | 'committing' | 'committed' | 'queued' | 'running' | 'succeeded' | 'failed';
export const PHASE_ORDER: readonly Phase[] = [
  'requested',
  'committing',
  'committed',
  'queued',
  'running',
  'succeeded',
];
export const phaseRank = (phase: Phase): number => (phase === 'failed' ? 5 : PHASE_ORDER.indexOf(phase));
export const finished = (phase: Phase): boolean => phase === 'succeeded' || phase === 'failed';

export interface Change {
  n: number;
  kind: ChangeKind;
  phase: Phase;
  commitSha?: string | undefined;
  run?: { id: number; url: string } | undefined;
  failure?: { conclusion: string; reason: string } | undefined;
}

export interface Counts {
  desiredCount: number;
  minCount: number;
  maxCount: number;
}

/** What ECS last told us, ordered by ECS's own clock: (`at`, `ecsEventId`) of the newest fact recorded. */
export interface EcsView {
  latest?: Pick<EcsFact, 'ecsEventId' | 'eventName' | 'eventType' | 'at' | 'reason' | 'deploymentId'>;
  /** The newest service-level fact (steady / deploying / failed / scheduler scaled) said steady. */
  steady: boolean;
  /** A steady fact arrived while the current change's workflow ran (the service is new: it is this change's). */
  steadyDuringRun: boolean;
  desiredCount?: number | undefined;
  runningCount?: number | undefined;
  /** The newest `serviceCreatedAt` a recorded fact carried (ECS's clock): facts dated before it are a predecessor's. */
  serviceCreatedAt?: string | undefined;
  /** How many ECS facts the stream holds (each fact once). */
  recorded: number;
}

export interface InstanceFacts {
  instanceId: string;
  tenantId: string;
  environment: InstanceEnvironment;
  planId: string;
  planVersion: number;
  tier: InstanceTier;
  albSlot: AlbSlot;
  /** The platform's desired task count (the tier's, or what a scale set). */
  desiredCount: number;
  change: Change;
  /** Reached ACTIVE once: a later tier change is an `update` of a serving instance. */
  everActive: boolean;
  /** Present while SUSPENDED: the counts a resume restores. */
  suspendedCounts?: Counts | undefined;
  /** The counts of the last folder committed: 0/0 (true) or the tier's (false); undefined: nothing committed. */
  committedSuspended?: boolean | undefined;
  ecs: EcsView;
  resources?: z.infer<typeof Resources> | undefined;
  /** The change whose outputs `resources` are (each change records them once). */
  resourcesChange?: number | undefined;
  createdAt?: string | undefined;
  updatedAt?: string | undefined;
}

export type InstanceState = { status: 'NEW' } | ({ status: InstanceStatus } & InstanceFacts);
export type Live = Exclude<InstanceState, { status: 'NEW' }>;

/** Where a change stands, as a status (a suspended or failed instance says so instead). */
export function pipelineStatus(change: Change): InstanceStatus {
  if (change.kind === 'deprovision') return change.phase === 'failed' ? 'FAILED' : 'DEPROVISIONING';
  if (change.phase === 'failed') return 'FAILED';
  if (change.kind === 'update' || change.kind === 'sync') return 'SCALING';
  switch (change.phase) {
    case 'requested':
      return 'PENDING_PROVISIONING';
    case 'committing':
      return 'COMMITTING';
    case 'committed':
    case 'queued':
      return 'WORKFLOW_QUEUED';
    case 'running':
      return 'WORKFLOW_RUNNING';
    case 'succeeded':
      return 'PROVISIONING';
    default:
      return change.phase satisfies never;
  }
}

/**
 * What a newer ECS fact does to the status (any meaning not listed changes nothing). Before the workflow runs no
 * service of this instance exists yet; a SUSPENDED instance stays SUSPENDED (ECS reports steady state at desired
 * count 0 too); FAILED leaves only by a retry, and comes only from SERVICE_DEPLOYMENT_FAILED or a failed workflow.
 */
const ECS_MOVES: { readonly [S in InstanceStatus]: Partial<Record<EcsMeaning, InstanceStatus>> } = {
  PENDING_PROVISIONING: {},
  COMMITTING: {},
  WORKFLOW_QUEUED: {},
  WORKFLOW_RUNNING: { deploymentFailed: 'FAILED' },
  PROVISIONING: { steady: 'ACTIVE', deploymentFailed: 'FAILED' },
  ACTIVE: { schedulerScaled: 'SCALING', deploymentFailed: 'FAILED' },
  SCALING: { steady: 'ACTIVE', deploymentFailed: 'FAILED' },
  FAILED: {},
  SUSPENDED: {},
  DEPROVISIONING: {},
  DELETED: {},
};

export function ecsStatus(state: Live, meaning: EcsMeaning): InstanceStatus {
  // Steady while a tier change's workflow has not applied it yet: that is the old service. A sync changes no task:
  // the service's steady state is the one it will have.
  const tierWaiting = state.change.kind !== 'sync' && state.change.phase !== 'succeeded';
  if (state.status === 'SCALING' && meaning === 'steady' && tierWaiting) return 'SCALING';
  return ECS_MOVES[state.status][meaning] ?? state.status;
}

const SERVICE_LEVEL: readonly EcsMeaning[] = ['steady', 'deploying', 'deploymentFailed', 'schedulerScaled'];

function withEcs(state: Live, fact: EcsFact): Live {
  const meaning = meaningOf(fact.eventName);
  const steady = SERVICE_LEVEL.includes(meaning) ? meaning === 'steady' : state.ecs.steady;
  const { ecsEventId, eventName, eventType, at, reason, deploymentId } = fact;
  const ecs: EcsView = {
    latest: { ecsEventId, eventName, eventType, at, reason, deploymentId },
    steady,
    steadyDuringRun:
      state.ecs.steadyDuringRun || (meaning === 'steady' && state.status === 'WORKFLOW_RUNNING'),
    desiredCount: fact.desiredCount ?? state.ecs.desiredCount,
    runningCount: fact.runningCount ?? state.ecs.runningCount,
    serviceCreatedAt: newestTime(state.ecs.serviceCreatedAt, fact.serviceCreatedAt),
    recorded: state.ecs.recorded + 1,
  };
  const status = ecsStatus(state, meaning);
  return { ...state, ecs, status, everActive: state.everActive || status === 'ACTIVE' };
}

const newestTime = (a: string | undefined, b: string | undefined): string | undefined =>
  a === undefined || (b !== undefined && Date.parse(b) > Date.parse(a)) ? b : a;

/**
 * A scale is SCALING until ECS reports the service steady (ECS control's UpdateService sends no event of its own),
 * unless ECS's newest facts already say the service is steady at exactly that count, desired and running (the
 * count autoscaling had reached): then no event would come for it to wait for, and the instance stays ACTIVE.
 */
function scaledStatus(state: Live, desiredCount: number): InstanceStatus {
  const { steady, desiredCount: desired, runningCount: running } = state.ecs;
  const there = steady && desired === desiredCount && running === desiredCount;
  return there && state.status === 'ACTIVE' ? 'ACTIVE' : 'SCALING';
}

/**
 * A new change: the status follows it, unless the instance is suspended (it stays so until resumed) or the change is
 * a sync (the service already runs what it commits).
 */
function startChange(state: Live, change: Change): Live {
  const ecs = { ...state.ecs, steadyDuringRun: false };
  const kept = state.status === 'SUSPENDED' || change.kind === 'sync';
  return { ...state, change, ecs, status: kept ? state.status : pipelineStatus(change) };
}

/**
 * A step of the current change. SUSPENDED stays SUSPENDED and FAILED (by ECS) stays FAILED; a finished
 * provisioning whose new service was already reported steady is ACTIVE at once.
 */
function progress(state: Live, change: Change): Live {
  const sticky =
    state.status === 'SUSPENDED' ||
    change.kind === 'sync' ||
    (state.status === 'FAILED' && change.phase !== 'failed');
  if (sticky) return { ...state, change };
  let status = pipelineStatus(change);
  if (
    change.kind === 'provision' &&
    change.phase === 'succeeded' &&
    state.ecs.steadyDuringRun &&
    state.ecs.steady
  ) {
    status = 'ACTIVE';
  }
  return { ...state, change, status, everActive: state.everActive || status === 'ACTIVE' };
}

/** The status a resume returns to: where the current change stands, or starting tasks again (SCALING). */
function resumedStatus(state: Live): InstanceStatus {
  if (state.change.phase === 'failed') return 'FAILED';
  if (state.change.phase === 'succeeded' && state.everActive) return 'SCALING';
  return pipelineStatus(state.change);
}

/** Folds one event; `occurredAt` (the platform's clock) only stamps createdAt/updatedAt, never orders ECS facts. */
export function evolve(state: InstanceState, event: Timed<InstanceEvent>): InstanceState {
  const next = apply(state, event);
  const at = event.occurredAt;
  if (next.status === 'NEW' || at === undefined) return next;
  return event.type === 'INSTANCE_PROVISIONING_REQUESTED'
    ? { ...next, createdAt: at, updatedAt: at }
    : { ...next, updatedAt: at };
}

function apply(state: InstanceState, event: InstanceEvent): InstanceState {
  if (event.type === 'INSTANCE_PROVISIONING_REQUESTED') {
    const { change: _change, ...data } = event.data;
    return {
      status: 'PENDING_PROVISIONING',
      ...data,
      desiredCount: data.tier.desiredCount,
      change: { n: 1, kind: 'provision', phase: 'requested' },
      everActive: false,
      ecs: { steady: false, steadyDuringRun: false, recorded: 0 },
    };
  }
  if (state.status === 'NEW') return state;
  const change = state.change;
  switch (event.type) {
    case 'INSTANCE_TIER_APPLIED': {
      const { planId, planVersion, tier, desiredCount } = event.data;
      const kind = state.everActive ? 'update' : 'provision';
      return startChange(
        { ...state, planId, planVersion, tier, desiredCount },
        { n: event.data.change, kind, phase: 'requested' },
      );
    }
    case 'INSTANCE_RETRY_REQUESTED':
      // A sync that left the instance FAILED (ECS failed it meanwhile) is retried as a full apply of the folder.
      return startChange(state, {
        n: event.data.change,
        kind: change.kind === 'sync' ? 'update' : change.kind,
        phase: 'requested',
      });
    case 'INSTANCE_FOLDER_SYNC_REQUESTED':
      return startChange(state, { n: event.data.change, kind: 'sync', phase: 'requested' });
    case 'INSTANCE_DEPROVISIONING_REQUESTED':
      return {
        ...state,
        suspendedCounts: undefined,
        change: { n: event.data.change, kind: 'deprovision', phase: 'requested' },
        status: 'DEPROVISIONING',
      };
    case 'INSTANCE_COMMIT_STARTED':
      return progress(state, { ...change, phase: 'committing' });
    case 'INSTANCE_COMMITTED':
      return progress(
        { ...state, committedSuspended: event.data.suspended ?? false },
        { ...change, phase: 'committed', commitSha: event.data.commitSha },
      );
    case 'INSTANCE_WORKFLOW_QUEUED':
      return progress(state, { ...change, phase: 'queued', run: runOf(event.data) });
    case 'INSTANCE_WORKFLOW_RUNNING':
      return progress(state, { ...change, phase: 'running', run: runOf(event.data) });
    case 'INSTANCE_WORKFLOW_SUCCEEDED':
      return progress(state, { ...change, phase: 'succeeded' });
    case 'INSTANCE_WORKFLOW_FAILED': {
      const { conclusion, reason } = event.data;
      return progress(state, { ...change, phase: 'failed', failure: { conclusion, reason } });
    }
    case 'INSTANCE_RESOURCES_RECORDED':
      return { ...state, resources: event.data.resources, resourcesChange: event.data.change };
    case 'INSTANCE_DEPROVISIONED':
      return { ...state, status: 'DELETED', change: { ...change, phase: 'succeeded' } };
    case 'ECS_SERVICE_EVENT':
      return withEcs(state, event.data);
    case 'INSTANCE_SCALED':
      return {
        ...state,
        desiredCount: event.data.desiredCount,
        status: scaledStatus(state, event.data.desiredCount),
      };
    case 'INSTANCE_SUSPENDED':
      return { ...state, suspendedCounts: event.data.previousCounts, status: 'SUSPENDED' };
    case 'INSTANCE_RESUMED': {
      const resumed = { ...state, suspendedCounts: undefined, desiredCount: event.data.counts.desiredCount };
      return { ...resumed, status: resumedStatus(state) };
    }
    case 'PERSONAL_DATA_ERASED':
      // No personal field is held by an instance stream; the marker changes nothing.
      return state;
    default:
      return event satisfies never;
  }
}

const runOf = ({ runId, runUrl }: { runId: number; runUrl: string }) => ({ id: runId, url: runUrl });
