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
 * again by the event id) and RecordDeprovisioned. A folder never pushed (no commit recorded, and no commit of a
 * started change in the repository): RecordDeprovisioned at once.
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
  const { committed, tags } = await commitsOf(deps, state);
  if (!committed && !(await pushedAny(deps, state, tags))) {
    logger.info('no folder was ever committed: deprovisioned at once');
    await record(deps.runner, ctx, { type: 'RecordDeprovisioned', change: state.change.n });
    // A change's push still on the wire when we looked may have landed since: its handler removes it when it
    // sees DELETED, and this looks once more in case it saw DEPROVISIONING (nothing was applied from it: its
    // dispatch stops on a moved head, run.ts).
    if (tags.length > 0 && (await pushedAny(deps, state, tags))) {
      const removed = await deps.environments(state.environment).git.removeTenantFolder({
        folder: tenantFolder(state.tenantId),
        message: `deprovision tenant ${state.tenantId} (${state.environment}, change ${state.change.n}: pushed during the deletion) ${eventTag(ctx.eventId)}`,
        author: AUTHOR,
      });
      logger.warn('a folder pushed during the deletion was removed', { commitSha: removed.sha });
    }
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

/**
 * Whether a change of the instance was ever committed (the stream), and the event tags of the changes whose
 * commit was started (INSTANCE_COMMIT_STARTED of any change: a push may have landed whose RecordCommit was
 * ignored once the DELETE was recorded). The event that started a change is its first; its id tags the commit.
 */
async function commitsOf(deps: ProvisionerDependencies, state: Live) {
  const events = await deps.store.readStream(instanceStream.id(state.instanceId));
  const changeOf = (data: unknown) => (data as { change?: unknown }).change;
  const started = new Set(
    events.filter((e) => e.type === 'INSTANCE_COMMIT_STARTED').map((e) => changeOf(e.data)),
  );
  const tags = [...started].flatMap((change) => {
    const start = events.find((e) => changeOf(e.data) === change);
    return start ? [eventTag(start.eventId)] : [];
  });
  return { committed: events.some((e) => e.type === 'INSTANCE_COMMITTED'), tags };
}

/** Whether the repository holds a commit of the tenant's folder carrying one of `tags`. */
async function pushedAny(deps: ProvisionerDependencies, state: Live, tags: string[]): Promise<boolean> {
  const git = deps.environments(state.environment).git;
  for (const tag of tags) {
    if (await git.findCommit({ folder: tenantFolder(state.tenantId), messageContains: tag })) return true;
  }
  return false;
}
