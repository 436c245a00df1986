import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { Invoke } from './lambda-host.js';
import { afterInvoke, type Batch, type InvokeOutcome, splitExpired } from './stream-batches.js';

/** An event source mapping's settings that decide what happens to failing records. */
export interface StreamRetrySettings {
  batchSize: number;
  /** -1: retry until the records expire, as Lambda does */
  maximumRetryAttempts: number;
  /** -1 (or absent): no limit but the stream's retention */
  maximumRecordAgeInSeconds?: number;
  bisect: boolean;
  reportBatchItemFailures: boolean;
  /** DynamoDB Streams keep records 24 hours; a drill scales it down with the rest. */
  retentionSeconds?: number;
}

export interface StreamSubscriptionOptions extends StreamRetrySettings {
  streamArn: string;
  /** The function the mapping invokes (named in the on-failure message, as Lambda does). */
  functionName?: string;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  invoke: Invoke;
  /** Lambda's on-failure destination: gets record metadata only, never the records. */
  onFailure?: (failure: Record<string, unknown>) => Promise<void>;
  pollMs?: number;
  /** Pause before retry n (Lambda does not document its backoff). */
  retryDelayMs?: (retry: number) => number;
  log?: (line: string) => void;
}

const DAY_SECONDS = 86_400;

/** A mapping's retry settings as the wiring states them, then a drill's override (scaled, or reverted). */
export function retrySettings<S extends StreamRetrySettings>(
  subscription: S,
  override?: (subscription: S) => Partial<StreamRetrySettings>,
): StreamRetrySettings {
  return {
    batchSize: subscription.batchSize,
    maximumRetryAttempts: subscription.maximumRetryAttempts,
    maximumRecordAgeInSeconds: subscription.maximumRecordAgeInSeconds ?? -1,
    bisect: subscription.bisect,
    reportBatchItemFailures: subscription.reportBatchItemFailures,
    ...override?.(subscription),
  };
}

/**
 * A DynamoDB Streams event source mapping on DynamoDB Local: reads each shard in order and delivers batches to
 * the same handler Lambda runs, with Lambda's semantics (stream-batches.ts) — ReportBatchItemFailures restarts
 * from the lowest reported sequence number, errors retry the batch (bisected if asked, without consuming the
 * retry quota), records past their age or retention and batches past MaximumRetryAttempts go, as metadata, to
 * the on-failure destination, and the mapping moves on.
 */
