import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  classifyTransactionFailure,
  conditionFailureItem,
  isConditionFailure,
  rethrowTransient,
} from '#src/platform/aws/dynamodb.errors.js';
import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import {
  assertErasable,
  assertExpected,
  assertStreamId,
  conditionsFor,
  decodeOpened,
  decodeValid,
  ITEM_LIMIT_BYTES,
  ITEM_OVERHEAD_BYTES,
  idempotencyId,
  MAX_EVENTS_PER_ITEM,
  numberedAfter,
  resealWith,
  type SealedBatch,
  type StoredEvent,
  satisfies,
  sealBatch,
  snapshotAt,
} from '#src/platform/event-store/core.js';
import {
  ConcurrencyError,
  IdempotencyKeyReuseError,
  StreamConditionError,
  UniquenessError,
} from '#src/platform/event-store/errors.js';
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
} from '#src/platform/event-store/event-store.port.js';
import {
  openResult,
  openSnapshot,
  type SnapshotRecord,
  type StoredResult,
  snapshotRecord,
  snapshotSubjects,
  storedResult,
} from '#src/platform/event-store/sealed-records.js';
import { openStored, sealedSubjects } from '#src/platform/event-store/sealing.js';
import { localPrivacy } from '#src/platform/privacy/privacy.js';
import {
  type DataKey,
  type DataKeyItem,
  type Privacy,
  SubjectKeys,
} from '#src/platform/privacy/subject-keys.js';
import {
  type CommitItem,
  commitEvents,
  holdsFirstEvent,
  IDEMPOTENCY_PREFIX,
  lastVersion,
  RESERVATION_PREFIX,
} from './event-items.js';
import { dynamoKeyItems, eraseKeyOps, keyItemOf, keyOps } from './key-items.js';
import {
  commitOp,
  conditionOps,
  idempotencyOps,
  reservationOps,
  transactItem,
  type WriteOp,
} from './write-ops.js';

export interface DynamoEventStoreOptions {
  now?: () => Date;
  /**
   * The master key and subject-index key that protect personal data. The wiring passes KMS and the stack's
   * secret; without it the store uses the development keys in `.local/keys` (tests, benchmarks, scripts).
   */
  privacy?: Privacy;
  /** This table's keys, built once and shared with the stream-record decoder (overrides `privacy`). */
  keys?: SubjectKeys;
}

/** The data keys of an event table: what its store and the decoder of its stream records read keys with. */
export const eventTableKeys = (
  client: DynamoDBDocumentClient,
  tableName: string,
  privacy: Privacy,
): SubjectKeys => new SubjectKeys(dynamoKeyItems(client, tableName), privacy);

type WriteOutcome =
  | { kind: 'done' }
  | { kind: 'replayed'; stored: StoredResult }
  | { kind: 'conflict' }
  | { kind: 'condition'; condition: LoadToken }
  | { kind: 'keys-lost'; winners: DataKeyItem[] };

/** What an append writes besides its events, sealed for the people of its stream. */
interface Extras {
  snap?: string;
  result?: StoredResult;
  /** Every live subject of the stream after this append, when known. */
  subjects?: ReadonlySet<string>;
}

const MAX_REPLANS = 10;
/** DynamoDB's limit on the items of one TransactWriteItems. */
const MAX_TRANSACTION_ITEMS = 100;
const DEFAULT_SNAPSHOT_WINDOW = 25;

/** A head the store itself observed (consistent read or its own successful write); callers cannot forge one. */
class Token implements LoadToken {
  constructor(
    readonly streamId: string,
    readonly version: number,
    /** The live data subjects of the stream up to that head, when the store read them (a snapshot needs them). */
    readonly subjects?: ReadonlySet<string>,
  ) {}
}

/**
 * Event store on one DynamoDB table. Each append is one commit item (pk = streamId, sk = first version) written
 * with attribute_not_exists at head + 1, where head is never the caller's word: it comes from the store's own
 * consistent read (directly, or through a token the store issued). See docs/architecture.md for why that keeps
 * versions gap-free. A plain append is one conditional PutItem; conditions on other streams, reservations and
 * idempotency records make it a TransactWriteItems.
 */
