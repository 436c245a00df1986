import type { DataKey, NewDataKey, SubjectKeys } from '#src/platform/privacy/subject-keys.js';
import type { EventCatalogue } from './catalogue.js';
import { EventTooLargeError, InvalidEventError, PersonalDataError } from './errors.js';
import type {
  ErasedField,
  EventEnvelope,
  EventMetadata,
  ExpectedVersion,
  LoadToken,
  NewEvent,
  Snapshot,
  SubjectField,
} from './event-store.port.js';
import {
  type OpenedEvent,
  planSealing,
  type SealPlan,
  sealEvents,
  stillSealed,
  type ValidEvent,
} from './sealing.js';

/** DynamoDB's item limit, less room for the key and bookkeeping attributes. */
export const ITEM_LIMIT_BYTES = 400 * 1024;
export const ITEM_OVERHEAD_BYTES = 1024;
/** One append carries at most this many events; a stored item never spans more. */
export const MAX_EVENTS_PER_ITEM = 100;

/** An event as it is kept inside a DynamoDB item: short names, because every byte is paid for. */
export interface StoredEvent {
  id: string;
  v: number;
  t: string;
  sv: number;
  at: string;
  /** data as JSON: exact, whatever numbers or empty strings it holds */
  d: string;
  m: EventMetadata;
  /** Only on an event opened for a reader (never stored): the personal fields that read as placeholders. */
  er?: ErasedField[];
}

const STREAM_ID = /^[a-z][a-z0-9]*(-[A-Za-z0-9_.:]+)+$/;

export function assertStreamId(streamId: string): void {
  if (!STREAM_ID.test(streamId) || streamId.length > 200) {
    throw new RangeError(`invalid streamId "${streamId}": expected <category>-<id>, e.g. tenant-01J...`);
  }
}

export function assertExpected(expected: ExpectedVersion): void {
  if (typeof expected === 'number' && (!Number.isSafeInteger(expected) || expected < 0)) {
    throw new RangeError(`invalid expected version ${expected}`);
  }
}

/**
 * The other streams an append is conditioned on, one token per stream. A condition on the appended stream
 * itself is a mistake (its head is `expected`/`token`), and two different versions of one stream never hold.
 */
export function conditionsFor(streamId: string, conditions: readonly LoadToken[] = []): LoadToken[] {
  const byStream = new Map<string, LoadToken>();
  for (const token of conditions) {
    assertStreamId(token.streamId);
    if (!Number.isSafeInteger(token.version) || token.version < 0) {
      throw new RangeError(`invalid condition version ${token.version} on ${token.streamId}`);
    }
    if (token.streamId === streamId) {
      throw new RangeError(
        `an append to ${streamId} cannot be conditioned on ${streamId}: pass its token as token`,
      );
    }
    const seen = byStream.get(token.streamId);
    if (seen && seen.version !== token.version) {
      throw new RangeError(
        `conditions on ${token.streamId} at ${seen.version} and ${token.version} never both hold`,
      );
    }
    if (!seen) byStream.set(token.streamId, token);
  }
  return [...byStream.values()];
}

/**
 * The snapshot to write with an append that ends at `version`, if it describes that version. A snapshot is the
 * state the caller computed for the head it loaded; an append replanned onto a newer head ends elsewhere, and
 * its snapshot would describe a state the stream never had at that version.
 */
export function snapshotAt(snapshot: Snapshot | undefined, version: number): Snapshot | undefined {
  return snapshot?.version === version ? snapshot : undefined;
}

/** Whether a stream at `actual` satisfies `expected`. */
export function satisfies(expected: ExpectedVersion, actual: number): boolean {
  switch (expected) {
    case 'any':
      return true;
    case 'exists':
      return actual > 0;
    case 'no_stream':
      return actual === 0;
    default:
      return actual === expected;
  }
}

