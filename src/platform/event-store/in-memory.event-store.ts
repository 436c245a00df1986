import type { EventCatalogue } from './catalogue.js';
import {
  assertExpected,
  assertStreamId,
  conditionsFor,
  decodeEvent,
  idempotencyId,
  prepareBatch,
  type StoredEvent,
  satisfies,
  snapshotAt,
} from './core.js';
import {
  ConcurrencyError,
  IdempotencyKeyReuseError,
  StreamConditionError,
  UniquenessError,
} from './errors.js';
import type {
  AppendOptions,
  AppendResult,
  EventEnvelope,
  EventStore,
  ExpectedVersion,
  LoadOptions,
  LoadResult,
  LoadToken,
  NewEvent,
  ReadAllBatch,
  ReadAllOptions,
} from './event-store.port.js';

interface Stream {
  events: StoredEvent[];
  /** epoch ms of the append that wrote each event */
  appendedAt: number[];
  snapshot?: { deciderVersion: string; version: number; state: string };
}

/** What the store keeps; two stores over one storage see the same data (e.g. old and new catalogues). */
export class InMemoryStorage {
  readonly streams = new Map<string, Stream>();
  readonly reservations = new Map<string, string>();
  readonly idempotency = new Map<string, { hash: string; result: string; expiresAt: number }>();
}

const DAY_SECONDS = 24 * 60 * 60;

/** A real event store in one process: same contract as the DynamoDB one, for fast tests and local tools. */
export class InMemoryEventStore implements EventStore {
  private readonly streams: Map<string, Stream>;
  private readonly reservations: Map<string, string>;
  private readonly idempotency: Map<string, { hash: string; result: string; expiresAt: number }>;
  private readonly now: () => Date;

  constructor(
    private readonly catalogue: EventCatalogue,
    options: { now?: () => Date; storage?: InMemoryStorage } = {},
  ) {
    const storage = options.storage ?? new InMemoryStorage();
    this.streams = storage.streams;
    this.reservations = storage.reservations;
    this.idempotency = storage.idempotency;
    this.now = options.now ?? (() => new Date());
  }

  async append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    return this.appendNow(streamId, expected, events, options);
  }

  /**
   * Synchronous from the first check to the last write: with no await in between, concurrent appends cannot
   * interleave, so every check still holds when the write happens (the DynamoDB store gets this from one
   * conditional write or one transaction).
   */
  private appendNow(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions,
  ): AppendResult {
    assertStreamId(streamId);
    assertExpected(expected);
    const conditions = conditionsFor(streamId, options.conditions);
    const stream = this.streams.get(streamId);
    const actual = stream?.events.length ?? 0;
    const stored = prepareBatch(this.catalogue, streamId, actual, events);
    const { idempotency } = options;
    const replay = idempotency && this.replay(idempotency.scope, idempotency.key, idempotency.requestHash);
    if (replay)
      return {
        streamId,
        version: actual,
        events: [],
        replayed: replay,
        token: { streamId, version: actual },
      };
    if (!satisfies(expected, actual)) throw new ConcurrencyError(streamId, expected, actual);
    this.checkConditions(streamId, conditions);
    this.checkClaims(streamId, options.reservations?.claim ?? []);
    // Every check passed: commit all parts at once, as the DynamoDB transaction does.
    const next: Stream = stream ?? { events: [], appendedAt: [] };
    next.events.push(...stored);
    next.appendedAt.push(...stored.map(() => this.now().getTime()));
    const version = next.events.length;
    const snapshot = snapshotAt(options.snapshot, version);
    if (snapshot) {
      const { deciderVersion, state } = snapshot;
      next.snapshot = { deciderVersion, version, state: JSON.stringify(state) };
    }
    this.streams.set(streamId, next);
    this.commitExtras(streamId, options);
    return { streamId, version, events: this.decode(streamId, stored), token: { streamId, version } };
  }

  /** This store keeps every head in memory: any token, issued or not, is checked against the truth. */
  private checkConditions(appendTo: string, conditions: readonly LoadToken[]): void {
    for (const { streamId, version } of conditions) {
      const actual = this.streams.get(streamId)?.events.length ?? 0;
      if (actual !== version) throw new StreamConditionError(streamId, version, actual, appendTo);
    }
  }

  private checkClaims(streamId: string, claims: readonly string[]): void {
    for (const key of claims) {
      const holder = this.reservations.get(key);
      if (holder !== undefined && holder !== streamId) throw new UniquenessError(key, holder);
    }
  }

  private commitExtras(streamId: string, { reservations, idempotency }: AppendOptions): void {
    for (const key of reservations?.release ?? []) {
      if (this.reservations.get(key) === streamId) this.reservations.delete(key);
    }
    for (const key of reservations?.claim ?? []) this.reservations.set(key, streamId);
    if (idempotency) {
      this.idempotency.set(idempotencyId(idempotency.scope, idempotency.key), {
        hash: idempotency.requestHash,
        result: JSON.stringify(idempotency.result),
        expiresAt: this.nowSeconds() + (idempotency.ttlSeconds ?? DAY_SECONDS),
      });
    }
  }

  async readStream(streamId: string, fromVersion = 1): Promise<EventEnvelope[]> {
    assertStreamId(streamId);
    const events = this.streams.get(streamId)?.events ?? [];
    return this.decode(
      streamId,
      events.filter((event) => event.v >= fromVersion),
    );
  }

  async load(streamId: string, options: LoadOptions = {}): Promise<LoadResult> {
    assertStreamId(streamId);
    const stream = this.streams.get(streamId);
    const version = stream?.events.length ?? 0;
    const snapshot =
      stream?.snapshot && stream.snapshot.deciderVersion === options.deciderVersion
        ? stream.snapshot
        : undefined;
    const from = snapshot ? snapshot.version + 1 : 1;
    const events = this.decode(streamId, (stream?.events ?? []).slice(from - 1));
    const token = { streamId, version };
    return snapshot
      ? { version, snapshot: { version: snapshot.version, state: JSON.parse(snapshot.state) }, events, token }
      : { version, events, token };
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<ReadAllBatch> {
    const { categories, resumeAfter, appendedSince } = options;
    const streams = [...this.streams];
    const resumeAt =
      resumeAfter?.[0] === undefined ? 0 : streams.findIndex(([id]) => id === resumeAfter[0]) + 1;
    for (const [streamId, stream] of streams.slice(resumeAt)) {
      if (categories && !categories.some((category) => streamId.startsWith(`${category}-`))) continue;
      const since = appendedSince?.getTime() ?? 0;
      const events = stream.events.filter((_, i) => (stream.appendedAt[i] ?? 0) >= since);
      for (let start = 0; start < events.length; start += 100) {
        yield { segment: 0, events: this.decode(streamId, events.slice(start, start + 100)) };
      }
    }
  }

  async findIdempotent(
    scope: string,
    key: string,
    requestHash: string,
  ): Promise<{ result: unknown } | undefined> {
    return this.replay(scope, key, requestHash);
  }

  private replay(scope: string, key: string, requestHash: string): { result: unknown } | undefined {
    const record = this.idempotency.get(idempotencyId(scope, key));
    if (!record || record.expiresAt <= this.nowSeconds()) return undefined;
    if (record.hash !== requestHash) throw new IdempotencyKeyReuseError(key);
    return { result: JSON.parse(record.result) };
  }

  async reservationHolder(key: string): Promise<string | undefined> {
    return this.reservations.get(key);
  }

  private decode(streamId: string, stored: readonly StoredEvent[]): EventEnvelope[] {
    return stored.map((event) => decodeEvent(this.catalogue, streamId, event));
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