export class DynamoEventStore implements EventStore {
  private readonly issued = new WeakSet<Token>();
  private readonly now: () => Date;
  /** The data keys of this table's subjects: give it to the stream-record decoder (stream-records.ts). */
  readonly keys: SubjectKeys;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly catalogue: EventCatalogue,
    options: DynamoEventStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.keys = options.keys ?? eventTableKeys(client, tableName, options.privacy ?? localPrivacy());
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
    // Validated, encrypted and size-checked once, before any write; each attempt only renumbers from its head.
    const batch = await sealBatch(this.catalogue, this.keys, streamId, events);
    assertErasable(streamId, batch, options.eraseKeys);
    const moved = await this.unissuedConditionMoved(streamId, conditions);
    if (moved) return this.refuse(moved, options);
    const fresh = expected === 'no_stream' && !this.isIssued(options.token);
    let head = await this.plannedHead(streamId, expected, options.token, fresh);
    const planned = head;
    let sealed = { batch, extras: await this.sealExtras(streamId, batch, options, fresh) };
    for (let attempt = 0; ; attempt++) {
      if (!satisfies(expected, head))
        return this.refuse(new ConcurrencyError(streamId, expected, head), options);
      const stored = numberedAfter(sealed.batch.stored, head);
      const outcome = await this.write(streamId, head, stored, sealed, options, conditions);
      // Replanned onto a newer head, the append no longer knows every subject before it.
      const known =
        head === planned
          ? sealed
          : { batch: sealed.batch, extras: { ...sealed.extras, subjects: undefined } };
      const finished = await this.finished(streamId, head, known, outcome, options);
      if (finished) return finished;
      if (outcome.kind === 'keys-lost') {
        // Another append made these subjects' keys first: encrypt again with theirs, at the same head. Once
        // adopted they exist, so this happens at most once per subject.
        const winners = await Promise.all(outcome.winners.map((item) => this.keys.adopt(item)));
        const resealed = resealWith(this.catalogue, sealed.batch, winners);
        sealed = { batch: resealed, extras: await this.sealExtras(streamId, resealed, options, fresh) };
        continue;
      }
      const actual = await this.readHead(streamId);
      if (!replans(expected, actual) || attempt >= MAX_REPLANS) {
        return this.refuse(new ConcurrencyError(streamId, expected, actual), options);
      }
      head = actual;
    }
  }

  /**
   * The head an append plans on: from a token this store issued, else its own consistent read. A stream expected
   * not to exist (`fresh`) needs no read: its first item is (stream, 1), which the write's attribute_not_exists
   * refuses if the stream has any item (items are contiguous from 1); the head that conflict reports is read then.
   */
  private async plannedHead(
    streamId: string,
    expected: ExpectedVersion,
    token: LoadToken | undefined,
    fresh: boolean,
  ): Promise<number> {
    if (fresh) return 0;
    return this.headFromToken(streamId, expected, token) ?? (await this.readHead(streamId));
  }

  /** The append's result when the write settled it: written, refused on a condition, or an idempotent replay. */
  private async finished(
    streamId: string,
    head: number,
    sealed: { batch: SealedBatch; extras: Extras },
    outcome: WriteOutcome,
    options: AppendOptions,
  ): Promise<AppendResult | undefined> {
    switch (outcome.kind) {
      case 'done':
        for (const subjectId of options.eraseKeys ?? []) this.keys.evict(subjectId);
        return this.appended(streamId, head, sealed.batch, sealed.extras);
      case 'condition':
        throw await this.conditionError(streamId, outcome.condition);
      case 'replayed':
        return this.replayed(streamId, await this.openReplay(options, outcome));
      default:
        return undefined;
    }
  }

  private async replayed(streamId: string, replayed: IdempotentReplay): Promise<AppendResult> {
    const version = await this.readHead(streamId);
    return { streamId, version, events: [], replayed, token: this.issue(streamId, version) };
  }

  private appended(streamId: string, head: number, batch: SealedBatch, extras: Extras): AppendResult {
    this.keys.remember(batch.created);
    const version = head + batch.stored.length;
    const valid = batch.plan.events.map((e, i) => ({ ...e, stored: { ...e.stored, v: head + i + 1 } }));
    return {
      streamId,
      version,
      events: decodeValid(this.catalogue, streamId, valid, batch.plan.subjectsByPath),
      token: this.issue(streamId, version, extras.subjects),
    };
  }

  private openReplay(options: AppendOptions, outcome: { stored: StoredResult }): Promise<IdempotentReplay> {
    const idem = options.idempotency;
    return openResult(idem ? idempotencyId(idem.scope, idem.key) : '', outcome.stored, this.keys);
  }

  /**
   * The snapshot and stored result, sealed for every live subject of the stream (known from the token the
   * store issued, or read from the stream's sealed values) and of this append. A stream expected not to exist
   * (`fresh`) has none: if it does exist after all, the write is refused and `no_stream` never replans.
   */
  private async sealExtras(
    streamId: string,
    batch: SealedBatch,
    options: AppendOptions,
    fresh: boolean,
  ): Promise<Extras> {
    const { snapshot, idempotency, token } = options;
    const issued = this.isIssued(token) && token.streamId === streamId ? token.subjects : undefined;
    const known = fresh ? new Set<string>() : issued;
    if (!snapshot && !idempotency) {
      return known ? { subjects: new Set([...known, ...batch.plan.subjects]) } : {};
    }
    const mentioned = known ?? (await this.streamSubjects(streamId));
    const keys = new Map<string, DataKey>(await this.keys.readKeys(mentioned));
    for (const [id, key] of batch.keys) keys.set(id, key);
    const all = [...keys.values()];
    const extras: Extras = { subjects: new Set(keys.keys()) };
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

  /** Every subject a stream's sealed values name: for an append without a token this store issued (rare). */
  private async streamSubjects(streamId: string): Promise<ReadonlySet<string>> {
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk >= :one',
      ExpressionAttributeValues: { ':pk': streamId, ':one': 1 },
    });
    return sealedSubjects(this.catalogue, items.flatMap(commitEvents)).subjects;
  }

  /** A retry of an append that already happened gets its first result, not a conflict. */
  private async refuse(error: ConcurrencyError, options: AppendOptions): Promise<AppendResult> {
    const idem = options.idempotency;
    const replayed = idem && (await this.findIdempotent(idem.scope, idem.key, idem.requestHash));
    if (!replayed) throw error;
    return this.replayed(error instanceof StreamConditionError ? error.appendTo : error.streamId, replayed);
  }

  /**
   * A token the store did not issue may name any version: one ahead of the stream, or inside an item, has no
   * item at version + 1 and would pass the ConditionCheck. So its version is checked against the stream's head
   * first; once it is a real head, the ConditionCheck in the write covers the time between.
   */
  private async unissuedConditionMoved(appendTo: string, conditions: readonly LoadToken[]) {
    const unissued = conditions.filter((token): boolean => !this.isIssued(token));
    const heads = await Promise.all(unissued.map((token) => this.readHead(token.streamId)));
    const index = heads.findIndex((head, i) => head !== unissued[i]?.version);
    const token = unissued[index];
    return token && new StreamConditionError(token.streamId, token.version, heads[index] ?? 0, appendTo);
  }

  /** The conditioned stream's head as it is now: the caller's next step depends on how far it moved. */
  private async conditionError(appendTo: string, condition: LoadToken): Promise<StreamConditionError> {
    const actual = await this.readHead(condition.streamId);
    return new StreamConditionError(condition.streamId, condition.version, actual, appendTo);
  }

  async readStream(streamId: string, fromVersion = 1): Promise<EventEnvelope[]> {
    return (await this.readOpened(streamId, fromVersion)).events;
  }

  /** The stream's events from a version, opened, with the live subjects they mention. */
  private async readOpened(streamId: string, fromVersion = 1) {
    assertStreamId(streamId);
    const items = await this.queryAll({
      KeyConditionExpression: 'pk = :pk AND sk >= :lo',
      ExpressionAttributeValues: {
        ':pk': streamId,
        ':lo': Math.max(1, fromVersion - MAX_EVENTS_PER_ITEM + 1),
      },
    });
    return this.decode(
      streamId,
      items.flatMap(commitEvents).filter((event) => event.v >= fromVersion),
    );
  }

  async load(streamId: string, options: LoadOptions = {}): Promise<LoadResult> {
    assertStreamId(streamId);
    // No decider version, no usable snapshot: the whole stream, read forward at full page size.
    if (options.deciderVersion === undefined) {
      const { events, subjects } = await this.readOpened(streamId);
      const version = events.at(-1)?.version ?? 0;
      return { version, events, token: this.issue(streamId, version, subjects) };
    }
    const window = Math.max(1, options.snapshotEvery ?? DEFAULT_SNAPSHOT_WINDOW);
    const { newestFirst, snapshot } = await this.newestUntilSnapshot(
      streamId,
      options.deciderVersion,
      window,
    );
    const version = newestFirst[0] ? lastVersion(newestFirst[0]) : 0;
    const after = snapshot?.v ?? 0;
    const stored = newestFirst
      .reverse()
      .flatMap(commitEvents)
      .filter((event) => event.v > after);
    const { events, subjects } = await this.decode(streamId, stored);
    for (const id of snapshot?.subjects ?? []) subjects.add(id);
    const token = this.issue(streamId, version, subjects);
    return snapshot
      ? { version, snapshot: { version: snapshot.v, state: snapshot.state }, events, token }
      : { version, events, token };
  }

  /**
   * Newest items first, until the newest usable snapshot of this decider version or the stream's first item. The
   * first page is `window` items (a decider snapshots every `window` events, so its snapshot is usually there: one
   * small page); if it is not, the rest is read at full page size (1 MB) rather than `window` at a time.
   * Stopping at the item with sk = 1 saves the empty page DynamoDB can owe when a page ends exactly at Limit. A
   * snapshot one of whose subjects was erased cannot be opened: the events before it are read instead.
   */
  private async newestUntilSnapshot(streamId: string, deciderVersion: string, window: number) {
    const newestFirst: CommitItem[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :one',
          ExpressionAttributeValues: { ':pk': streamId, ':one': 1 },
          ScanIndexForward: false,
          ConsistentRead: true,
          ...(ExclusiveStartKey ? { ExclusiveStartKey } : { Limit: window }),
        }),
      );
      for (const item of (page.Items ?? []) as CommitItem[]) {
        newestFirst.push(item);
        const snapshot = item.snap
          ? await this.usableSnapshot(streamId, item.snap, deciderVersion)
          : undefined;
        if (snapshot || item.sk === 1) return { newestFirst, snapshot };
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return { newestFirst, snapshot: undefined };
  }

  private async usableSnapshot(streamId: string, encoded: string, deciderVersion: string) {
    const record = JSON.parse(encoded) as SnapshotRecord;
    if (record.dv !== deciderVersion) return undefined;
    const opened = await openSnapshot(streamId, record, this.keys);
    return opened && { v: record.v, state: opened.state, subjects: snapshotSubjects(record) };
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<ReadAllBatch> {
    const segments = options.segments ?? 4;
    const iterators = Array.from({ length: segments }, (_, segment) =>
      this.scanSegment(segment, segments, options),
    );
    const next = (i: number) =>
      (iterators[i] as AsyncGenerator<EventEnvelope[]>).next().then((r) => ({ i, r }));
    const pending = new Map(iterators.map((_, i) => [i, next(i)]));
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      pending.set(i, next(i));
      if (r.value.length > 0) yield { segment: i, events: r.value };
    }
  }

  async findIdempotent(
    scope: string,
    key: string,
    requestHash: string,
  ): Promise<IdempotentReplay | undefined> {
    const id = idempotencyId(scope, key);
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: IDEMPOTENCY_PREFIX + id, sk: 0 },
        ConsistentRead: true,
      }),
    );
    const stored = this.idempotentRecord(Item, key, requestHash);
    return stored && openResult(id, stored, this.keys);
  }

  async reservationHolder(key: string): Promise<string | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: RESERVATION_PREFIX + key, sk: 0 },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.owner === 'string' ? Item.owner : undefined;
  }

  /** Frozen: `readonly` is only a compile-time promise, and a token's version is trusted once issued. */
  private issue(streamId: string, version: number, subjects?: ReadonlySet<string>): Token {
    const token = Object.freeze(new Token(streamId, version, subjects));
    this.issued.add(token);
    return token;
  }

  private isIssued(token: LoadToken | undefined): token is Token {
    return token instanceof Token && this.issued.has(token);
  }

  /** The head from a token this store issued for this stream, when it matches what the caller expects. */
  private headFromToken(streamId: string, expected: ExpectedVersion, token: LoadToken | undefined) {
    if (!this.isIssued(token) || token.streamId !== streamId) return undefined;
    const pinned = expected === 'no_stream' ? 0 : expected;
    // A mismatch may mean the stream moved since the token: read again rather than refuse on old news.
    return typeof pinned === 'number' && pinned !== token.version ? undefined : token.version;
  }

  private async readHead(streamId: string): Promise<number> {
    const { Items } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk >= :one',
        ExpressionAttributeValues: { ':pk': streamId, ':one': 1 },
        ProjectionExpression: 'sk, n',
        ScanIndexForward: false,
        ConsistentRead: true,
        Limit: 1,
      }),
    );
    const newest = Items?.[0] as Pick<CommitItem, 'sk' | 'n'> | undefined;
    return newest ? lastVersion(newest) : 0;
  }

  /**
   * One atomic write: the commit item alone (PutItem), or with the key items of subjects new to the table, the
   * deletion of erased subjects' key items, conditions on other streams, reservations and the idempotency record
   * (one TransactWriteItems).
   */
  private async write(
    streamId: string,
    head: number,
    stored: StoredEvent[],
    { batch, extras }: { batch: SealedBatch; extras: Extras },
    options: AppendOptions,
    conditions: readonly LoadToken[],
  ): Promise<WriteOutcome> {
    const snap = snapshotAt(options.snapshot, head + stored.length) ? extras.snap : undefined;
    const item = this.commitItem(streamId, head, stored, snap);
    const ops = [
      commitOp(item),
      ...keyOps(batch.created),
      ...eraseKeyOps(options.eraseKeys),
      ...conditionOps(conditions),
      ...reservationOps(streamId, options.reservations),
      ...idempotencyOps(options.idempotency, extras.result, this.nowSeconds()),
    ];
    if (ops.length > MAX_TRANSACTION_ITEMS) {
      throw new RangeError(
        `append to ${streamId} needs ${ops.length} writes, over ${MAX_TRANSACTION_ITEMS} in one transaction`,
      );
    }
    try {
      if (ops.length === 1) {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
      } else {
        const TransactItems = ops.map((op) => transactItem(op, this.tableName));
        await this.client.send(new TransactWriteCommand({ TransactItems }));
      }
      return { kind: 'done' };
    } catch (error) {
      // The item at head + 1 is this append's own: an attempt was written and its answer lost (a 500 or a
      // timeout), the SDK sent it again and the condition failed on it. That is success, not a conflict.
      if (ops.length === 1 && isConditionFailure(error))
        return holdsFirstEvent(conditionFailureItem(error), stored[0])
          ? { kind: 'done' }
          : { kind: 'conflict' };
      const failed = classifyTransactionFailure(error);
      if (!failed) return rethrowTransient(error);
      if (failed.some((f) => ops[f.index]?.role === 'commit' && holdsFirstEvent(f.item, stored[0])))
        return { kind: 'done' };
      return this.explainTransactionFailure(streamId, ops, failed, options);
    }
  }

  private commitItem(
    streamId: string,
    head: number,
    stored: StoredEvent[],
    snap: string | undefined,
  ): CommitItem {
    const item: CommitItem = {
      pk: streamId,
      sk: head + 1,
      n: stored.length,
      ev: JSON.stringify(stored),
      ts: this.now().getTime(),
    };
    // A snapshot is an optimisation: one that cannot fit beside the events is simply not written.
    if (
      snap &&
      Buffer.byteLength(item.ev) + Buffer.byteLength(snap) + ITEM_OVERHEAD_BYTES <= ITEM_LIMIT_BYTES
    ) {
      item.snap = snap;
    }
    return item;
  }

  /**
   * Why a transaction was cancelled, in the order the in-memory store checks: a replayed request first, then
   * key items another append created first (encrypt again with theirs), then the appended stream's own head,
   * then the conditioned streams, then reservations.
   */
  private explainTransactionFailure(
    streamId: string,
    ops: WriteOp[],
    failed: { index: number; item: Record<string, unknown> | undefined }[],
    options: AppendOptions,
  ): WriteOutcome {
    const failure = (role: WriteOp['role']) => {
      const found = failed.find((f) => ops[f.index]?.role === role);
      return found && { op: ops[found.index] as WriteOp, item: found.item };
    };
    const idem = failure('idempotency');
    if (idem && options.idempotency) {
      const { key, requestHash } = options.idempotency;
      const stored = this.idempotentRecord(idem.item, key, requestHash);
      if (stored) return { kind: 'replayed', stored };
    }
    const winners = failed.flatMap((f) =>
      ops[f.index]?.role === 'key' && f.item ? (keyItemOf(f.item) ?? []) : [],
    );
    if (winners.length > 0) return { kind: 'keys-lost', winners };
    if (failure('commit')) return { kind: 'conflict' };
    const condition = failure('condition')?.op;
    if (condition?.role === 'condition') return { kind: 'condition', condition: condition.condition };
    const claim = failure('claim');
    if (claim?.op.role === 'claim') {
      throw new UniquenessError(claim.op.reservation, claim.item?.owner as string | undefined);
    }
    const release = failure('release')?.op;
    const key = release?.role === 'release' ? release.reservation : 'unknown';
    throw new Error(`stream ${streamId} released reservation ${key} held by another stream`);
  }

  private idempotentRecord(
    item: Record<string, unknown> | undefined,
    key: string,
    requestHash: string,
  ): StoredResult | undefined {
    if (!item || Number(item.expiresAt) <= this.nowSeconds()) return undefined;
    if (item.hash !== requestHash) throw new IdempotencyKeyReuseError(key);
    return typeof item.sealed === 'string' ? { sealed: item.sealed } : { result: String(item.result) };
  }

  private async queryAll(input: Omit<QueryCommandInput, 'TableName'>): Promise<CommitItem[]> {
    const items: CommitItem[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({ TableName: this.tableName, ConsistentRead: true, ...input, ExclusiveStartKey }),
      );
      items.push(...((page.Items ?? []) as CommitItem[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  private async *scanSegment(
    segment: number,
    totalSegments: number,
    options: ReadAllOptions,
  ): AsyncGenerator<EventEnvelope[]> {
    // A stream's items share a partition key, so one segment returns them together and in sk order.
    // The check proves it rather than trusting it: a stream that arrives out of order fails loudly.
    const last = new Map<string, number>();
    const resume = options.resumeAfter?.[segment];
    // Any key is a valid position: resuming after a stream means after its highest possible sort key.
    let ExclusiveStartKey: Record<string, unknown> | undefined = resume
      ? { pk: resume, sk: Number.MAX_SAFE_INTEGER }
      : undefined;
    const since = options.appendedSince;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: totalSegments,
          ConsistentRead: true,
          ...scanFilter(options.categories ?? [], since),
          ExclusiveStartKey,
        }),
      );
      const stored: { streamId: string; event: StoredEvent }[] = [];
      for (const item of (page.Items ?? []) as CommitItem[]) {
        if (!since && item.sk !== (last.get(item.pk) ?? 0) + 1) {
          throw new Error(`readAll: stream ${item.pk} item at version ${item.sk} arrived out of order`);
        }
        last.set(item.pk, lastVersion(item));
        for (const event of commitEvents(item)) stored.push({ streamId: item.pk, event });
      }
      // One round of key reads per page, whatever streams it holds.
      const { events } = await openStored(
        this.catalogue,
        this.keys,
        stored.map((s) => s.event),
      );
      yield events.map((opened, i) => decodeOpened(this.catalogue, stored[i]?.streamId ?? '', opened));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  /** Opens and decodes a stream's stored events; `subjects` are the live ones they mention. */
  private async decode(streamId: string, stored: readonly StoredEvent[]) {
    const { events, keys } = await openStored(this.catalogue, this.keys, stored);
    return {
      events: events.map((event) => decodeOpened(this.catalogue, streamId, event)),
      subjects: new Set(keys.keys()),
    };
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

/** Someone appended first: `any` and `exists` append at the new head; a version was a promise that broke. */
function replans(expected: ExpectedVersion, actual: number): boolean {
  return expected === 'any' || (expected === 'exists' && actual > 0);
}

function scanFilter(categories: readonly string[], since: Date | undefined) {
  const values: Record<string, unknown> = { ':zero': 0 };
  categories.forEach((category, i) => {
    values[`:c${i}`] = `${category}-`;
  });
  const conditions = ['sk > :zero'];
  if (categories.length > 0)
    conditions.push(`(${categories.map((_, i) => `begins_with(pk, :c${i})`).join(' OR ')})`);
  if (since) {
    values[':since'] = since.getTime();
    conditions.push('ts >= :since');
  }
  return { FilterExpression: conditions.join(' AND '), ExpressionAttributeValues: values };
}
