import { fold } from '#src/platform/domain/decider.js';
import { DomainError, IllegalStateError } from '#src/platform/domain/errors.js';
import {
  ECS_DEPLOYMENT_STATE_CHANGE,
  ECS_EVENT_NAMES,
  ECS_SERVICE_ACTION,
  type EcsEventName,
} from './ecs-events.js';
import type { InstanceCommand } from './instance.commands.js';
import { instanceDecider } from './instance.decider.js';
import type { InstanceEvent } from './instance.events.js';
import type { InstanceState, Live } from './instance.state.js';

/**
 * The state x event table of docs/events.md, computed by running the decider: for a representative instance in
 * every state, what each provisioner report (for the instance's current change) and each ECS event (newer than any
 * it has seen) does. `npx tsx scripts/instance-transitions-doc.ts` writes it into the doc; a test fails while the
 * doc and the decider differ, cell by cell.
 */

export const SERVICE_ARN =
  'arn:aws:ecs:af-south-1:093646564004:service/bbws-prod/bbws-prod-tenant-01JD0000000000000000000001';
export const SHA = 'a'.repeat(40);
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
export const RUN = { runId: 101, runUrl: 'https://github.com/bbws/env-prod/actions/runs/101' };

export const PLAN = {
  planId: 'starter',
  version: 1,
  tier: { cpu: 256, memoryMiB: 512, desiredCount: 1, minCount: 1, maxCount: 2, storageGiB: 5 },
  environments: ['dev', 'prod'],
};
export const BIGGER_PLAN = {
  planId: 'business',
  version: 1,
  tier: { cpu: 512, memoryMiB: 1024, desiredCount: 1, minCount: 1, maxCount: 4, storageGiB: 20 },
  environments: ['dev', 'sit', 'prod'],
};

const requested: InstanceEvent = {
  type: 'INSTANCE_PROVISIONING_REQUESTED',
  data: {
    instanceId: '01JD0000000000000000000002',
    tenantId: '01JD0000000000000000000001',
    environment: 'prod',
    planId: PLAN.planId,
    planVersion: PLAN.version,
    tier: PLAN.tier,
    albSlot: { alb: 1, priority: 1 },
    change: 1,
  },
};

const EVENT_TYPE: Partial<Record<EcsEventName, 'WARN' | 'ERROR'>> = {
  SERVICE_TASK_START_IMPAIRED: 'WARN',
  SERVICE_DISCOVERY_INSTANCE_UNHEALTHY: 'WARN',
  VPC_LATTICE_TARGET_UNHEALTHY: 'WARN',
  SERVICE_TASK_PLACEMENT_FAILURE: 'ERROR',
  SERVICE_TASK_CONFIGURATION_FAILURE: 'ERROR',
  ECS_OPERATION_THROTTLED: 'ERROR',
  SERVICE_DISCOVERY_OPERATION_THROTTLED: 'ERROR',
  SERVICE_DAEMON_PLACEMENT_CONSTRAINT_VIOLATED: 'ERROR',
  SERVICE_DEPLOYMENT_FAILED: 'ERROR',
};

/** An ECS fact as the state sync would record it, `minutes` after T0. */
export function ecsFact(
  eventName: EcsEventName,
  minutes: number,
  ecsEventId = `ecs-${eventName}-${minutes}`,
) {
  const deployment = (ECS_EVENT_NAMES[ECS_DEPLOYMENT_STATE_CHANGE] as readonly string[]).includes(eventName);
  return {
    ecsEventId,
    detailType: deployment ? ECS_DEPLOYMENT_STATE_CHANGE : ECS_SERVICE_ACTION,
    eventName,
    eventType: EVENT_TYPE[eventName] ?? 'INFO',
    at: new Date(T0 + minutes * 60_000).toISOString(),
    serviceArn: SERVICE_ARN,
    ...(deployment ? { deploymentId: 'ecs-svc/1234567890' } : {}),
  } as const;
}

