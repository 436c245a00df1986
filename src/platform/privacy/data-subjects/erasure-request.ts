import type { CommandRunner } from '#src/platform/command/command-runner.js';
import type { SubjectKeys } from '#src/platform/privacy/subject-keys.js';
import { dataSubjectDecider } from './data-subject.decider.js';
import { dataSubjectStream } from './data-subject.stream.js';

export interface ErasureRequestDependencies {
  runner: CommandRunner;
  keys: Pick<SubjectKeys, 'held'>;
  newId: () => string;
}

/**
 * Requests a data subject's erasure outside HTTP (the CLI): the same command the API runs — ERASURE_REQUESTED on
 * their own stream and their key item deleted, in one atomic write — so the erasure process takes it from there.
 * NotFoundError when nothing of theirs was ever held; IllegalStateError `already_erased` / `erasure_in_progress`.
 */
export async function requestErasure(
  deps: ErasureRequestDependencies,
  request: { subjectId: string; reason: string; actor: string; correlationId: string },
): Promise<{ erasureId: string; requestedAt: string }> {
  const { subjectId, reason, actor, correlationId } = request;
  const erasureId = deps.newId();
  const keyHeld = await deps.keys.held(subjectId);
  const outcome = await deps.runner.run({
    decider: dataSubjectDecider,
    streamId: dataSubjectStream.id(subjectId),
    command: { type: 'RequestErasure', erasureId, subjectId, reason, requestedBy: actor, keyHeld },
    eraseKeys: [subjectId],
    metadata: { correlationId, actor },
    result: ({ occurredAt }) => occurredAt,
  });
  return { erasureId, requestedAt: outcome.result };
}
