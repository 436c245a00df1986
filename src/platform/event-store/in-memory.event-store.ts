import { ephemeralPrivacy } from '#src/platform/privacy/privacy.js';
import {
  type DataKey,
  type DataKeyItem,
  type Privacy,
  SubjectKeys,
} from '#src/platform/privacy/subject-keys.js';
import type { EventCatalogue } from './catalogue.js';
import {
  assertErasable,
  assertExpected,
  assertStreamId,
  conditionsFor,
  decodeOpened,
  decodeValid,
  idempotencyId,
  numberedAfter,
  resealWith,
  type SealedBatch,
  type StoredEvent,
  satisfies,
  sealBatch,
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
  IdempotentReplay,
  LoadOptions,
  LoadResult,
  LoadToken,
  NewEvent,
  ReadAllBatch,
  ReadAllOptions,
} from './event-store.port.js';
import {
  openResult,
  openSnapshot,
  type SnapshotRecord,
  type StoredResult,
  snapshotRecord,
  storedResult,
} from './sealed-records.js';
import { openStored, sealedSubjects } from './sealing.js';

interface Stream {
  events: StoredEvent[];
  /** epoch ms of the append that wrote each event */
  appendedAt: number[];
  /** the newest snapshot, as the DynamoDB store keeps it (`snap`: sealed when the stream holds personal data) */
  snapshot?: { deciderVersion: string; version: number; record: string };
}

type IdempotencyItem = StoredResult & { hash: string; expiresAt: number };

/** What the store keeps; two stores over one storage see the same data (e.g. old and new catalogues). */
export class InMemoryStorage {
  readonly streams = new Map<string, Stream>();
  readonly reservations = new Map<string, string>();
  readonly idempotency = new Map<string, IdempotencyItem>();
  /** Data keys of data subjects, wrapped by the master key; deleting one erases its subject. */
  readonly keys = new Map<string, DataKeyItem>();
}

const DAY_SECONDS = 24 * 60 * 60;

/** What an append writes besides its events, sealed before the synchronous write. */
interface Extras {
  snap?: string;
  result?: StoredResult;
}

/** Another append stored a key this one made: encrypt again with the winners' keys. */
class KeyRaceLost {
  constructor(readonly winners: DataKeyItem[]) {}
}

/** A real event store in one process: same contract as the DynamoDB one, for fast tests and local tools. */
export class InMemoryEventStore implements EventStore {
  private readonly storage: InMemoryStorage;
  private readonly streams: Map<string, Stream>;
  private readonly now: () => Date;
  /** The data keys of this store's subjects (key items in its storage, wrapped by the privacy's master key). */
  readonly keys: SubjectKeys;

  constructor(
    private readonly catalogue: EventCatalogue,
    options: { now?: () => Date; storage?: InMemoryStorage; privacy?: Privacy } = {},
  ) {
    this.storage = options.storage ?? new InMemoryStorage();
    this.streams = this.storage.streams;
    this.now = options.now ?? (() => new Date());
    const items = this.storage.keys;
    this.keys = new SubjectKeys({ read: async (id) => items.get(id) }, options.privacy ?? ephemeralPrivacy());
  }

