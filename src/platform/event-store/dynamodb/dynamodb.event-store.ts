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
  isConditionFailure,
  rethrowTransient,
} from '#src/platform/aws/dynamodb.errors.js';
import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import {
  assertExpected,
  assertStreamId,
  decodeEvent,
  ITEM_LIMIT_BYTES,
  ITEM_OVERHEAD_BYTES,
  idempotencyId,
  MAX_EVENTS_PER_ITEM,
  numberedAfter,
  prepareBatch,
  type StoredEvent,
  satisfies,
} from '#src/platform/event-store/core.js';
import {
  ConcurrencyError,
  IdempotencyKeyReuseError,
  UniquenessError,
} from '#src/platform/event-store/errors.js';
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
} from '#src/platform/event-store/event-store.port.js';
import {
  type CommitItem,
  commitEvents,
  IDEMPOTENCY_PREFIX,
  lastVersion,
  RESERVATION_PREFIX,
  type SnapshotRecord,
} from './event-items.js';

export interface DynamoEventStoreOptions {
  now?: () => Date;
}

type WriteOutcome =
  | { kind: 'done' }
  | { kind: 'replayed'; replayed: { result: unknown } }
  | { kind: 'conflict' };
type Op = Record<string, unknown> & { kind: 'Put' | 'Delete'; role: string };

const DAY_SECONDS = 24 * 60 * 60;
const MAX_REPLANS = 10;
const DEFAULT_SNAPSHOT_WINDOW = 25;

/** A head the store itself observed (consistent read or its own successful write); callers cannot forge one. */
class Token implements LoadToken {
  constructor(
    readonly streamId: string,
    readonly version: number,
  ) {}
}

/**
 * Event store on one DynamoDB table. Each append is one commit item (pk = streamId, sk = first version) written
 * with attribute_not_exists at head + 1, where head is never the caller's word: it comes from the store's own
 * consistent read (directly, or through a token the store issued). See docs/architecture.md for why that keeps
 * versions gap-free. A plain append is one conditional PutItem; reservations and idempotency records make it a
 * TransactWriteItems.
 */