export class StreamPoller {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly done = new Set<string>();
  private settings: StreamRetrySettings;
  /** When each record was first read: Lambda's ApproximateCreationDateTime (DynamoDB Local's is per minute). */
  private readonly arrivals = new Map<string, number>();
  private positioned!: () => void;
  /** Resolves once the poller holds an iterator on the stream (LATEST: records written after this are seen). */
  readonly ready = new Promise<void>((resolve) => {
    this.positioned = resolve;
  });

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly options: StreamSubscriptionOptions,
  ) {
    this.settings = { ...options };
  }

  /** Changes the retry settings from the next decision on (drills compare settings on one runtime). */
  configure(settings: Partial<StreamRetrySettings>): void {
    this.settings = { ...this.settings, ...settings };
  }

  start(): void {
    this.running = true;
    this.loop = this.run().catch((error: unknown) =>
      this.options.log?.(`stream poller stopped: ${String(error)}`),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    while (this.running) {
      const shards = await this.retrying('DescribeStream', () => this.openShards());
      if (!shards) return;
      if (shards.length === 0) {
        await sleep(this.options.pollMs ?? 25);
        continue;
      }
      await Promise.all(shards.map((shard) => this.drain(shard)));
    }
  }

  /**
   * A Streams API call, retried with backoff until it answers or the poller stops (undefined): like Lambda's
   * event source mapping, the poller keeps its position through an outage of the Streams API instead of giving
   * up. One line when an outage starts and one when it ends.
   */
  private async retrying<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
    for (let failures = 0; this.running; failures++) {
      try {
        const result = await call();
        if (failures > 0)
          this.options.log?.(`stream poller: ${what} answers again after ${failures} failures`);
        return result;
      } catch (error) {
        if (failures === 0) this.options.log?.(`stream poller: ${what} failed, retrying: ${String(error)}`);
        await sleep(this.pollerBackoff(failures));
      }
    }
    return undefined;
  }

  /** Between failed Streams API calls: 50 ms doubling, at most 1 s. */
  private pollerBackoff(failures: number): number {
    return Math.min(1000, 50 * 2 ** failures);
  }

  /** Shards to read now: not finished, and whose parent (if any) is finished, so keys stay in order. */
  private async openShards(): Promise<string[]> {
    const out = await this.client.send(new DescribeStreamCommand({ StreamArn: this.options.streamArn }));
    const shards = out.StreamDescription?.Shards ?? [];
    const known = new Set(shards.map((s) => s.ShardId));
    return shards
      .filter((s) => s.ShardId && !this.done.has(s.ShardId))
      .filter((s) => !s.ParentShardId || !known.has(s.ParentShardId) || this.done.has(s.ParentShardId))
      .map((s) => s.ShardId as string);
  }

  private async drain(shardId: string): Promise<void> {
    let last: string | undefined;
    let iterator = await this.retrying('GetShardIterator', () => this.iterator(shardId, last));
    this.positionedAt = Date.now();
    this.positioned();
    while (this.running && iterator) {
      const page = await this.readPage(shardId, iterator, last);
      if ('retry' in page) {
        iterator = page.retry;
        continue;
      }
      const records = this.unseen(shardId, page.Records ?? []);
      if (records.length > 0) {
        this.stamp(records);
        await this.deliver(records, shardId);
        last = records.at(-1)?.dynamodb?.SequenceNumber ?? last;
      } else await sleep(this.options.pollMs ?? 25);
      iterator = page.NextShardIterator;
    }
    if (this.running && !iterator) this.done.add(shardId);
  }

  private readonly readFailures = new Map<string, number>();

  /**
   * One GetRecords call; when it fails, the iterator to read with next: the same one after a backoff (a failed
   * GetRecords consumes nothing, so no record is skipped), or a new one after the last record seen when the
   * iterator expired.
   */
  private async readPage(shardId: string, iterator: string, last: string | undefined) {
    const failures = this.readFailures.get(shardId) ?? 0;
    try {
      const page = await this.getRecords(iterator);
      if (failures > 0)
        this.options.log?.(`stream poller: GetRecords answers again after ${failures} failures`);
      this.readFailures.delete(shardId);
      return page;
    } catch (error) {
      const name = (error as { name?: string }).name;
      if (name === 'ExpiredIteratorException')
        return { retry: await this.retrying('GetShardIterator', () => this.iterator(shardId, last)) };
      if (name === 'TrimmedDataAccessException') {
        this.options.log?.(
          `stream poller: ${shardId} trimmed under its iterator, reading on from what is kept`,
        );
        return { retry: await this.retrying('GetShardIterator', () => this.afterTrim(shardId, last)) };
      }
      if (failures === 0) this.options.log?.(`stream poller: GetRecords failed, retrying: ${String(error)}`);
      this.readFailures.set(shardId, failures + 1);
      await sleep(this.pollerBackoff(failures));
      return { retry: iterator };
    }
  }

  private getRecords(iterator: string) {
    return this.client.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: this.settings.batchSize }),
    );
  }

  private async iterator(
    shardId: string,
    after: string | undefined,
    position: 'TRIM_HORIZON' | 'LATEST' = this.options.startingPosition,
  ): Promise<string | undefined> {
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: position }),
      }),
    );
    return out.ShardIterator;
  }

  /**
   * The iterator points before the oldest record the shard keeps (TrimmedDataAccessException). Lambda's mapping
   * reads on from what is kept: after the last record seen if it still is, else from the trim horizon. Retrying
   * the same iterator would fail for ever. DynamoDB Local says so too of a LATEST iterator taken on an empty
   * shard once records arrive (seen with several stream tables): from the trim horizon then, records written
   * before the poller was positioned are skipped (those of its minute excepted: DynamoDB Local's creation times
   * are per minute; delivered again at least once, as Lambda may).
   */
  private async afterTrim(shardId: string, last: string | undefined): Promise<string | undefined> {
    if (last) {
      try {
        return await this.iterator(shardId, last);
      } catch (error) {
        if ((error as { name?: string }).name !== 'TrimmedDataAccessException') throw error;
      }
    } else if (this.options.startingPosition === 'LATEST') this.skipBefore.set(shardId, this.positionedAt);
    return this.iterator(shardId, undefined, 'TRIM_HORIZON');
  }

  /** When the poller was last positioned on a shard; per shard read from its trim horizon, what to skip. */
  private positionedAt = Date.now();
  private readonly skipBefore = new Map<string, number>();

  private unseen(shardId: string, records: _Record[]): _Record[] {
    const before = this.skipBefore.get(shardId);
    if (before === undefined) return records;
    const kept = records.filter(
      (r) => (r.dynamodb?.ApproximateCreationDateTime?.getTime() ?? 0) >= before - 60_000,
    );
    if (kept.length > 0) this.skipBefore.delete(shardId);
    return kept;
  }

  private stamp(records: _Record[]): void {
    const now = Date.now();
    for (const record of records) {
      const sequence = sequenceOf(record);
      if (!this.arrivals.has(sequence)) this.arrivals.set(sequence, now);
    }
  }

  private arrivalOf(record: _Record): number {
    return this.arrivals.get(sequenceOf(record)) ?? Date.now();
  }

  /** Runs one page of records to the end under Lambda's rules: delivered, or discarded to the on-failure queue. */
  private async deliver(records: _Record[], shardId: string): Promise<void> {
    const queue: Batch<_Record>[] = [{ records, retries: 0 }];
    while (queue.length > 0 && this.running) {
      const batch = queue.shift() as Batch<_Record>;
      const { expired, fresh } = splitExpired(
        batch.records,
        (r) => Date.now() - this.arrivalOf(r),
        this.maxAgeMs(),
      );
      if (expired.length > 0)
        await this.sendToOnFailure(expired, batch.retries + 1, 'RecordAgeExceeded', shardId);
      if (fresh.length === 0) continue;
      const current = { records: fresh, retries: batch.retries };
      const transition = afterInvoke(current, await this.invokeOnce(fresh), this.settings);
      if (transition.discard) {
        const { records: dropped, retries } = transition.discard;
        await this.sendToOnFailure(dropped, retries, 'RetryAttemptsExhausted', shardId);
      }
      queue.unshift(...transition.next);
      if (transition.backoff) await sleep(this.retryDelay(current.retries + 1));
    }
    for (const record of records) this.arrivals.delete(sequenceOf(record));
  }

  /** The tighter of MaximumRecordAgeInSeconds and the stream's retention. */
  private maxAgeMs(): number {
    const { maximumRecordAgeInSeconds: maxAge = -1, retentionSeconds = DAY_SECONDS } = this.settings;
    return 1000 * (maxAge >= 0 ? Math.min(maxAge, retentionSeconds) : retentionSeconds);
  }

  private retryDelay(retry: number): number {
    return this.options.retryDelayMs?.(retry) ?? Math.min(1000, 20 * 2 ** retry);
  }

  private async invokeOnce(batch: _Record[]): Promise<InvokeOutcome> {
    try {
      const response = (await this.options.invoke({ Records: batch.map((r) => this.lambdaRecord(r)) })) as
        | { batchItemFailures?: { itemIdentifier: string }[] }
        | undefined;
      const failures = this.settings.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
      if (failures.length === 0) return { ok: true };
      const indexes = failures.map((f) => batch.findIndex((r) => sequenceOf(r) === f.itemIdentifier));
      // an identifier not in the batch: Lambda treats the whole batch as failed
      return { failedAt: indexes.some((i) => i < 0) ? 0 : Math.min(...indexes) };
    } catch (error) {
      this.options.log?.(`handler failed: ${String(error)}`);
      return { error };
    }
  }

  /** The record as Lambda sends it: its source ARN, and ApproximateCreationDateTime in epoch seconds. */
  private lambdaRecord(record: _Record) {
    return {
      ...record,
      eventSourceARN: this.options.streamArn,
      dynamodb: {
        ...record.dynamodb,
        ApproximateCreationDateTime: Math.floor(this.arrivalOf(record) / 1000),
      },
    };
  }

  private async sendToOnFailure(batch: _Record[], invocations: number, condition: string, shardId: string) {
    const [first, last] = [batch[0], batch.at(-1)];
    this.options.log?.(
      `giving up on ${batch.length} records (${condition}, ${invocations} invocations): ${first && sequenceOf(first)}..${last && sequenceOf(last)}`,
    );
    const message = {
      version: '1.0',
      timestamp: new Date().toISOString(),
      requestContext: {
        condition,
        approximateInvokeCount: invocations,
        functionArn: `arn:aws:lambda:af-south-1:000000000000:function:${this.options.functionName ?? 'unknown'}`,
      },
      DDBStreamBatchInfo: {
        shardId,
        startSequenceNumber: first && sequenceOf(first),
        endSequenceNumber: last && sequenceOf(last),
        approximateArrivalOfFirstRecord: first && new Date(this.arrivalOf(first)).toISOString(),
        approximateArrivalOfLastRecord: last && new Date(this.arrivalOf(last)).toISOString(),
        batchSize: batch.length,
        streamArn: this.options.streamArn,
      },
    };
    // A destination that does not answer must not stop the mapping: the records are given up on either way.
    await this.options
      .onFailure?.(message)
      .catch((error: unknown) =>
        this.options.log?.(`could not send to the on-failure destination: ${String(error)}`),
      );
  }
}

const sequenceOf = (record: _Record): string => record.dynamodb?.SequenceNumber ?? '';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
