import type { Logger } from '@aws-lambda-powertools/logger';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { loadOptionsOf, stateOf } from '#src/platform/command/dependency.js';
import { IllegalStateError } from '#src/platform/domain/errors.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import type { StepCommand } from '../domain/instance.commands.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceState, Live } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import type { WorkflowRunView } from './ports.js';

export const PROVISIONER_ACTOR = 'provisioner';

/**
 * A decider refusal of a provisioner step (README.md: `commit_already_recorded`, `run_already_recorded`,
 * `outcome_already_recorded`, `not_committed`, `unknown_change`, `not_deprovisioning`) is never retried into
 * success: logged at ERROR with its code, then rethrown so the message ends in the DLQ, never dropped.
 */
export function logRefusal(logger: Logger, error: unknown): void {
  if (error instanceof IllegalStateError)
    logger.error('step refused by the decider', { code: error.code, message: error.message });
}

/** Who a step is for, and why (the metadata of every event it appends). */
export interface StepContext {
  instanceId: string;
  tenantId: string;
  /** The event that started the change. */
  eventId: string;
  correlationId: string;
}

/** The instance at its head (a consistent load). */
export async function loadInstance(
  store: Pick<EventStore, 'load'>,
  instanceId: string,
): Promise<InstanceState> {
  const loaded = await store.load(instanceStream.id(instanceId), loadOptionsOf(instanceDecider));
  return stateOf(instanceDecider, loaded);
}

/**
 * Whether the instance's head is no longer at `state`'s change (a newer change, a DELETE recorded meanwhile): a
 * handler about to push or dispatch stops then, since its steps would be ignored and what it pushed or started
 * would have no owner. A deprovisioning's own steps go on while DEPROVISIONING.
 */
export async function changeMoved(
  deps: { store: Pick<EventStore, 'load'> },
  state: Live,
  ctx: StepContext,
): Promise<boolean> {
  const head = await loadInstance(deps.store, ctx.instanceId);
  if (head.status === 'NEW' || head.status === 'DELETED') return true;
  if (head.change.n !== state.change.n) return true;
  return head.status === 'DEPROVISIONING' && state.change.kind !== 'deprovision';
}

/**
 * Records one provisioner step with the command runner (no dependency on the tenant: the platform's own command).
 * The decider answers a repeat with no events; a 409 (another commit, run or outcome already recorded) throws.
 */
export async function record(runner: CommandRunner, ctx: StepContext, command: StepCommand): Promise<number> {
  const outcome = await runner.run({
    decider: instanceDecider,
    streamId: instanceStream.id(ctx.instanceId),
    command,
    metadata: {
      correlationId: ctx.correlationId,
      causationId: ctx.eventId,
      actor: PROVISIONER_ACTOR,
      tenantId: ctx.tenantId,
    },
    result: () => undefined,
  });
  return outcome.events.length;
}

/** What a run's status says, recorded for `change` (polling and the webhook both call this: idempotent). */
export async function recordRun(
  runner: CommandRunner,
  ctx: StepContext,
  change: number,
  run: WorkflowRunView,
): Promise<'completed' | 'pending'> {
  if (run.status === 'in_progress' || run.status === 'completed')
    await record(runner, ctx, { type: 'RecordWorkflowRunning', change, runId: run.id, runUrl: run.url });
  if (run.status !== 'completed') return 'pending';
  const conclusion = run.conclusion ?? 'unknown';
  await record(runner, ctx, {
    type: 'RecordWorkflowOutcome',
    change,
    runId: run.id,
    outcome: conclusion === 'success' ? 'succeeded' : 'failed',
    conclusion,
    ...(conclusion === 'success' ? {} : { reason: `workflow run ${run.id} concluded ${conclusion}` }),
  });
  return 'completed';
}
