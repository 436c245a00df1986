import type { Logger } from '@aws-lambda-powertools/logger';
import type { Live } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import { tenantFolder } from '../terraform/index.js';
import { eventTag } from './ports.js';
import { AUTHOR, type ChangeStart, type ProvisionerDependencies } from './provisioner.js';
import { dispatchRun } from './run.js';
import { record, type StepContext } from './steps.js';

/**
 * A deprovisioning: destroy on the folder as it is (steps 4-5), then the folder's removal (its own commit found
 * again by the event id) and RecordDeprovisioned. A folder never committed: RecordDeprovisioned at once.
 */
export async function deprovision(
  deps: ProvisionerDependencies,
  state: Live,
  ctx: StepContext,
  start: ChangeStart,
  logger: Logger,
) {
  const { phase } = state.change;
  if (phase === 'failed') return logger.info('deprovisioning failed; a retry starts it again');
  if (phase === 'succeeded') return removeFolder(deps, state, ctx, logger);
  if (!(await everCommitted(deps, ctx.instanceId))) {
    logger.info('no folder was ever committed: deprovisioned at once');
    await record(deps.runner, ctx, { type: 'RecordDeprovisioned', change: state.change.n });
    return;
  }
  await dispatchRun(deps, state, ctx, { action: 'destroy', since: start.occurredAt });
}

/** After the destroy run succeeded: the folder removed in its own commit, then the instance DELETED. */
export async function removeFolder(
  deps: ProvisionerDependencies,
  state: Live,
  ctx: StepContext,
  logger: Logger,
) {
  const git = deps.environments(state.environment).git;
  const folder = tenantFolder(state.tenantId);
  const found = await git.findCommit({ folder, messageContains: eventTag(ctx.eventId) });
  const removed = found
    ? { sha: found, changed: true }
    : await git.removeTenantFolder({
        folder,
        message: `deprovision tenant ${state.tenantId} (${state.environment}, change ${state.change.n}) ${eventTag(ctx.eventId)}`,
        author: AUTHOR,
      });
  logger.info('folder removed', { commitSha: removed.sha, changed: removed.changed });
  await record(deps.runner, ctx, {
    type: 'RecordDeprovisioned',
    change: state.change.n,
    ...(removed.sha ? { commitSha: removed.sha } : {}),
  });
}

/** Whether any change of the instance was ever committed (its stream, not the repository's bounded history). */
async function everCommitted(deps: ProvisionerDependencies, instanceId: string): Promise<boolean> {
  const events = await deps.store.readStream(instanceStream.id(instanceId));
  return events.some((e) => e.type === 'INSTANCE_COMMITTED');
}