/** Validates a batch against the catalogue: each event's stored form (data in plain) and its parsed data. */
export function validateBatch(
  catalogue: EventCatalogue,
  currentVersion: number,
  events: readonly NewEvent[],
): ValidEvent[] {
  if (events.length === 0) throw new RangeError('append needs at least one event');
  if (events.length > MAX_EVENTS_PER_ITEM) {
    throw new RangeError(`one append takes at most ${MAX_EVENTS_PER_ITEM} events, got ${events.length}`);
  }
  return events.map((event, index) => {
    const { schemaVersion, data } = catalogue.parseCurrent(event.type, event.data);
    const stored: StoredEvent = {
      id: event.eventId,
      v: currentVersion + index + 1,
      t: event.type,
      sv: schemaVersion,
      at: event.occurredAt,
      d: JSON.stringify(data),
      m: compactMetadata(event.metadata),
    };
    return { stored, data };
  });
}

/** Refuses, before anything is written, an append whose item would pass DynamoDB's item limit. */
export function assertFits(streamId: string, stored: readonly StoredEvent[], extraBytes = 0): void {
  // Room for any version number (up to 16 digits each): the batch may be renumbered after a conflict.
  const bytes =
    Buffer.byteLength(JSON.stringify(stored), 'utf8') +
    Buffer.byteLength(streamId) +
    stored.length * 16 +
    extraBytes +
    ITEM_OVERHEAD_BYTES;
  if (bytes > ITEM_LIMIT_BYTES) throw new EventTooLargeError(streamId, bytes, ITEM_LIMIT_BYTES);
}

/**
 * Validates and size-checks a batch of events without personal data (benchmarks write such items directly). An
 * event with personal fields is refused: only `sealBatch` may turn it into stored form.
 */
export function prepareBatch(
  catalogue: EventCatalogue,
  streamId: string,
  currentVersion: number,
  events: readonly NewEvent[],
): StoredEvent[] {
  const stored = validateBatch(catalogue, currentVersion, events).map((event) => {
    if (catalogue.personalSpecs(event.stored.t, event.stored.sv).length > 0) {
      throw new RangeError(`${event.stored.t} holds personal data: append it through an event store`);
    }
    return event.stored;
  });
  assertFits(streamId, stored);
  return stored;
}

/** An append's events as they will be stored: personal values sealed, with the keys that sealed them. */
export interface SealedBatch {
  plan: SealPlan;
  stored: StoredEvent[];
  /** Every key the batch uses, by subject id (the batch's subjects). */
  keys: Map<string, DataKey>;
  /** Keys made for it: their items go into the same atomic write. */
  created: NewDataKey[];
}

/**
 * Validates, encrypts and size-checks (ciphertext included) an append's events. Subject ids come from the
 * identifying e-mails; each subject's live key is used, or a new one made, to be written with the events.
 */
export async function sealBatch(
  catalogue: EventCatalogue,
  keys: SubjectKeys,
  streamId: string,
  events: readonly NewEvent[],
): Promise<SealedBatch> {
  const valid = validateBatch(catalogue, 0, events);
  const personal = valid.some((e) => catalogue.personalSpecs(e.stored.t, e.stored.sv).length > 0);
  const plan = planSealing(catalogue, valid, personal ? await keys.identify() : () => '');
  const { keys: dataKeys, created } =
    plan.subjects.size > 0
      ? await keys.keysForWrite(plan.subjects)
      : { keys: new Map<string, DataKey>(), created: [] };
  const stored = sealEvents(catalogue, plan, dataKeys);
  assertFits(streamId, stored);
  return { plan, stored, keys: dataKeys, created };
}

/** The batch sealed again after losing a key-creation race: with the winners' keys in place of its own. */
export function resealWith(
  catalogue: EventCatalogue,
  batch: SealedBatch,
  winners: readonly DataKey[],
): SealedBatch {
  const keys = new Map(batch.keys);
  for (const key of winners) keys.set(key.subjectId, key);
  const lost = new Set(winners.map((key) => key.subjectId));
  return {
    plan: batch.plan,
    stored: sealEvents(catalogue, batch.plan, keys),
    keys,
    created: batch.created.filter((made) => !lost.has(made.key.subjectId)),
  };
}