const ev = <E extends InstanceEvent>(event: E): E => event;
const committed = ev({ type: 'INSTANCE_COMMITTED', data: { change: 1, commitSha: SHA, changed: true } });
const queued = ev({ type: 'INSTANCE_WORKFLOW_QUEUED', data: { change: 1, ...RUN } });
const running = ev({ type: 'INSTANCE_WORKFLOW_RUNNING', data: { change: 1, ...RUN } });
const succeeded = ev({ type: 'INSTANCE_WORKFLOW_SUCCEEDED', data: { change: 1, runId: RUN.runId } });
const steady = ev({ type: 'ECS_SERVICE_EVENT', data: ecsFact('SERVICE_STEADY_STATE', 1) });
const provisioned = [requested, ev({ type: 'INSTANCE_COMMIT_STARTED', data: { change: 1 } }), committed];
const active = [...provisioned, queued, running, succeeded, steady];
/** A sync change `n`, applied: the folder committed again with 0/0 (`suspended`) or the tier's counts. */
function syncChange(n: number, suspended: boolean): InstanceEvent[] {
  const run = { runId: RUN.runId + n, runUrl: `${RUN.runUrl.replace(/\d+$/, '')}${RUN.runId + n}` };
  return [
    ev({ type: 'INSTANCE_FOLDER_SYNC_REQUESTED', data: { change: n, suspended } }),
    ev({ type: 'INSTANCE_COMMIT_STARTED', data: { change: n } }),
    ev({
      type: 'INSTANCE_COMMITTED',
      data: { change: n, commitSha: 'b'.repeat(40), changed: true, suspended },
    }),
    ev({ type: 'INSTANCE_WORKFLOW_QUEUED', data: { change: n, ...run } }),
    ev({ type: 'INSTANCE_WORKFLOW_RUNNING', data: { change: n, ...run } }),
    ev({ type: 'INSTANCE_WORKFLOW_SUCCEEDED', data: { change: n, runId: run.runId } }),
  ];
}
const tierTwo = { planId: BIGGER_PLAN.planId, planVersion: 1, tier: BIGGER_PLAN.tier, desiredCount: 1 };

/** One representative history per row: a state, and for SCALING both of its kinds. */
export const STATE_FIXTURES: readonly { label: string; history: readonly InstanceEvent[] }[] = [
  { label: 'PENDING_PROVISIONING', history: [requested] },
  { label: 'COMMITTING', history: provisioned.slice(0, 2) },
  { label: 'WORKFLOW_QUEUED', history: [...provisioned, queued] },
  { label: 'WORKFLOW_RUNNING', history: [...provisioned, queued, running] },
  { label: 'PROVISIONING', history: [...provisioned, queued, running, succeeded] },
  { label: 'ACTIVE', history: active },
  {
    label: 'SCALING (count)',
    history: [...active, ev({ type: 'INSTANCE_SCALED', data: { desiredCount: 2, previousDesiredCount: 1 } })],
  },
  {
    label: 'SCALING (tier change in flight)',
    history: [...active, ev({ type: 'INSTANCE_TIER_APPLIED', data: { ...tierTwo, change: 2 } })],
  },
  {
    label: 'FAILED',
    history: [
      ...provisioned,
      queued,
      running,
      ev({
        type: 'INSTANCE_WORKFLOW_FAILED',
        data: { change: 1, runId: RUN.runId, conclusion: 'failure', reason: 'terraform apply failed' },
      }),
    ],
  },
  {
    // Parked, and the folder committed again with 0/0 (the sync the suspension started, applied).
    label: 'SUSPENDED',
    history: [
      ...active,
      ev({
        type: 'INSTANCE_SUSPENDED',
        data: { previousCounts: { desiredCount: 1, minCount: 1, maxCount: 2 }, reason: 'tenant parked' },
      }),
      ...syncChange(2, true),
    ],
  },
  {
    label: 'DEPROVISIONING',
    history: [
      ...active,
      ev({ type: 'INSTANCE_DEPROVISIONING_REQUESTED', data: { change: 2, reason: 'deleted' } }),
    ],
  },
  {
    label: 'DELETED',
    history: [
      ...active,
      ev({ type: 'INSTANCE_DEPROVISIONING_REQUESTED', data: { change: 2, reason: 'deleted' } }),
      ev({ type: 'INSTANCE_DEPROVISIONED', data: { change: 2 } }),
    ],
  },
];

