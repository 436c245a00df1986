/** The envelope every stored event travels in. `data` is always the current schema version's shape. */
export interface EventEnvelope<Type extends string = string, Data = unknown> {
  eventId: string;
  streamId: string;
  version: number;
  type: Type;
  schemaVersion: number;
  occurredAt: string;
  data: Data;
  metadata: EventMetadata;
  /**
   * Personal fields whose subject was erased (their key is gone): `data` holds a placeholder valid for the
   * field's schema there. Absent when nothing was erased. Paths are those of the schema version the event was
   * written with (array indices in place of `[]`), the same as the current one's unless an upcaster moved them.
   */
  erased?: readonly ErasedField[];
  /**
   * Every personal value of the event and whose it is, erased or not (paths as in `erased`), with its sealed form
   * as stored: what the index of data subjects is built from, and what the publisher sends in place of the value.
   * Absent when the event holds no personal value.
   */
  subjects?: readonly SubjectField[];
}

export interface ErasedField {
  /** e.g. `contactEmail`, `contacts.2.email` */
  path: string;
  subjectId: string;
}

/** A personal value of an event: where, whose, and (read from storage) the sealed value stored there. */
export interface SubjectField extends ErasedField {
  /** `{$pd: 1, s, k, c}`: AES-256-GCM under the subject's key; absent on events an append returns. */
  sealed?: { $pd: 1; s: string; k: string; c: string };
}

export interface EventMetadata {
  correlationId: string;
  causationId?: string | undefined;
  actor: string;
  tenantId?: string | undefined;
}

/** What a writer hands to `append`: the store assigns streamId, version and schemaVersion. */
export interface NewEvent {
  eventId: string;
  type: string;
  occurredAt: string;
  data: unknown;
  metadata: EventMetadata;
}

/** emmett's vocabulary: a version (0 = no stream yet), or a condition on existence. */
export type ExpectedVersion = number | 'no_stream' | 'exists' | 'any';

export interface Snapshot {
  /** The decider's own version: a snapshot written by another decider version is ignored. */
  deciderVersion: string;
  version: number;
  state: unknown;
}

export interface IdempotencyRecord {
  /** Whose key this is (the caller's subject): two callers never share results. */
  scope: string;
  key: string;
  /** A hash of the request; the same key with another request is refused. */
  requestHash: string;
  /** Returned to every retry of the same request. */
  result: unknown;
  ttlSeconds?: number;
}

export interface AppendOptions {
  /** Uniqueness keys to take for this stream (e.g. `org:acme`) and to give back, in the same atomic write. */
  reservations?: { claim?: readonly string[]; release?: readonly string[] };
  idempotency?: IdempotencyRecord;
  /**
   * State after this append, written with it (deciders snapshot every N events). Written only if its `version`
   * is the version the append ends at: an `any`/`exists` append that lands on a newer head drops it.
   */
  snapshot?: Snapshot;
  /** The token `load` returned: lets the store plan the write from its own consistent read. */
  token?: LoadToken;
  /**
   * Data subjects whose key items are deleted in the same atomic write as this append (an erasure: from then on
   * their personal values read as placeholders everywhere). The erasing store forgets them at once; every other
   * process within its key cache's TTL. Their data may not be in this append.
   */
  eraseKeys?: readonly string[];
  /**
   * Tokens of OTHER streams (from `load` or `append`): the append happens only if each of those streams is still
   * exactly at its token's version, in the same atomic write; otherwise StreamConditionError and nothing is
   * written. A token the store did not issue is checked against the stream's head first.
   */
  conditions?: readonly LoadToken[];
}

export interface AppendResult {
  streamId: string;
  /** The stream's version after the append. */
  version: number;
  /** The events written; empty when the append was an idempotent replay. */
  events: EventEnvelope[];
  /** Set when the idempotency key was seen before with the same request: nothing was appended. */
  replayed?: IdempotentReplay;
  /** The head as this append left it: pass it to the next append to skip a read. */
  token: LoadToken;
}

/**
 * A stored result. It is sealed with the keys of the people of its stream: once one of them is erased it cannot
 * be read, and `result` is undefined with `resultErased` set (the caller answers without the body).
 */
export interface IdempotentReplay {
  result: unknown;
  resultErased?: true;
}

export interface LoadResult {
  version: number;
  /** Present when a usable snapshot (matching deciderVersion) exists. */
  snapshot?: { version: number; state: unknown };
  /** Every event after the snapshot (or all events when there is none). */
  events: EventEnvelope[];
  token: LoadToken;
}

/** Opaque: only the store that issued it can read it. */
export interface LoadToken {
  readonly streamId: string;
  readonly version: number;
}

export interface LoadOptions {
  /** Only a snapshot written by this decider version is used. */
  deciderVersion?: string;
  /** The decider's snapshot cadence: how far back the newest snapshot can be. */
  snapshotEvery?: number;
}

export interface ReadAllOptions {
  /** Parallel scan segments (DynamoDB) — ignored by in-memory stores. */
  segments?: number;
  /** Only streams of these categories (the part of the stream id before the first `-`). */
  categories?: readonly string[];
  /** Resume a segment after the last stream fully handled in it (segment index -> stream id). */
  resumeAfter?: Readonly<Record<number, string>>;
  /** Only appends written at or after this time (a rebuild's second pass). */
  appendedSince?: Date;
}

/** A page of readAll: events of whole or partial streams, each stream in version order, from one segment. */
export interface ReadAllBatch {
  segment: number;
  events: EventEnvelope[];
}

export interface EventStore {
  append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    options?: AppendOptions,
  ): Promise<AppendResult>;
  readStream(streamId: string, fromVersion?: number): Promise<EventEnvelope[]>;
  /** Loads for a decider: its latest snapshot plus the events after it. */
  load(streamId: string, options?: LoadOptions): Promise<LoadResult>;
  /** Every stream, each in version order; batches from different streams interleave. */
  readAll(options?: ReadAllOptions): AsyncIterable<ReadAllBatch>;
  /** The stored result for a retried request, undefined if the key is unused or expired. */
  findIdempotent(scope: string, key: string, requestHash: string): Promise<IdempotentReplay | undefined>;
  /** Who holds a uniqueness key, if anyone. */
  reservationHolder(key: string): Promise<string | undefined>;
}
