import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { EventCatalogue } from '../../event-store/catalogue.js';
import {
  assertExpected,
  assertStreamId,
  decodeEvent,
  ITEM_LIMIT_BYTES,
  ITEM_OVERHEAD_BYTES,
  itemSize,
  MAX_EVENTS_PER_ITEM,
  prepareBatch,
  type StoredEvent,
  satisfies,
} from '../../event-store/core.js';
import { ConcurrencyError, IdempotencyKeyReuseError, UniquenessError } from '../../event-store/errors.js';
import type {
  AppendOptions,
  AppendResult,
  EventEnvelope,
  EventStore,
  ExpectedVersion,
  LoadResult,
  LoadToken,
  NewEvent,
  ReadAllOptions,
} from '../../event-store/event-store.port.js';
import { idempotencyId } from '../../event-store/in-memory.event-store.js';
import { classifyTransactionFailure, isConditionFailure, rethrowTransient } from './dynamodb.errors.js';
import {
  type HistoryItem,
  IDEMPOTENCY_PREFIX,
  RESERVATION_PREFIX,
  TIP_SK,
  type TipItem,
  type TipSnapshot,
} from './event-items.js';

export interface DynamoEventStoreOptions {
  /** Roll the tip over into a history item once its events would pass this size (WCU grow with item size). */
  maxTipBytes?: number;
  now?: () => Date;
}

type WriteOutcome =
  | { kind: 'done'; result: AppendResult }
  | { kind: 'replayed'; replayed: { result: unknown } }
  | { kind: 'conflict'; tip: TipItem | undefined };

type Op = Record<string, unknown> & { kind: 'Put' | 'Update' | 'Delete' };

const DAY_SECONDS = 24 * 60 * 60;
const MAX_REPLANS = 10;

/** Same version: the tip was full and comes back to roll over. `any`/`exists`: append at the new head. */
function shouldReplan(pinned: ExpectedVersion, base: number, actual: number): boolean {
  return actual === base || pinned === 'any' || (pinned === 'exists' && actual > 0);
}

class Token implements LoadToken {
  constructor(
    readonly streamId: string,
    readonly version: number,
    readonly tip: TipItem | undefined,
  ) {}
}

/**
 * Event store on one DynamoDB table. Each stream has a tip item (sk = TIP_SK) holding its version, its newest
 * events and its snapshot; every append is conditioned on the tip's version, so versions are gap-free whatever
 * the caller claims. Older events roll over into history items (sk = first version) in the same transaction.
 */
