import {
  type _Record,
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
} from '@aws-sdk/client-dynamodb-streams';
import type { Invoke } from './lambda-host.js';

export interface StreamSubscriptionOptions {
  streamArn: string;
  batchSize: number;
  /** -1: retry until the records expire, as Lambda does */
  maximumRetryAttempts: number;
  bisect: boolean;
  reportBatchItemFailures: boolean;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  invoke: Invoke;
  /** Lambda's on-failure destination: gets record metadata only, never the records. */
  onFailure?: (failure: Record<string, unknown>) => Promise<void>;
  pollMs?: number;
  log?: (line: string) => void;
}

/**
 * A DynamoDB Streams event source mapping on DynamoDB Local: reads each shard in order and delivers batches to
 * the same handler Lambda runs, with Lambda's semantics — ReportBatchItemFailures restarts from the lowest
 * reported sequence number, errors retry the batch (bisected if asked), and after MaximumRetryAttempts the
 * batch's metadata goes to the on-failure destination and the mapping moves on.
 */
export class StreamPoller {
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly done = new Set<string>();
  private positioned!: () => void;
  /** Resolves once the poller holds an iterator on the stream (LATEST: records written after this are seen). */
  readonly ready = new Promise<void>((resolve) => {
    this.positioned = resolve;
  });

  constructor(
    private readonly client: DynamoDBStreamsClient,
    private readonly options: StreamSubscriptionOptions,
  ) {}

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
      const shards = await this.openShards();
      if (shards.length === 0) {
        await sleep(this.options.pollMs ?? 25);
        continue;
      }
      await Promise.all(shards.map((shard) => this.drain(shard)));
    }
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
    let iterator = await this.iterator(shardId, last);
    this.positioned();
    while (this.running && iterator) {
      let page: Awaited<ReturnType<typeof this.getRecords>>;
      try {
        page = await this.getRecords(iterator);
      } catch (error) {
        if ((error as { name?: string }).name !== 'ExpiredIteratorException') throw error;
        iterator = await this.iterator(shardId, last); // iterators expire: resume after the last record seen
        continue;
      }
      const records = page.Records ?? [];
      if (records.length > 0) {
        await this.deliver(records);
        last = records.at(-1)?.dynamodb?.SequenceNumber ?? last;
      } else await sleep(this.options.pollMs ?? 25);
      iterator = page.NextShardIterator;
    }
    if (!iterator) this.done.add(shardId);
  }

  private getRecords(iterator: string) {
    return this.client.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: this.options.batchSize }),
    );
  }

  private async iterator(shardId: string, after: string | undefined): Promise<string | undefined> {
    const out = await this.client.send(
      new GetShardIteratorCommand({
        StreamArn: this.options.streamArn,
        ShardId: shardId,
        ...(after
          ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: after }
          : { ShardIteratorType: this.options.startingPosition }),
      }),
    );
    return out.ShardIterator;
  }

  private async deliver(records: _Record[]): Promise<void> {
    let pending = records;
    for (let attempt = 0; pending.length > 0 && this.running; attempt++) {
      const failedAt = await this.invokeOnce(pending);
      if (failedAt === undefined) return;
      const { maximumRetryAttempts } = this.options;
      if (maximumRetryAttempts >= 0 && attempt >= maximumRetryAttempts) {
        await this.sendToOnFailure(pending, attempt + 1);
        return;
      }
      pending = pending.slice(failedAt);
      await sleep(Math.min(1000, 20 * 2 ** attempt));
    }
  }

  /** Undefined when the batch is done; else the index of the first record to deliver again. */
  private async invokeOnce(batch: _Record[]): Promise<number | undefined> {
    try {
      const response = (await this.options.invoke({ Records: batch.map((r) => this.lambdaRecord(r)) })) as
        | { batchItemFailures?: { itemIdentifier: string }[] }
        | undefined;
      const failures = this.options.reportBatchItemFailures ? (response?.batchItemFailures ?? []) : [];
      if (failures.length === 0) return undefined;
      const indexes = failures.map((f) =>
        batch.findIndex((r) => r.dynamodb?.SequenceNumber === f.itemIdentifier),
      );
      return indexes.some((i) => i < 0) ? 0 : Math.min(...indexes);
    } catch (error) {
      this.options.log?.(`handler failed: ${String(error)}`);
      if (this.options.bisect && batch.length > 1) {
        const half = Math.ceil(batch.length / 2);
        const first = await this.invokeOnce(batch.slice(0, half));
        if (first !== undefined) return first;
        const second = await this.invokeOnce(batch.slice(half));
        return second === undefined ? undefined : half + second;
      }
      return 0;
    }
  }

  private lambdaRecord(record: _Record) {
    return { ...record, eventSourceARN: this.options.streamArn };
  }

  private async sendToOnFailure(batch: _Record[], attempts: number): Promise<void> {
    const first = batch[0]?.dynamodb?.SequenceNumber;
    const last = batch.at(-1)?.dynamodb?.SequenceNumber;
    this.options.log?.(`giving up on ${batch.length} records after ${attempts} attempts (${first}..${last})`);
    await this.options.onFailure?.({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: attempts },
      DDBStreamBatchInfo: {
        shardId: 'local',
        startSequenceNumber: first,
        endSequenceNumber: last,
        batchSize: batch.length,
        streamArn: this.options.streamArn,
      },
      timestamp: new Date().toISOString(),
    });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
