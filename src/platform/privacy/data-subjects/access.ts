import { valueAtPath } from '#src/platform/domain/personal-data.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import type { SubjectKeys } from '#src/platform/privacy/subject-keys.js';
import { type DataSubjectState, dataSubjectDecider, erasureInProgress } from './data-subject.decider.js';
import { dataSubjectStream } from './data-subject.stream.js';
import type {
  PersonalDataDependencies,
  PersonalDataHandler,
  SubjectMention,
} from './personal-data-handler.js';

/** A context's handler of the copies it keeps outside the event table. */
export interface RegisteredHandler {
  context: string;
  handler: PersonalDataHandler;
}

export interface DataSubjectAccessDependencies {
  store: Pick<EventStore, 'readStream' | 'load'>;
  keys: Pick<SubjectKeys, 'subjectIdOf' | 'held'>;
  /** Which streams mention a subject (the data-subjects index). */
  index: { streamsOf(subjectId: string): Promise<string[]> };
  handlers: readonly RegisteredHandler[];
  handlerDeps: () => PersonalDataDependencies;
}

/** One personal value of the subject in an event: the value while it lives, `erased` once it is gone. */
export interface ExportedValue {
  version: number;
  type: string;
  occurredAt: string;
  path: string;
  value?: unknown;
  erased?: true;
}

export interface DataSubjectExport {
  subjectId: string;
  /** held: their key exists (their data reads); erasing: an erasure is running; erased: nothing of theirs reads */
  status: 'held' | 'erasing' | 'erased';
  streams: { streamId: string; values: ExportedValue[] }[];
  downstream: { context: string; holder: string; records: unknown[] }[];
  erasures: DataSubjectState['erasures'];
}

/** The subject id of an e-mail, if the platform knows that person (the index or their own stream names them). */
export async function findSubject(
  deps: DataSubjectAccessDependencies,
  email: string,
): Promise<string | undefined> {
  const subjectId = await deps.keys.subjectIdOf(email);
  const known =
    (await deps.keys.held(subjectId)) ||
    (await deps.index.streamsOf(subjectId)).length > 0 ||
    (await deps.store.readStream(dataSubjectStream.id(subjectId))).length > 0;
  return known ? subjectId : undefined;
}

/** The events of these streams that hold the subject's values, read now (decrypted while their key lives). */
export async function mentionsOf(
  store: Pick<EventStore, 'readStream'>,
  subjectId: string,
  streams: readonly string[],
): Promise<SubjectMention[]> {
  const read = await Promise.all(streams.map((streamId) => store.readStream(streamId)));
  return read.flatMap((events, i) =>
    events.flatMap((event) => {
      const paths = (event.subjects ?? []).filter((f) => f.subjectId === subjectId).map((f) => f.path);
      return paths.length > 0 ? [{ streamId: streams[i] as string, event, paths }] : [];
    }),
  );
}

/**
 * Everything the platform holds about a person (POPIA's right of access): per stream that mentions them, each
 * event's values of theirs, decrypted; what each context keeps of them elsewhere; and their erasures. Undefined
 * when the platform knows nothing of them.
 */
export async function exportSubject(
  deps: DataSubjectAccessDependencies,
  subjectId: string,
): Promise<DataSubjectExport | undefined> {
  const [streams, own, held] = await Promise.all([
    deps.index.streamsOf(subjectId),
    deps.store.load(dataSubjectStream.id(subjectId)),
    deps.keys.held(subjectId),
  ]);
  if (streams.length === 0 && own.version === 0 && !held) return undefined;
  const state = own.events.reduce(
    (s, e) => dataSubjectDecider.evolve(s, e as never),
    dataSubjectDecider.initialState(),
  );
  const mentions = await mentionsOf(deps.store, subjectId, streams);
  const downstream = await Promise.all(
    deps.handlers.map(async ({ context, handler }) => ({
      context,
      holder: handler.holder,
      records: await handler.export(subjectId, mentions, deps.handlerDeps()),
    })),
  );
  return {
    subjectId,
    status: erasureInProgress(state) ? 'erasing' : held ? 'held' : 'erased',
    streams: streams.map((streamId) => ({
      streamId,
      values: mentions.filter((m) => m.streamId === streamId).flatMap(valuesOf),
    })),
    downstream,
    erasures: state.erasures,
  };
}

function valuesOf({ event, paths }: SubjectMention): ExportedValue[] {
  const erased = new Set((event.erased ?? []).map((f) => f.path));
  return paths.map((path) => {
    const where = { version: event.version, type: event.type, occurredAt: event.occurredAt, path };
    return erased.has(path) ? { ...where, erased: true } : { ...where, value: valueAtPath(event.data, path) };
  });
}
