import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { fold } from '#src/platform/domain/decider.js';
import { NotFoundError } from '#src/platform/domain/errors.js';
import { PERSONAL_DATA_ERASED, valueAtPath } from '#src/platform/domain/personal-data.js';
import { ConcurrencyError, TransientStoreError } from '#src/platform/event-store/errors.js';
import type { EventEnvelope, EventStore, NewEvent } from '#src/platform/event-store/event-store.port.js';
import type { RegisteredHandler } from './access.js';
import {
  type DataSubjectCommand,
  type DataSubjectState,
  dataSubjectDecider,
} from './data-subject.decider.js';
import { dataSubjectStream } from './data-subject.stream.js';
import type { PersonalDataDependencies, SubjectMention } from './personal-data-handler.js';
import type { SubjectStreams } from './subject-streams.js';

export interface ErasureProcessDependencies {
  store: Pick<EventStore, 'readStream' | 'load' | 'append' | 'findIdempotent'>;
  runner: CommandRunner;
  streams: SubjectStreams;
  handlers: readonly RegisteredHandler[];
  handlerDeps: () => PersonalDataDependencies;
  clock: () => Date;
  sleep: (ms: number) => Promise<void>;
  newEventId: () => string;
  /**
   * How long a process may still hold a data key it read before the erasure (DATA_KEY_CACHE_SECONDS): markers
   * land only after it, so no process can still write or project the person's values once they are in.
   */
  keyCacheMs: number;
  /** Margin for clocks between the requesting process and this one. */
  clockSkewMs?: number;
  /** Progress is recorded on the subject's stream after every this many streams, and at the end. */
  progressEvery?: number;
}

export interface ErasureRequest {
  erasureId: string;
  subjectId: string;
  /** When the key was deleted (the ERASURE_REQUESTED event's time). */
  requestedAt: string;
  requestedBy: string;
  correlationId: string;
  /** The ERASURE_REQUESTED event's id. */
  causationId?: string;
}

export interface ErasureReport {
  streams: number;
  /** false: the erasure was completed before (a redelivered message). */
  ran: boolean;
}

/** A marker lists at most this many values: a projection masks each in one transaction with its rows. */
export const MARKER_FIELDS = 40;
const APPEND_ATTEMPTS = 10;
const DEFAULT_SKEW_MS = 1_000;

/**
 * The erasure process, downstream of ERASURE_REQUESTED (rule -> queue -> consumer): once no process can hold the
 * person's key any more, it appends PERSONAL_DATA_ERASED to every stream whose stored events name them (found in
 * the event table itself), erases the copies each context keeps elsewhere, and records its progress and end on
 * the person's own stream. Resumable and idempotent: a stream already marked for this erasure is not marked again
 * (its marker is in the stream; the append also carries an idempotency key per erasure and stream), and a
 * completed erasure is not run again. Markers are appended with `any`: appends racing on a stream replan, they
 * do not abort it.
 */
export async function runErasure(
  deps: ErasureProcessDependencies,
  request: ErasureRequest,
): Promise<ErasureReport> {
  const state = await subjectState(deps, request.subjectId);
  const erasure = state.erasures.find((e) => e.erasureId === request.erasureId);
  if (!erasure) throw new NotFoundError(`no erasure ${request.erasureId} of ${request.subjectId}`);
  if (erasure.status === 'completed') return { streams: erasure.total ?? 0, ran: false };
  const due = Date.parse(request.requestedAt) + deps.keyCacheMs + (deps.clockSkewMs ?? DEFAULT_SKEW_MS);
  const wait = due - deps.clock().getTime();
  if (wait > 0) await deps.sleep(wait);

  const streams = await deps.streams.streamsNaming(request.subjectId);
  const mentions: SubjectMention[] = [];
  const every = Math.max(1, deps.progressEvery ?? 25);
  for (const [i, streamId] of streams.entries()) {
    mentions.push(...(await markStream(deps, request, streamId)));
    const done = i + 1;
    if (done % every === 0 && done < streams.length) {
      await record(deps, request, {
        type: 'RecordErasureProgress',
        erasureId: request.erasureId,
        marked: done,
        total: streams.length,
      });
    }
  }
  const downstream = [];
  for (const { context, handler } of deps.handlers) {
    const erased = await handler.erase(request.subjectId, mentions, deps.handlerDeps());
    downstream.push({ context, holder: handler.holder, erased });
  }
  await record(deps, request, {
    type: 'CompleteErasure',
    erasureId: request.erasureId,
    streams: streams.length,
    downstream,
  });
  return { streams: streams.length, ran: true };
}