export class DynamoEventStore implements EventStore {
  private readonly issued = new WeakSet<Token>();
  private readonly maxTipBytes: number;
  private readonly now: () => Date;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly catalogue: EventCatalogue,
    options: DynamoEventStoreOptions = {},
  ) {
    this.maxTipBytes = options.maxTipBytes ?? 16 * 1024;
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
    prepareBatch(this.catalogue, streamId, 0, events); // validate and size-check before any I/O
    const pinned = expected === 'no_stream' ? 0 : expected;
    let tip = await this.initialTip(streamId, pinned, options);
    for (let attempt = 0; ; attempt++) {
      // With no tip read, the caller's number is only a condition on the write, never trusted as the head.
      const base = tip === undefined ? (pinned as number) : (tip?.ver ?? 0);
      if (tip !== undefined && !satisfies(pinned, base)) throw new ConcurrencyError(streamId, expected, base);
      const stored = prepareBatch(this.catalogue, streamId, base, events);
      const outcome = await this.write(streamId, base, tip, stored, options);
      if (outcome.kind !== 'conflict') return this.finish(streamId, outcome);
      const actual = outcome.tip?.ver ?? 0;
      if (!shouldReplan(pinned, base, actual) || attempt >= MAX_REPLANS) {
        throw new ConcurrencyError(streamId, expected, actual);
      }
      tip = outcome.tip ?? null;
    }
  }

  private async finish(streamId: string, outcome: Exclude<WriteOutcome, { kind: 'conflict' }>) {
    if (outcome.kind === 'done') return outcome.result;
    const current = await this.readTip(streamId);
    return { streamId, version: current?.ver ?? 0, events: [], replayed: outcome.replayed };
  }

  /** The tip to plan from: the token's, a fresh read when the head must be known, or undefined (condition only). */
  private async initialTip(streamId: string, pinned: ExpectedVersion, options: AppendOptions) {
    const fromToken = this.tipFromToken(streamId, pinned, options.token);
    if (fromToken !== undefined) return fromToken;
    const mustRead = typeof pinned !== 'number' || (options.snapshot !== undefined && pinned > 0);
    return mustRead ? ((await this.readTip(streamId)) ?? null) : undefined;
  }

  async readStream(streamId: string, fromVersion = 1): Promise<EventEnvelope[]> {
    assertStreamId(streamId);
    const items = await this.queryItems(streamId, fromVersion, TIP_SK);
    return this.decode(streamId, flatten(items, fromVersion));
  }

  async load(streamId: string, options: { deciderVersion?: string } = {}): Promise<LoadResult> {
    assertStreamId(streamId);
    const tip = await this.readTip(streamId);
    const token = new Token(streamId, tip?.ver ?? 0, tip);
    this.issued.add(token);
    if (!tip) return { version: 0, events: [], token };
    const snap = tip.snap && tip.snap.dv === options.deciderVersion ? tip.snap : undefined;
    const from = snap ? snap.v + 1 : 1;
    const history = from < tip.from ? await this.queryItems(streamId, from, tip.from - 1) : [];
    const events = this.decode(streamId, flatten([...history, tip], from));
    return snap
      ? { version: tip.ver, snapshot: { version: snap.v, state: JSON.parse(snap.s) }, events, token }
      : { version: tip.ver, events, token };
  }

  async *readAll(options: ReadAllOptions = {}): AsyncIterable<EventEnvelope[]> {
    const segments = options.segments ?? 4;
    const iterators = Array.from({ length: segments }, (_, segment) => this.scanSegment(segment, segments));
    const pending = new Map(iterators.map((it, i) => [i, it.next().then((r) => ({ i, r }))]));
    while (pending.size > 0) {
      const { i, r } = await Promise.race(pending.values());
      if (r.done) {
        pending.delete(i);
        continue;
      }
      const iterator = iterators[i] as AsyncGenerator<EventEnvelope[]>;
      pending.set(
        i,
        iterator.next().then((next) => ({ i, r: next })),
      );
      if (r.value.length > 0) yield r.value;
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

  private tipFromToken(streamId: string, expected: ExpectedVersion, token: LoadToken | undefined) {
    // Only a token this store issued counts: the tip in it came from the store's own consistent read.
    if (!(token instanceof Token) || !this.issued.has(token) || token.streamId !== streamId) return undefined;
    if (typeof expected === 'number' && expected !== token.version) return undefined;
    return token.tip ?? null;
  }

  private async readTip(streamId: string): Promise<TipItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: streamId, sk: TIP_SK }, ConsistentRead: true }),
    );
    return Item as TipItem | undefined;
  }

  /**
   * One atomic write. `tip` is the tip as last read (null: no stream), or undefined when the store has not read
   * it; then the update is also conditioned on the tip having room, and a full tip comes back to roll over.
   */
  private async write(
    streamId: string,
    base: number,
    tip: TipItem | null | undefined,
    stored: StoredEvent[],
    options: AppendOptions,
  ): Promise<WriteOutcome> {
    const snap = this.snapshotFor(stored, options);
    const ops = [...this.tipOps(streamId, base, tip, stored, snap), ...this.extraOps(streamId, options)];
    try {
      if (ops.length === 1) await this.sendSingle(ops[0] as Op);
      else
        await this.client.send(
          new TransactWriteCommand({ TransactItems: ops.map((op) => txItem(this.tableName, op)) }),
        );
      return {
        kind: 'done',
        result: { streamId, version: base + stored.length, events: this.decode(streamId, stored) },
      };
    } catch (error) {
      if (ops.length === 1 && isConditionFailure(error)) {
        const item = (error as { Item?: Record<string, AttributeValue> }).Item;
        return { kind: 'conflict', tip: item ? (unmarshall(item) as TipItem) : undefined };
      }
      const failure = classifyTransactionFailure(error);
      if (!failure) return rethrowTransient(error);
      return this.explainTransactionFailure(streamId, ops, failure, options);
    }
  }

  private async sendSingle(op: Op): Promise<void> {
    const { kind, role: _role, reservation: _reservation, ...input } = op;
    const params = {
      TableName: this.tableName,
      ...input,
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
    };
    if (kind === 'Put')
      await this.client.send(new PutCommand(params as ConstructorParameters<typeof PutCommand>[0]));
    else await this.client.send(new UpdateCommand(params as ConstructorParameters<typeof UpdateCommand>[0]));
  }

  private explainTransactionFailure(
    streamId: string,
    ops: Op[],
    failed: { index: number; item: Record<string, unknown> | undefined }[],
    options: AppendOptions,
  ): WriteOutcome {
    const byRole = (role: string) => failed.find((f) => (ops[f.index] as Op).role === role);
    const idem = byRole('idempotency');
    if (idem && options.idempotency) {
      const replay = this.idempotentReplay(
        idem.item,
        options.idempotency.key,
        options.idempotency.requestHash,
      );
      if (replay) return { kind: 'replayed', replayed: replay };
    }
    const tip = byRole('tip') ?? byRole('history');
    if (tip) return { kind: 'conflict', tip: byRole('tip')?.item as TipItem | undefined };
    const claim = byRole('claim');
    if (claim) {
      const key = (ops[claim.index] as Op).reservation as string;
      throw new UniquenessError(key, claim.item?.owner as string | undefined);
    }
    const release = byRole('release');
    const key = release ? ((ops[release.index] as Op).reservation as string) : 'unknown';
    throw new Error(`stream ${streamId} released reservation ${key} that another stream holds`);
  }

  private idempotentReplay(item: Record<string, unknown> | undefined, key: string, requestHash: string) {
    if (!item || Number(item.expiresAt) <= this.nowSeconds()) return undefined;
    if (item.hash !== requestHash) throw new IdempotencyKeyReuseError(key);
    return { result: JSON.parse(String(item.result)) as unknown };
  }

  private snapshotFor(stored: StoredEvent[], options: AppendOptions): TipSnapshot | undefined {
    if (!options.snapshot) return undefined;
    const snap = {
      dv: options.snapshot.deciderVersion,
      v: options.snapshot.version,
      s: JSON.stringify(options.snapshot.state),
    };
    // A snapshot is an optimisation: one that cannot fit beside the events is simply not written.
    const fits = itemSize({ ev: stored, snap }) + ITEM_OVERHEAD_BYTES <= ITEM_LIMIT_BYTES;
    return fits ? snap : undefined;
  }

  private tipOps(
    streamId: string,
    base: number,
    tip: TipItem | null | undefined,
    stored: StoredEvent[],
    snap: TipSnapshot | undefined,
  ): Op[] {
    const last = base + stored.length;
    const first = base + 1;
    const bytes = itemSize(stored);
    if (base === 0) {
      const item: TipItem = {
        pk: streamId,
        sk: TIP_SK,
        ver: last,
        from: 1,
        last: 1,
        n: stored.length,
        b: bytes,
        ev: stored,
      };
      if (snap) item.snap = snap;
      return [{ kind: 'Put', role: 'tip', Item: item, ConditionExpression: 'attribute_not_exists(pk)' }];
    }
    const snapBytes = snap ? itemSize(snap) : 0;
    const update = {
      kind: 'Update' as const,
      role: 'tip',
      Key: { pk: streamId, sk: TIP_SK },
      ExpressionAttributeValues: {
        ':base': base,
        ':ver': last,
        ':first': first,
        ':n': stored.length,
        ':b': bytes,
      } as Record<string, unknown>,
    };
    const setSnap = snap ? ', snap = :snap' : '';
    if (snap) update.ExpressionAttributeValues[':snap'] = snap;
    const rollover =
      tip !== undefined &&
      tip !== null &&
      ((snap !== undefined && tip.n > 0) ||
        tip.n + stored.length > MAX_EVENTS_PER_ITEM ||
        tip.b + bytes + snapBytes > this.maxTipBytes);
    if (!rollover) {
      const guard = tip === undefined ? ' AND n <= :maxN AND b <= :maxB' : '';
      if (tip === undefined) {
        update.ExpressionAttributeValues[':maxN'] = MAX_EVENTS_PER_ITEM - stored.length;
        update.ExpressionAttributeValues[':maxB'] = this.maxTipBytes - bytes - snapBytes;
      }
      return [
        {
          ...update,
          UpdateExpression: `SET ver = :ver, #last = :first, n = n + :n, b = b + :b, ev = list_append(ev, :ev)${setSnap}`,
          ConditionExpression: `ver = :base${guard}`,
          ExpressionAttributeNames: { '#last': 'last' },
          ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':ev': stored },
        },
      ];
    }
    const old = tip as TipItem;
    const history: HistoryItem = { pk: streamId, sk: old.from, n: old.n, ev: old.ev };
    return [
      { kind: 'Put', role: 'history', Item: history, ConditionExpression: 'attribute_not_exists(pk)' },
      {
        ...update,
        UpdateExpression: `SET ver = :ver, #from = :first, #last = :first, n = :n, b = :b, ev = :ev${setSnap}`,
        ConditionExpression: 'ver = :base',
        ExpressionAttributeNames: { '#from': 'from', '#last': 'last' },
        ExpressionAttributeValues: { ...update.ExpressionAttributeValues, ':ev': stored },
      },
    ];
  }

  private extraOps(streamId: string, options: AppendOptions): Op[] {
    const ops: Op[] = [];
    const claims = new Set(options.reservations?.claim ?? []);
    for (const key of claims) {
      ops.push({
        kind: 'Put',
        role: 'claim',
        reservation: key,
        Item: { pk: RESERVATION_PREFIX + key, sk: 0, owner: streamId },
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': streamId },
      });
    }
    for (const key of options.reservations?.release ?? []) {
      if (claims.has(key)) continue;
      ops.push({
        kind: 'Delete',
        role: 'release',
        reservation: key,
        Key: { pk: RESERVATION_PREFIX + key, sk: 0 },
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': streamId },
      });
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

  private async queryItems(streamId: string, from: number, to: number): Promise<(TipItem | HistoryItem)[]> {
    const items: (TipItem | HistoryItem)[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lo AND :hi',
          ExpressionAttributeValues: {
            ':pk': streamId,
            ':lo': Math.max(1, from - MAX_EVENTS_PER_ITEM + 1),
            ':hi': to,
          },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      items.push(...((page.Items ?? []) as (TipItem | HistoryItem)[]));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items;
  }

  private async *scanSegment(segment: number, totalSegments: number): AsyncGenerator<EventEnvelope[]> {
    // Items of one stream share a partition key, so one segment returns them together and in sk order
    // (history by first version, then the tip). The check below proves it rather than trusting it.
    const last = new Map<string, number>();
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          Segment: segment,
          TotalSegments: totalSegments,
          FilterExpression: 'sk > :zero',
          ExpressionAttributeValues: { ':zero': 0 },
          ExclusiveStartKey,
        }),
      );
      const batch: EventEnvelope[] = [];
      for (const item of (page.Items ?? []) as (TipItem | HistoryItem)[]) {
        const expectedNext = (last.get(item.pk) ?? 0) + 1;
        const events = item.ev.filter((event) => event.v >= expectedNext);
        if (events.length > 0 && events[0]?.v !== expectedNext) {
          throw new Error(`readAll: stream ${item.pk} item at ${item.sk} arrived out of order`);
        }
        const lastEvent = events.at(-1);
        if (lastEvent) last.set(item.pk, lastEvent.v);
        batch.push(...this.decode(item.pk, events));
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

function flatten(items: readonly (TipItem | HistoryItem)[], from: number): StoredEvent[] {
  return items.flatMap((item) => item.ev).filter((event) => event.v >= from);
}

function txItem(TableName: string, op: Op) {
  const { kind, role: _role, reservation: _reservation, ...input } = op;
  return { [kind]: { TableName, ...input, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } };
}