export class DynamoEventStore implements EventStore {
  private readonly issued = new WeakSet<Token>();
  private readonly now: () => Date;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly catalogue: EventCatalogue,
    options: DynamoEventStoreOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
  }

  async append(
    streamId: string,
    expected: ExpectedVersion,
    events: readonly NewEvent[],
    options: AppendOptions = {},
  ): Promise<AppendResult> {
    assertStreamId(streamId);
    assertExpected(expected);
    // Validated and size-checked once, before any I/O; each attempt only renumbers from the head it writes at.
    const prepared = prepareBatch(this.catalogue, streamId, 0, events);
    let head = this.headFromToken(streamId, expected, options.token) ?? (await this.readHead(streamId));
    for (let attempt = 0; ; attempt++) {
      if (!satisfies(expected, head)) return this.refuse(streamId, expected, head, options);
      const stored = numberedAfter(prepared, head);
      const outcome = await this.write(streamId, head, stored, options);
      if (outcome.kind === 'done') {
        const version = head + stored.length;
        return {
          streamId,
          version,
          events: this.decode(streamId, stored),
          token: this.issue(streamId, version),
        };
      }
      const actual = await this.readHead(streamId);
      if (outcome.kind === 'replayed') {
        return {
          streamId,
          version: actual,
          events: [],
          replayed: outcome.replayed,
          token: this.issue(streamId, actual),
        };
      }
      // Someone appended first. `any` and `exists` append at the new head; a version was a promise that broke.
      const replan = expected === 'any' || (expected === 'exists' && actual > 0);
      if (!replan || attempt >= MAX_REPLANS) return this.refuse(streamId, expected, actual, options);
      head = actual;
    }
  }

  /** A retry of an append that already happened gets its first result, not a conflict. */
  private async refuse(streamId: string, expected: ExpectedVersion, head: number, options: AppendOptions) {
    const idem = options.idempotency;
    const replayed = idem && (await this.findIdempotent(idem.scope, idem.key, idem.requestHash));
    if (!replayed) throw new ConcurrencyError(streamId, expected, head);
    return { streamId, version: head, events: [], replayed, token: this.issue(streamId, head) };
  }

  async readStream(streamId: string, fromVersion = 1): Promise<EventEnvelope[]> {
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
    const { newestFirst, snapshot } = await this.newestUntilSnapshot(streamId, options);
    const version = newestFirst[0] ? lastVersion(newestFirst[0]) : 0;
    const after = snapshot?.v ?? 0;
    const stored = newestFirst
      .reverse()
      .flatMap(commitEvents)
      .filter((event) => event.v > after);
    const events = this.decode(streamId, stored);
    const token = this.issue(streamId, version);
    return snapshot
      ? { version, snapshot: { version: snapshot.v, state: snapshot.state }, events, token }
      : { version, events, token };
  }

  /** Newest items first, until the newest snapshot of this decider version: one Query page in the usual case. */
  private async newestUntilSnapshot(streamId: string, options: LoadOptions) {
    const newestFirst: CommitItem[] = [];
    const Limit = Math.max(1, options.snapshotEvery ?? DEFAULT_SNAPSHOT_WINDOW);
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk >= :one',
          ExpressionAttributeValues: { ':pk': streamId, ':one': 1 },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit,
          ExclusiveStartKey,
        }),
      );
      for (const item of (page.Items ?? []) as CommitItem[]) {
        newestFirst.push(item);
        const snapshot = item.snap ? usableSnapshot(item.snap, options.deciderVersion) : undefined;
        if (snapshot) return { newestFirst, snapshot };
      }
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return { newestFirst, snapshot: undefined };
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
  ): Promise<{ result: unknown } | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: IDEMPOTENCY_PREFIX + idempotencyId(scope, key), sk: 0 },
        ConsistentRead: true,
      }),
    );
    return this.idempotentReplay(Item, key, requestHash);
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

  private issue(streamId: string, version: number): Token {
    const token = new Token(streamId, version);
    this.issued.add(token);
    return token;
  }

  /** The head from a token this store issued for this stream, when it matches what the caller expects. */
  private headFromToken(streamId: string, expected: ExpectedVersion, token: LoadToken | undefined) {
    if (!(token instanceof Token) || !this.issued.has(token) || token.streamId !== streamId) return undefined;
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

  /** One atomic write: the commit item alone (PutItem), or with reservations and idempotency (a transaction). */
  private async write(streamId: string, head: number, stored: StoredEvent[], options: AppendOptions) {
    const item: CommitItem = {
      pk: streamId,
      sk: head + 1,
      n: stored.length,
      ev: JSON.stringify(stored),
      ts: this.now().getTime(),
    };
    const snap = options.snapshot;
    if (snap) {
      const encoded = JSON.stringify({ dv: snap.deciderVersion, v: snap.version, state: snap.state });
      // A snapshot is an optimisation: one that cannot fit beside the events is simply not written.
      const bytes = Buffer.byteLength(item.ev) + Buffer.byteLength(encoded) + ITEM_OVERHEAD_BYTES;
      if (bytes <= ITEM_LIMIT_BYTES) item.snap = encoded;
    }
    const ops: Op[] = [
      { kind: 'Put', role: 'commit', Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
      ...this.extraOps(streamId, options),
    ];
    try {
      if (ops.length === 1) {
        await this.client.send(
          new PutCommand({
            TableName: this.tableName,
            Item: item,
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      } else {
        await this.client.send(new TransactWriteCommand({ TransactItems: ops.map((op) => this.txItem(op)) }));
      }
      return { kind: 'done' } as const;
    } catch (error) {
      if (ops.length === 1 && isConditionFailure(error)) return { kind: 'conflict' } as const;
      const failed = classifyTransactionFailure(error);
      if (!failed) return rethrowTransient(error);
      return this.explainTransactionFailure(streamId, ops, failed, options);
    }
  }

  private explainTransactionFailure(
    streamId: string,
    ops: Op[],
    failed: { index: number; item: Record<string, unknown> | undefined }[],
    options: AppendOptions,
  ): WriteOutcome {
    const failure = (role: string) => failed.find((f) => ops[f.index]?.role === role);
    const idem = failure('idempotency');
    if (idem && options.idempotency) {
      const replayed = this.idempotentReplay(
        idem.item,
        options.idempotency.key,
        options.idempotency.requestHash,
      );
      if (replayed) return { kind: 'replayed', replayed };
    }
    if (failure('commit')) return { kind: 'conflict' };
    const claim = failure('claim');
    if (claim)
      throw new UniquenessError(
        String(ops[claim.index]?.reservation),
        claim.item?.owner as string | undefined,
      );
    const release = failure('release');
    throw new Error(
      `stream ${streamId} released reservation ${String(release && ops[release.index]?.reservation)} held by another stream`,
    );
  }

  private idempotentReplay(item: Record<string, unknown> | undefined, key: string, requestHash: string) {
    if (!item || Number(item.expiresAt) <= this.nowSeconds()) return undefined;
    if (item.hash !== requestHash) throw new IdempotencyKeyReuseError(key);
    return { result: JSON.parse(String(item.result)) as unknown };
  }

  private extraOps(streamId: string, options: AppendOptions): Op[] {
    const ops: Op[] = [];
    const owned = {
      ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
      ExpressionAttributeNames: { '#owner': 'owner' },
      ExpressionAttributeValues: { ':owner': streamId },
    };
    const claims = new Set(options.reservations?.claim ?? []);
    for (const key of claims) {
      ops.push({
        kind: 'Put',
        role: 'claim',
        reservation: key,
        Item: { pk: RESERVATION_PREFIX + key, sk: 0, owner: streamId },
        ...owned,
      });
    }
    for (const key of options.reservations?.release ?? []) {
      if (!claims.has(key)) {
        ops.push({
          kind: 'Delete',
          role: 'release',
          reservation: key,
          Key: { pk: RESERVATION_PREFIX + key, sk: 0 },
          ...owned,
        });
      }
    }
    const idem = options.idempotency;
    if (idem) {
      const now = this.nowSeconds();
      ops.push({
        kind: 'Put',
        role: 'idempotency',
        Item: {
          pk: IDEMPOTENCY_PREFIX + idempotencyId(idem.scope, idem.key),
          sk: 0,
          hash: idem.requestHash,
          result: JSON.stringify(idem.result ?? null),
          expiresAt: now + (idem.ttlSeconds ?? DAY_SECONDS),
        },
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': now },
      });
    }
    return ops;
  }

  private txItem(op: Op) {
    const { kind, role: _role, reservation: _reservation, ...input } = op;
    return {
      [kind]: { TableName: this.tableName, ...input, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' },
    };
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
      const batch: EventEnvelope[] = [];
      for (const item of (page.Items ?? []) as CommitItem[]) {
        if (!since && item.sk !== (last.get(item.pk) ?? 0) + 1) {
          throw new Error(`readAll: stream ${item.pk} item at version ${item.sk} arrived out of order`);
        }
        last.set(item.pk, lastVersion(item));
        batch.push(...this.decode(item.pk, commitEvents(item)));
      }
      yield batch;
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
  }

  private decode(streamId: string, stored: readonly StoredEvent[]): EventEnvelope[] {
    return stored.map((event) => decodeEvent(this.catalogue, streamId, event));
  }

  private nowSeconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
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

function usableSnapshot(encoded: string, deciderVersion: string | undefined): SnapshotRecord | undefined {
  const record = JSON.parse(encoded) as SnapshotRecord;
  return deciderVersion !== undefined && record.dv === deciderVersion ? record : undefined;
}