const stateOf = (history: readonly InstanceEvent[]): Live => {
  const state = fold(instanceDecider, instanceDecider.initialState(), history);
  if (state.status === 'NEW') throw new Error('a fixture must create the instance');
  return state;
};

/** The minutes after T0 of a fact newer than any the state has seen. */
const later = (state: Live): number =>
  state.ecs.latest ? (Date.parse(state.ecs.latest.at) - T0) / 60_000 + 1 : 1;

export interface Column {
  label: string;
  command: (state: Live) => InstanceCommand;
}

/** What the provisioner reports, each for the instance's current change (with the commit and run it recorded). */
export const PROVISIONER_COLUMNS: readonly Column[] = [
  { label: 'commit started', command: (s) => ({ type: 'RecordCommitStarted', change: s.change.n }) },
  {
    label: 'committed',
    command: (s) => ({
      type: 'RecordCommit',
      change: s.change.n,
      commitSha: s.change.commitSha ?? SHA,
      changed: true,
    }),
  },
  {
    label: 'workflow queued',
    command: (s) => ({ type: 'RecordWorkflowQueued', change: s.change.n, ...runOf(s) }),
  },
  {
    label: 'workflow running',
    command: (s) => ({ type: 'RecordWorkflowRunning', change: s.change.n, ...runOf(s) }),
  },
  {
    label: 'workflow succeeded',
    command: (s) => ({
      type: 'RecordWorkflowOutcome',
      change: s.change.n,
      runId: runOf(s).runId,
      outcome: 'succeeded',
      conclusion: 'success',
    }),
  },
  {
    label: 'workflow failed',
    command: (s) => ({
      type: 'RecordWorkflowOutcome',
      change: s.change.n,
      runId: runOf(s).runId,
      outcome: 'failed',
      conclusion: 'failure',
      reason: 'terraform apply failed',
    }),
  },
  { label: 'deprovisioned', command: (s) => ({ type: 'RecordDeprovisioned', change: s.change.n }) },
  {
    label: 'resources recorded',
    command: (s) => ({ type: 'RecordResources', change: s.change.n, resources: { serviceArn: SERVICE_ARN } }),
  },
  {
    label: "resources recorded (another tenant's service)",
    command: (s) => ({
      type: 'RecordResources',
      change: s.change.n,
      resources: {
        serviceArn: SERVICE_ARN.replace(/01JD0000000000000000000001$/, '01JD0000000000000000000009'),
      },
    }),
  },
];

const runOf = (s: Live) => (s.change.run ? { runId: s.change.run.id, runUrl: s.change.run.url } : RUN);

/** Every ECS event name of aws-facts.md, each newer than anything the instance has recorded. */
export const ECS_COLUMNS: readonly Column[] = (
  [
    ...new Set([...ECS_EVENT_NAMES[ECS_SERVICE_ACTION], ...ECS_EVENT_NAMES[ECS_DEPLOYMENT_STATE_CHANGE]]),
  ] as EcsEventName[]
).map((name) => ({
  label: name,
  command: (s) => ({ type: 'RecordEcsEvent', fact: ecsFact(name, later(s)) }),
}));

