import type { EventCatalogue } from './catalogue.js';
import { EventTooLargeError, InvalidEventError } from './errors.js';
import type {
  EventEnvelope,
  EventMetadata,
  ExpectedVersion,
  LoadToken,
  NewEvent,
  Snapshot,
} from './event-store.port.js';

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

/** Validates a batch against the catalogue and gives it versions after `currentVersion`. */
export function prepareBatch(
  catalogue: EventCatalogue,
  streamId: string,
  currentVersion: number,
  events: readonly NewEvent[],
): StoredEvent[] {
  if (events.length === 0) throw new RangeError('append needs at least one event');
  if (events.length > MAX_EVENTS_PER_ITEM) {
    throw new RangeError(`one append takes at most ${MAX_EVENTS_PER_ITEM} events, got ${events.length}`);
  }
  const stored = events.map((event, index) => {
    const { schemaVersion, data } = catalogue.parseCurrent(event.type, event.data);
    return {
      id: event.eventId,
      v: currentVersion + index + 1,
      t: event.type,
      sv: schemaVersion,
      at: event.occurredAt,
      d: JSON.stringify(data),
      m: compactMetadata(event.metadata),
    };
  });
  // Room for any version number (up to 16 digits each): the batch may be renumbered after a conflict.
  const bytes =
    Buffer.byteLength(JSON.stringify(stored), 'utf8') +
    Buffer.byteLength(streamId) +
    stored.length * 16 +
    ITEM_OVERHEAD_BYTES;
  if (bytes > ITEM_LIMIT_BYTES) throw new EventTooLargeError(streamId, bytes, ITEM_LIMIT_BYTES);
  return stored;
}

/** The same prepared events, versioned to follow `head`. */
export function numberedAfter(prepared: readonly StoredEvent[], head: number): StoredEvent[] {
  return prepared.map((event, index) => ({ ...event, v: head + index + 1 }));
}

/** Decodes and upcasts a stored event into the current envelope. */
export function decodeEvent(catalogue: EventCatalogue, streamId: string, stored: StoredEvent): EventEnvelope {
  let raw: unknown;
  try {
    raw = JSON.parse(stored.d);
  } catch (error) {
    throw new InvalidEventError(stored.t, stored.sv, `stored data is not JSON (${streamId}@${stored.v})`, {
      cause: error,
    });
  }
  const { schemaVersion, data } = catalogue.upcast(stored.t, stored.sv, raw);
  return {
    eventId: stored.id,
    streamId,
    version: stored.v,
    type: stored.t,
    schemaVersion,
    occurredAt: stored.at,
    data,
    metadata: stored.m,
  };
}

function compactMetadata(metadata: EventMetadata): EventMetadata {
  const out: EventMetadata = { correlationId: metadata.correlationId, actor: metadata.actor };
  if (metadata.causationId !== undefined) out.causationId = metadata.causationId;
  if (metadata.tenantId !== undefined) out.tenantId = metadata.tenantId;
  return out;
}

/** One key per caller and Idempotency-Key: the scope's length keeps `a#b`+`c` apart from `a`+`b#c`. */
export const idempotencyId = (scope: string, key: string): string => `${scope.length}:${scope}#${key}`;
