import type { Logger } from '@aws-lambda-powertools/logger';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { finished, type Live } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import type { Author } from '../git/environment-repository.port.js';
import type { TenantFolder, TenantTerraformInput } from '../terraform/index.js';
import { deprovision } from './deprovision.js';
import { checkedFolder, type FolderSettings, folderInput } from './folder.js';
import { type DeployWorkflow, type Environments, eventTag, type ScheduleFollowUp } from './ports.js';
import { dispatchRun } from './run.js';
import { changeMoved, loadInstance, record, type StepContext } from './steps.js';

export interface ProvisionerDependencies {
  runner: CommandRunner;
  store: Pick<EventStore, 'load' | 'readStream'>;
  environments: Environments;
  workflow: DeployWorkflow;
  schedule: ScheduleFollowUp;
  folders: FolderSettings;
  /** Delay of the n-th poll of a run (seconds, at most 900). */
  pollDelay?: (attempt: number) => number;
  /** Tests: a generator other than the real one (a broken file). */
  generate?: (input: TenantTerraformInput) => TenantFolder;
}

/** The event that starts a change, as the consumer passes it. */
export interface ChangeStart {
  eventId: string;
  streamId: string;
  correlationId: string;
  occurredAt: string;
  change: number;
}

export const AUTHOR: Author = { name: 'BBWS control plane', email: 'control-plane@bbws.invalid' };

/**
 * Steps 1-4 of the provisioner's contract (README.md) for one change: load at the head, stop if superseded,
 * generate the folder from the state, check it, commit (its own commit found first), dispatch (its own run
 * found first), and leave the run to the follow-up (follow.ts). Every step is recorded, and every recorded step
 * is skipped when the message comes again.
 */
export async function provisionChange(deps: ProvisionerDependencies, start: ChangeStart, logger: Logger) {
  const instanceId = instanceStream.parse(start.streamId);
  const state = await loadInstance(deps.store, instanceId);
  if (state.status === 'NEW') throw new Error(`${start.streamId} is not in the event store (yet)`);
  const { change } = state;
  if (change.n > start.change) return logger.info('superseded by a newer change', { current: change.n });
  if (change.n < start.change) throw new Error(`change ${start.change} is not at the head yet (${change.n})`);
  if (state.status === 'DELETED') return logger.info('instance already deleted');
  const ctx: StepContext = {
    instanceId,
    tenantId: state.tenantId,
    eventId: start.eventId,
    correlationId: start.correlationId,
  };
  if (change.kind === 'deprovision') return deprovision(deps, state, ctx, start, logger);
  if (finished(change.phase)) return logger.info('change already finished', { phase: change.phase });
  const sha = change.commitSha ?? (await commitFolder(deps, state, ctx, logger));
  if (sha === undefined) return;
  await dispatchRun(deps, state, ctx, { action: 'apply', since: start.occurredAt });
}

/** Steps 2-3: the folder's commit (found again by the event id), recorded; undefined when the check refused it. */
async function commitFolder(deps: ProvisionerDependencies, state: Live, ctx: StepContext, logger: Logger) {
  const n = state.change.n;
  const input = folderInput(state, deps.folders);
  const { folder, problems } = checkedFolder(input, deps.generate);
  if (problems.length > 0) {
    logger.warn('Terraform check refused the folder', { problems });
    const reason = problems.slice(0, 5).join('; ').slice(0, 1000);
    await record(deps.runner, ctx, {
      type: 'RecordWorkflowOutcome',
      change: n,
      outcome: 'failed',
      conclusion: 'check_failed',
      reason,
    });
    return undefined;
  }
  await record(deps.runner, ctx, { type: 'RecordCommitStarted', change: n });
  const git = deps.environments(state.environment).git;
  const found = await git.findCommit({ folder: folder.folder, messageContains: eventTag(ctx.eventId) });
  // A DELETE (or any newer change) recorded since this change was loaded: its handler owns the folder now.
  if (!found && (await changeMoved(deps, state, ctx))) {
    logger.info('the change moved before the push: nothing pushed');
    return undefined;
  }
  const commit = found
    ? { sha: found, changed: true }
    : await git.commitTenantFolder({
        folder: folder.folder,
        files: folder.files,
        message: `${state.change.kind} tenant ${state.tenantId} (${state.environment}, change ${n}) ${eventTag(ctx.eventId)}`,
        author: AUTHOR,
      });
  if (!found && commit.changed && (await loadInstance(deps.store, ctx.instanceId)).status === 'DELETED') {
    // Deleted while the push was on the wire: the deprovisioning looked for this commit before it landed (or
    // removed the folder before it landed) and is over; nothing is applied from this push (the dispatch stops on
    // a moved head). The folder goes again at once (deprovision.ts looks once more for the same reason).
    const removed = await git.removeTenantFolder({
      folder: folder.folder,
      message: `deprovision tenant ${state.tenantId} (${state.environment}, change ${n}: deleted during its push) ${eventTag(ctx.eventId)}`,
      author: AUTHOR,
    });
    logger.warn('deleted during the push: the folder pushed was removed again', { commitSha: removed.sha });
    return undefined;
  }
  logger.info('committed', {
    commitSha: commit.sha,
    changed: commit.changed,
    foundAgain: found !== undefined,
  });
  await record(deps.runner, ctx, {
    type: 'RecordCommit',
    change: n,
    commitSha: commit.sha,
    changed: commit.changed,
    suspended: input.suspended,
  });
  return commit.sha;
}