/** What users and the platform's reactions ask for. */
export const COMMAND_COLUMNS: readonly Column[] = [
  { label: 'ApplyPlanTier (another tier)', command: () => ({ type: 'ApplyPlanTier', plan: BIGGER_PLAN }) },
  {
    label: 'Scale (within bounds)',
    command: (s) => ({ type: 'Scale', desiredCount: s.desiredCount === 2 ? 1 : 2 }),
  },
  { label: 'Scale (outside bounds)', command: () => ({ type: 'Scale', desiredCount: 9 }) },
  { label: 'Suspend', command: () => ({ type: 'Suspend', reason: 'tenant parked' }) },
  { label: 'Resume', command: () => ({ type: 'Resume' }) },
  { label: 'RetryProvisioning', command: () => ({ type: 'RetryProvisioning' }) },
  { label: 'Deprovision', command: () => ({ type: 'Deprovision', reason: 'tenant deleted' }) },
];

const STATUS_OF_KIND = {
  validation: 400,
  unprocessable: 422,
  not_found: 404,
  illegal_state: 409,
  forbidden: 403,
};

/**
 * One cell: the next state, `recorded` (events, state kept), `no-op` (nothing appended) or the refusal; `+ sync`: a
 * sync change of the folder starts too (INSTANCE_FOLDER_SYNC_REQUESTED).
 */
export function cell(history: readonly InstanceEvent[], column: Column): string {
  const state = stateOf(history);
  const command = column.command(state);
  let events: InstanceEvent[];
  try {
    events = instanceDecider.decide(command, state);
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    const code =
      error instanceof IllegalStateError || 'code' in error
        ? ` ${String((error as { code?: string }).code)}`
        : '';
    return `${STATUS_OF_KIND[error.kind]}${code}`;
  }
  if (events.length === 0) return 'no-op';
  const after: InstanceState = fold(instanceDecider, state, events);
  const sync = events.some((e) => e.type === 'INSTANCE_FOLDER_SYNC_REQUESTED') ? ' + sync' : '';
  return `${after.status === state.status ? 'recorded' : `**${after.status}**`}${sync}`;
}

/** Rows are the events, columns the states (one per fixture). */
export function transitionTable(columns: readonly Column[]): string {
  const header = `| event | ${STATE_FIXTURES.map((f) => f.label).join(' | ')} |`;
  const rule = `| --- | ${STATE_FIXTURES.map(() => '---').join(' | ')} |`;
  const rows = columns.map(
    (column) => `| ${column.label} | ${STATE_FIXTURES.map((f) => cell(f.history, column)).join(' | ')} |`,
  );
  return [header, rule, ...rows].join('\n');
}

const BEGIN =
  '<!-- instance-transitions: generated from the decider by `npx tsx scripts/instance-transitions-doc.ts` -->';
const END = '<!-- instance-transitions: end -->';

export function transitionTables(): string {
  return [
    "**Provisioner reports** (for the instance's current change):",
    '',
    transitionTable(PROVISIONER_COLUMNS),
    '',
    "**ECS events** (each newer, by its own `createdAt`/`updatedAt`, than any the instance recorded, and of the instance's own service: once its resources are recorded, a fact of any other service ARN is a no-op; before, a fact dated more than `ECS_CLOCK_SKEW_MS` (one minute) before the provisioning was requested is a destroyed predecessor's, a no-op; and always, a fact dated before the service's creation, `serviceCreatedAt` as the state sync read it (ECS's clock), is an earlier service's of the same ARN, a no-op):",
    '',
    transitionTable(ECS_COLUMNS),
    '',
    "**Commands** (users and the platform's reactions; authorisation aside):",
    '',
    transitionTable(COMMAND_COLUMNS),
  ].join('\n');
}

/** The doc with its generated section replaced (the markers must be there). */
export function withTransitionTables(doc: string): string {
  const from = doc.indexOf(BEGIN);
  const to = doc.indexOf(END);
  if (from < 0 || to < from) throw new Error(`docs/events.md lacks the markers ${BEGIN} ... ${END}`);
  return `${doc.slice(0, from + BEGIN.length)}\n${transitionTables()}\n${doc.slice(to)}`;
}
