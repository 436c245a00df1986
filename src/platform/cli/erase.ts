import { userInfo } from 'node:os';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { fold } from '#src/platform/domain/decider.js';
import { DomainError } from '#src/platform/domain/errors.js';
import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import { newUlid } from '#src/platform/http/ids.js';
import { dataSubjectDecider } from '#src/platform/privacy/data-subjects/data-subject.decider.js';
import { ErasureReason, SubjectId } from '#src/platform/privacy/data-subjects/data-subject.events.js';
import { dataSubjectStream } from '#src/platform/privacy/data-subjects/data-subject.stream.js';
import { requestErasure } from '#src/platform/privacy/data-subjects/erasure-request.js';
import type { SubjectKeys } from '#src/platform/privacy/subject-keys.js';
import { type CommandSpec, UsageError } from './usage.js';

export const ERASE_COMMANDS: readonly CommandSpec[] = [
  {
    name: 'erase',
    positionals: [{ name: 'subjectId', optional: true }],
    options: {
      reason: { type: 'string', value: 'text', description: 'why (kept on their stream: no e-mail address)' },
      wait: { type: 'boolean', description: 'follow the erasure process until every marker is in' },
      reapply: {
        type: 'boolean',
        description: 'after a restore: erase again everyone erased since --since in --from-table',
      },
      'from-table': { type: 'string', value: 'table', description: 'the event table the restore replaced' },
      since: { type: 'string', value: 'ISO time', description: 'the restore point' },
    },
    summary: 'erase a data subject (their key now, markers after), or re-apply erasures after a restore',
    details: `Deletes the subject's data key and records ERASURE_REQUESTED on their stream in one write (as
POST /v1.0/data-subjects/{subjectId}/erasure does); the erasure process marks every stream and erases the
contexts' copies downstream. --reapply reads the erasures requested at or after --since from --from-table (the
table before a point-in-time restore) and erases each subject again here (docs/operations.md, "Backups").`,
  },
];

export interface EraseDependencies {
  store: Pick<EventStore, 'load' | 'readAll'>;
  keys: Pick<SubjectKeys, 'held'>;
  runner: CommandRunner;
  /** The event store over another table of the stage (the one a restore replaced). */
  storeOf: (tableName: string) => Pick<EventStore, 'readAll'>;
  sleep?: (ms: number) => Promise<void>;
  out?: (line: string) => void;
}

export interface EraseOptions {
  reason?: string | undefined;
  wait: boolean;
  reapply: boolean;
  fromTable?: string | undefined;
  since?: Date | undefined;
}

const actor = () => `cli:${userInfo().username}`;

/** `erase <subjectId> --reason <text> [--wait]` and `erase --reapply --from-table <table> --since <time>`. */
export async function erase(
  deps: EraseDependencies,
  subjectId: string | undefined,
  options: EraseOptions,
  help: string,
): Promise<number> {
  const out = deps.out ?? ((line: string) => console.log(line));
  if (options.reapply) return reapply(deps, options, help, out);
  if (!subjectId) throw new UsageError('erase: missing <subjectId>', help);
  const id = SubjectId.safeParse(subjectId);
  if (!id.success) throw new UsageError(`erase: "${subjectId}" is not a data subject id`, help);
  const reason = ErasureReason.safeParse(options.reason ?? '');
  if (!reason.success) throw new UsageError(`erase: --reason ${reason.error.issues[0]?.message}`, help);
  try {
    const { erasureId } = await requestErasure(
      { runner: deps.runner, keys: deps.keys, newId: newUlid },
      { subjectId: id.data, reason: reason.data, actor: actor(), correlationId: newUlid() },
    );
    out(`${id.data}: key deleted, erasure ${erasureId} requested; the erasure process marks every stream`);
    return options.wait ? follow(deps, id.data, erasureId, out) : 0;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    out(`${id.data}: ${error.message}`);
    return 1;
  }
}

/** Prints the erasure's progress (as its stream records it) until it is complete. */
async function follow(
  deps: EraseDependencies,
  subjectId: string,
  erasureId: string,
  out: (l: string) => void,
) {
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let last = '';
  for (;;) {
    const loaded = await deps.store.load(dataSubjectStream.id(subjectId));
    const state = fold(dataSubjectDecider, dataSubjectDecider.initialState(), loaded.events as never[]);
    const erasure = state.erasures.find((e) => e.erasureId === erasureId);
    const line = erasure
      ? `${erasure.status}: ${erasure.marked}/${erasure.total ?? '?'} streams marked`
      : 'waiting for the erasure to be recorded';
    if (line !== last) out(line);
    last = line;
    if (erasure?.status === 'completed') {
      for (const d of erasure.downstream ?? []) out(`  ${d.context} ${d.holder}: ${d.erased} erased`);
      return 0;
    }
    await sleep(2000);
  }
}

/**
 * After a point-in-time restore: the restored table has the key items of everyone erased since the restore point
 * back (their ERASURE_REQUESTED events are only in the table it replaced). Each is erased again here.
 */
async function reapply(
  deps: EraseDependencies,
  options: EraseOptions,
  help: string,
  out: (l: string) => void,
) {
  if (!options.fromTable || !options.since)
    throw new UsageError('erase --reapply needs --from-table and --since', help);
  const since = options.since.getTime();
  let failed = 0;
  for await (const batch of deps.storeOf(options.fromTable).readAll({
    categories: [dataSubjectStream.category],
    appendedSince: options.since,
  })) {
    for (const event of batch.events) {
      if (event.type === 'ERASURE_REQUESTED' && Date.parse(event.occurredAt) >= since) {
        if (!(await reapplyOne(deps, event, out))) failed++;
      }
    }
  }
  return failed > 0 ? 1 : 0;
}

/** One recorded erasure, requested again here; false when it is refused. */
async function reapplyOne(deps: EraseDependencies, event: EventEnvelope, out: (l: string) => void) {
  const { subjectId, erasureId, reason } = event.data as {
    subjectId: string;
    erasureId: string;
    reason: string;
  };
  if (!(await deps.keys.held(subjectId))) {
    out(`${subjectId}: no key here (nothing of theirs was restored)`);
    return true;
  }
  const again = `re-applied after a restore (erasure ${erasureId} of ${event.occurredAt}): ${reason}`;
  try {
    const { erasureId: now } = await requestErasure(
      { runner: deps.runner, keys: deps.keys, newId: newUlid },
      { subjectId, reason: again.slice(0, 500), actor: actor(), correlationId: event.metadata.correlationId },
    );
    out(`${subjectId}: erased again (erasure ${now})`);
    return true;
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    out(`${subjectId}: ${error.message}`);
    return false;
  }
}