  async append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    assertStreamId(streamId);
    assertExpected(expected);
    const conditions = conditionsFor(streamId, options.conditions);
    let batch = await sealBatch(this.catalogue, this.keys, streamId, events);
    assertErasable(streamId, batch, options.eraseKeys);
    for (;;) {
      const extras = await this.sealExtras(streamId, batch, options);
      try {
        const outcome = this.appendNow(streamId, expected, batch, extras, options, conditions);
        if ('stored' in outcome) return await this.replayed(outcome); // nothing written: its new keys neither
        this.keys.remember(batch.created);
        for (const subjectId of options.eraseKeys ?? []) this.keys.evict(subjectId);
        return outcome;
      } catch (error) {
        if (!(error instanceof KeyRaceLost)) throw error;
        const winners = await Promise.all(error.winners.map((item) => this.keys.adopt(item)));
        batch = resealWith(this.catalogue, batch, winners);
      }
    }
  }

  /**
   * Synchronous from the first check to the last write: with no await in between, concurrent appends cannot
   * interleave, so every check still holds when the write happens (the DynamoDB store gets this from one
   * conditional write or one transaction).
   */
  private appendNow(
    streamId: string,
    expected: ExpectedVersion,
    batch: SealedBatch,
    extras: Extras,
    options: AppendOptions,
    conditions: readonly LoadToken[],
  ): AppendResult | { stored: IdempotencyItem; version: number; streamId: string } {
    const stream = this.streams.get(streamId);
    const actual = stream?.events.length ?? 0;
    const { idempotency } = options;
    const replay =
      idempotency && this.replayRecord(idempotency.scope, idempotency.key, idempotency.requestHash);
    if (replay) return { stored: replay, version: actual, streamId };
    if (!satisfies(expected, actual)) throw new ConcurrencyError(streamId, expected, actual);
    this.checkConditions(streamId, conditions);
    this.checkClaims(streamId, options.reservations?.claim ?? []);
    const winners = batch.created.flatMap(({ item }) => this.storage.keys.get(item.subjectId) ?? []);
    if (winners.length > 0) throw new KeyRaceLost(winners);
    // Every check passed: commit all parts at once, as the DynamoDB transaction does.
    const stored = numberedAfter(batch.stored, actual);
    const next: Stream = stream ?? { events: [], appendedAt: [] };
    next.events.push(...stored);
    next.appendedAt.push(...stored.map(() => this.now().getTime()));
    const version = next.events.length;
    const snapshot = snapshotAt(options.snapshot, version);
    if (snapshot && extras.snap) {
      next.snapshot = { deciderVersion: snapshot.deciderVersion, version, record: extras.snap };
    }
    this.streams.set(streamId, next);
    for (const { item } of batch.created) this.storage.keys.set(item.subjectId, item);
    for (const subjectId of options.eraseKeys ?? []) this.storage.keys.delete(subjectId);
    this.commitExtras(streamId, options, extras);
    const events = decodeValid(
      this.catalogue,
      streamId,
      batch.plan.events.map((e, i) => ({ ...e, stored: { ...e.stored, v: actual + i + 1 } })),
      batch.plan.subjectsByPath,
    );
    return { streamId, version, events, token: { streamId, version } };
  }

  private async replayed(found: { stored: IdempotencyItem; version: number; streamId: string }) {
    const { streamId, version } = found;
    const replayed = await this.openReplay(found.stored);
    return { streamId, version, events: [], replayed, token: { streamId, version } };
  }

  /** The snapshot and stored result, sealed for every live subject of the stream and of this append. */
  private async sealExtras(streamId: string, batch: SealedBatch, options: AppendOptions): Promise<Extras> {
    const { snapshot, idempotency } = options;
    if (!snapshot && !idempotency) return {};
    const { subjects } = sealedSubjects(this.catalogue, this.streams.get(streamId)?.events ?? []);
    const keys = new Map<string, DataKey>(await this.keys.readKeys(subjects));
    for (const [id, key] of batch.keys) keys.set(id, key);
    const all = [...keys.values()];
    const extras: Extras = {};
    if (snapshot) extras.snap = snapshotRecord(streamId, snapshot, all);
    if (idempotency) {
      extras.result = storedResult(
        idempotencyId(idempotency.scope, idempotency.key),
        idempotency.result,
        all,
      );
    }
    return extras;
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
      const holder = this.storage.reservations.get(key);
      if (holder !== undefined && holder !== streamId) throw new UniquenessError(key, holder);
    }
  }

  private commitExtras(streamId: string, { reservations, idempotency }: AppendOptions, extras: Extras): void {
    for (const key of reservations?.release ?? []) {
      if (this.storage.reservations.get(key) === streamId) this.storage.reservations.delete(key);
    }
    for (const key of reservations?.claim ?? []) this.storage.reservations.set(key, streamId);
    if (idempotency) {
      this.storage.idempotency.set(idempotencyId(idempotency.scope, idempotency.key), {
        hash: idempotency.requestHash,
        ...(extras.result ?? { result: 'null' }),
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
    const token = { streamId, version };
    const kept =
      stream?.snapshot && stream.snapshot.deciderVersion === options.deciderVersion
        ? stream.snapshot
        : undefined;
    const opened =
      kept && (await openSnapshot(streamId, JSON.parse(kept.record) as SnapshotRecord, this.keys));
    const snapshot = kept && opened ? { version: kept.version, state: opened.state } : undefined;
    const from = snapshot ? snapshot.version + 1 : 1;
    const events = await this.decode(streamId, (stream?.events ?? []).slice(from - 1));
    return snapshot ? { version, snapshot, events, token } : { version, events, token };
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
        yield { segment: 0, events: await this.decode(streamId, events.slice(start, start + 100)) };
      }
    }
  }

  async findIdempotent(
    scope: string,
    key: string,
    requestHash: string,
  ): Promise<IdempotentReplay | undefined> {
    const stored = this.replayRecord(scope, key, requestHash);
    return stored && this.openReplay(stored);
  }

  private openReplay(stored: IdempotencyItem & { id?: string }): Promise<IdempotentReplay> {
    return openResult(stored.id ?? '', stored, this.keys);
  }

  private replayRecord(scope: string, key: string, requestHash: string) {
    const id = idempotencyId(scope, key);
    const record = this.storage.idempotency.get(id);
    if (!record || record.expiresAt <= this.nowSeconds()) return undefined;
    if (record.hash !== requestHash) throw new IdempotencyKeyReuseError(key);
    return { ...record, id };
  }

  async reservationHolder(key: string): Promise<string | undefined> {
    return this.storage.reservations.get(key);
  }

  private async decode(streamId: string, stored: readonly StoredEvent[]): Promise<EventEnvelope[]> {
    const { events } = await openStored(this.catalogue, this.keys, stored);
    return events.map((event) => decodeOpened(this.catalogue, streamId, event));
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
