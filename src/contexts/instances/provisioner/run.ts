import type { Live } from '../domain/instance.state.js';
import { type FollowUp, runTitle, type WorkflowAction } from './ports.js';
import type { ProvisionerDependencies } from './provisioner.js';
import { changeMoved, record, type StepContext } from './steps.js';

/** 5 s, doubling, at most SQS's 900 s delay. */
export const defaultPollDelay = (attempt: number): number => Math.min(900, 5 * 2 ** Math.min(attempt, 8));
/** Runs are looked for from a little before the change began (clocks of GitHub and of Lambda differ). */
const CLOCK_SKEW_MS = 5 * 60_000;

/** Step 4: its own run found first, else dispatched; recorded, then followed by a delayed poll. */
export async function dispatchRun(
  deps: ProvisionerDependencies,
  state: Live,
  ctx: StepContext,
  how: { action: WorkflowAction; since: string },
) {
  const n = state.change.n;
  const { repository } = deps.environments(state.environment);
  let run = state.change.run;
  if (!run) {
    // GitHub's `created` qualifier takes ISO 8601 to the second.
    const since = new Date(Date.parse(how.since) - CLOCK_SKEW_MS).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const title = runTitle(how.action, state.tenantId, ctx.eventId);
    const found = await deps.workflow.findRun(repository, title, since);
    // Just before the dispatch: a change moved on (a DELETE meanwhile) would leave the run's stack without owner.
    if (!found && (await changeMoved(deps, state, ctx))) return;
    run =
      found ??
      (await deps.workflow.dispatch(repository, {
        tenantId: state.tenantId,
        action: how.action,
        eventId: ctx.eventId,
      }));
    await record(deps.runner, ctx, {
      type: 'RecordWorkflowQueued',
      change: n,
      runId: run.id,
      runUrl: run.url,
    });
  }
  const followUp: FollowUp = { ...ctx, change: n, runId: run.id, action: how.action, attempt: 0 };
  await deps.schedule(followUp, (deps.pollDelay ?? defaultPollDelay)(0));
}
