import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import { removeFolder } from './deprovision.js';
import type { FollowUp } from './ports.js';
import type { ProvisionerDependencies } from './provisioner.js';
import { defaultPollDelay } from './run.js';
import { loadInstance, recordRun } from './steps.js';

/** The follow-up queue's message body (zod at the edge). */
export const FollowUpMessage = z.strictObject({
  instanceId: z.string().min(1).max(64),
  tenantId: z.string().min(1).max(64),
  change: z.number().int().min(1),
  runId: z.number().int().positive(),
  action: z.enum(['apply', 'destroy']),
  eventId: z.string().min(1).max(64),
  correlationId: z.string().min(1).max(128),
  attempt: z.number().int().min(0),
}) satisfies z.ZodType<FollowUp>;

/** Polls after this many attempts (about 2 h at the default backoff) go to the DLQ: a run that long is stuck. */
export const MAX_POLLS = 15;

/** A follow-up gave up: the message goes to the DLQ (docs/operations.md: redrive it once the run is settled). */
export class RunNotSettledError extends Error {
  override readonly name = 'RunNotSettledError';
}

/**
 * Step 5 by polling: one look at the run, recorded (RUNNING, the outcome), and another follow-up while it is not
 * done, later each time. The webhook may have recorded the same already: the decider takes repeats as no-ops.
 * A destroy that succeeded goes on to the folder's removal (whoever recorded the outcome).
 */
export async function followRun(deps: ProvisionerDependencies, followUp: FollowUp, logger: Logger) {
  const state = await loadInstance(deps.store, followUp.instanceId);
  if (state.status === 'NEW' || state.status === 'DELETED') return logger.info('nothing to follow');
  if (state.change.n !== followUp.change) return logger.info('superseded', { current: state.change.n });
  const ctx = followUp;
  if (state.change.phase !== 'succeeded' && state.change.phase !== 'failed') {
    const { repository } = deps.environments(state.environment);
    const run = await deps.workflow.run(repository, followUp.runId);
    const settled = await recordRun(deps.runner, ctx, followUp.change, run);
    if (settled === 'pending') {
      if (followUp.attempt + 1 >= MAX_POLLS)
        throw new RunNotSettledError(`run ${run.id} still ${run.status} after ${MAX_POLLS} polls`);
      const next = { ...followUp, attempt: followUp.attempt + 1 };
      await deps.schedule(next, (deps.pollDelay ?? defaultPollDelay)(next.attempt));
      return logger.info('run not settled', { runId: run.id, status: run.status, next: next.attempt });
    }
    logger.info('run settled', { runId: run.id, conclusion: run.conclusion });
  }
  const after = await loadInstance(deps.store, followUp.instanceId);
  if (after.status !== 'NEW' && after.change.kind === 'deprovision' && after.change.phase === 'succeeded')
    await removeFolder(deps, after, ctx, logger);
}