/** An erasure cannot write the data of a subject it erases: that data would be unreadable from the start. */
export function assertErasable(
  streamId: string,
  batch: SealedBatch,
  eraseKeys: readonly string[] = [],
): void {
  const both = eraseKeys.filter((subjectId) => batch.plan.subjects.has(subjectId));
  if (both.length > 0) {
    throw new RangeError(`append to ${streamId} erases ${both.join(', ')} and holds their data`);
  }
}

/** The same prepared events, versioned to follow `head`. */
export function numberedAfter(prepared: readonly StoredEvent[], head: number): StoredEvent[] {
  return prepared.map((event, index) => ({ ...event, v: head + index + 1 }));
}

/**
 * Decodes and upcasts a stored event into the current envelope. The event must have been opened (personal values
 * decrypted, `openStored`): one still sealed is refused rather than handed to a projection as ciphertext.
 */
export function decodeEvent(catalogue: EventCatalogue, streamId: string, stored: StoredEvent): EventEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(stored.d);
  } catch (error) {
    throw new InvalidEventError(stored.t, stored.sv, `stored data is not JSON (${streamId}@${stored.v})`, {
      cause: error,
    });
  }
  if (stillSealed(catalogue, stored, raw)) {
    throw new PersonalDataError(
      stored.t,
      stored.sv,
      `${streamId}@${stored.v} is sealed: open it with its keys first`,
    );
  }
  return envelopeOf(catalogue, streamId, stored, raw, stored.er ?? [], []);
}

/** Decodes and upcasts an opened event (its data already parsed and decrypted). */
export function decodeOpened(
  catalogue: EventCatalogue,
  streamId: string,
  opened: OpenedEvent,
): EventEnvelope {
  return envelopeOf(catalogue, streamId, opened.stored, opened.data, opened.erased, opened.fields);
}

/** Decodes events validated for writing (their data is in plain already), with whose values they hold. */
export const decodeValid = (
  catalogue: EventCatalogue,
  streamId: string,
  events: readonly ValidEvent[],
  subjectsByPath: readonly ReadonlyMap<string, string>[] = [],
) =>
  events.map(({ stored, data }, i) => {
    const fields = [...(subjectsByPath[i] ?? [])].map(([path, subjectId]) => ({ path, subjectId }));
    return envelopeOf(catalogue, streamId, stored, data, [], fields);
  });

function envelopeOf(
  catalogue: EventCatalogue,
  streamId: string,
  stored: StoredEvent,
  raw: unknown,
  erased: readonly ErasedField[],
  subjects: readonly SubjectField[],
): EventEnvelope {
  const { schemaVersion, data } = catalogue.upcast(stored.t, stored.sv, raw);
  const envelope: EventEnvelope = {
    eventId: stored.id,
    streamId,
    version: stored.v,
    type: stored.t,
    schemaVersion,
    occurredAt: stored.at,
    data,
    metadata: stored.m,
  };
  if (erased.length > 0) envelope.erased = erased;
  if (subjects.length > 0) envelope.subjects = subjects;
  return envelope;
}

function compactMetadata(metadata: EventMetadata): EventMetadata {
  const out: EventMetadata = { correlationId: metadata.correlationId, actor: metadata.actor };
  if (metadata.causationId !== undefined) out.causationId = metadata.causationId;
  if (metadata.tenantId !== undefined) out.tenantId = metadata.tenantId;
  return out;
}

/** One key per caller and Idempotency-Key: the scope's length keeps `a#b`+`c` apart from `a`+`b#c`. */
export const idempotencyId = (scope: string, key: string): string => `${scope.length}:${scope}#${key}`;