/**
 * Marks one stream (unless this erasure marked it before) and returns the events holding the person's values,
 * for the contexts' handlers. The person's values are the ones that read as erased: a value written after the
 * erasure, under a new key, is a new life of theirs and not this erasure's.
 */
async function markStream(
  deps: ErasureProcessDependencies,
  request: ErasureRequest,
  streamId: string,
): Promise<SubjectMention[]> {
  const events = await deps.store.readStream(streamId);
  const mentions = events.flatMap((event) => {
    if (event.type === PERSONAL_DATA_ERASED) return [];
    const paths = (event.erased ?? []).filter((f) => f.subjectId === request.subjectId).map((f) => f.path);
    return paths.length > 0 ? [{ streamId, event, paths }] : [];
  });
  const marked = events.some(
    (e) =>
      e.type === PERSONAL_DATA_ERASED && (e.data as { erasureId?: unknown }).erasureId === request.erasureId,
  );
  if (marked || mentions.length === 0) return mentions;
  const markers = markersOf(deps, request, mentions, tenantOf(events));
  await appendMarkers(deps, request, streamId, markers);
  return mentions;
}

function markersOf(
  deps: ErasureProcessDependencies,
  request: ErasureRequest,
  mentions: readonly SubjectMention[],
  tenantId: string | undefined,
): NewEvent[] {
  const fields = mentions.flatMap(({ event, paths }) =>
    paths.map((path) => ({
      version: event.version,
      eventId: event.eventId,
      occurredAt: event.occurredAt,
      type: event.type,
      path,
      placeholder: valueAtPath(event.data, path),
    })),
  );
  const markers: NewEvent[] = [];
  for (let start = 0; start < fields.length; start += MARKER_FIELDS) {
    markers.push({
      eventId: deps.newEventId(),
      type: PERSONAL_DATA_ERASED,
      occurredAt: deps.clock().toISOString(),
      data: {
        erasureId: request.erasureId,
        subjectId: request.subjectId,
        erasedAt: request.requestedAt,
        erasedBy: request.requestedBy,
        fields: fields.slice(start, start + MARKER_FIELDS),
      },
      metadata: {
        correlationId: request.correlationId,
        actor: request.requestedBy,
        ...(request.causationId ? { causationId: request.causationId } : {}),
        ...(tenantId ? { tenantId } : {}),
      },
    });
  }
  return markers;
}

/** At the stream's head whatever it is (`any`), once per erasure and stream, retried while others append. */
async function appendMarkers(
  deps: ErasureProcessDependencies,
  request: ErasureRequest,
  streamId: string,
  markers: NewEvent[],
): Promise<void> {
  const idempotency = {
    scope: `erasure:${request.erasureId}`,
    key: streamId,
    requestHash: request.erasureId,
    result: null,
  };
  // Appended already for this erasure (within the record's 24 hours; after that the markers in the stream say it).
  if (await deps.store.findIdempotent(idempotency.scope, idempotency.key, idempotency.requestHash)) return;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.store.append(streamId, 'any', markers, { idempotency });
      return;
    } catch (error) {
      const passing = error instanceof ConcurrencyError || error instanceof TransientStoreError;
      if (!passing || attempt >= APPEND_ATTEMPTS) throw error;
      await deps.sleep(Math.min(1000, 20 * 2 ** attempt));
    }
  }
}

async function subjectState(deps: ErasureProcessDependencies, subjectId: string): Promise<DataSubjectState> {
  const loaded = await deps.store.load(dataSubjectStream.id(subjectId));
  return fold(dataSubjectDecider, dataSubjectDecider.initialState(), loaded.events as never[]);
}

async function record(
  deps: ErasureProcessDependencies,
  request: ErasureRequest,
  command: DataSubjectCommand,
): Promise<void> {
  await deps.runner.run({
    decider: dataSubjectDecider,
    streamId: dataSubjectStream.id(request.subjectId),
    command,
    metadata: {
      correlationId: request.correlationId,
      actor: request.requestedBy,
      ...(request.causationId ? { causationId: request.causationId } : {}),
    },
    result: () => undefined,
  });
}

/** The tenant a stream's events belong to (their metadata), for the markers' metadata. */
function tenantOf(events: readonly EventEnvelope[]): string | undefined {
  return events.findLast((e) => e.metadata.tenantId !== undefined)?.metadata.tenantId;
}
