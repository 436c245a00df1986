import {
  DeleteMessageBatchCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Invoke } from './lambda-host.js';

export interface SqsMappingSettings {
  batchSize: number;
  /** 0: one receive per batch (at most 10 messages); more lets a batch collect up to batchSize. */
  maximumBatchingWindowSeconds: number;
  reportBatchItemFailures: boolean;
}

export interface SqsMappingOptions extends SqsMappingSettings {
  queueUrl: string;
  queueArn: string;
  invoke: Invoke;
  /** Concurrent batches (Lambda starts five pollers per mapping; FIFO groups still go one batch at a time). */
  concurrency?: number;
  log?: (line: string) => void;
}

/** What one invocation did, for tests and the console. */
export interface SqsInvocation {
  messageIds: string[];
  failed: string[];
  error?: string;
}

type Outcome = { ok: true } | { failed: string[] } | { error: unknown };

/**
 * An SQS event source mapping with Lambda's semantics: long-polls the queue, invokes the function with a batch
 * (the record shape Lambda sends), deletes what succeeded and leaves the rest in flight — a thrown error, or with
 * ReportBatchItemFailures the reported messages (all of them if an identifier is not in the batch) become
 * visible again when the queue's visibility timeout ends and are received again; the queue's redrive policy
 * moves a message to its DLQ after maxReceiveCount receives. Ordering and the FIFO group lock are the queue's
 * (sqs-server.ts), exactly as in AWS.
 */
export class SqsPoller {
  readonly invocations: SqsInvocation[] = [];
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly sqs: SQSClient,
    private readonly options: SqsMappingOptions,
  ) {}

  start(): void {
    this.running = true;
    this.loops = Array.from({ length: this.options.concurrency ?? 2 }, () =>
      this.loop().catch((error: unknown) => {
        if (this.running) this.options.log?.(`sqs poller stopped: ${String(error)}`);
      }),
    );
  }

  async stop(): Promise<void> {
    this.running = false;
    this.abort.abort();
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    while (this.running) {
      const batch = await this.collect();
      if (batch.length > 0 && this.running) await this.deliver(batch);
    }
  }

  /** One receive, or with a batching window several, until batchSize messages or the window ends. */
  private async collect(): Promise<Message[]> {
    const { batchSize, maximumBatchingWindowSeconds } = this.options;
    const until = Date.now() + 1000 * maximumBatchingWindowSeconds;
    const batch: Message[] = [];
    do {
      const out = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: Math.min(10, batchSize - batch.length),
          WaitTimeSeconds: 1,
          MessageSystemAttributeNames: ['All'],
        }),
        { abortSignal: this.abort.signal },
      );
      batch.push(...(out.Messages ?? []));
    } while (this.running && batch.length < batchSize && Date.now() < until);
    return batch;
  }

  private async deliver(batch: Message[]): Promise<void> {
    const ids = batch.map((m) => m.MessageId ?? '');
    const outcome = await this.invokeOnce(batch);
    const failed = 'ok' in outcome ? [] : 'failed' in outcome ? outcome.failed : ids;
    this.invocations.push({
      messageIds: ids,
      failed,
      ...('error' in outcome ? { error: String(outcome.error) } : {}),
    });
    const done = batch.filter((m) => !failed.includes(m.MessageId ?? ''));
    for (let i = 0; i < done.length; i += 10) {
      await this.sqs.send(
        new DeleteMessageBatchCommand({
          QueueUrl: this.options.queueUrl,
          Entries: done.slice(i, i + 10).map((m, j) => ({ Id: String(j), ReceiptHandle: m.ReceiptHandle })),
        }),
      );
    }
  }

  private async invokeOnce(batch: Message[]): Promise<Outcome> {
    try {
      const response = (await this.options.invoke({ Records: batch.map((m) => this.record(m)) })) as
        | { batchItemFailures?: { itemIdentifier?: string }[] }
        | undefined;
      if (!this.options.reportBatchItemFailures) return { ok: true };
      const reported = response?.batchItemFailures ?? [];
      if (reported.length === 0) return { ok: true };
      const ids = new Set(batch.map((m) => m.MessageId));
      // An empty, null or unknown identifier: Lambda treats the whole batch as failed.
      if (reported.some((f) => !f.itemIdentifier || !ids.has(f.itemIdentifier)))
        return { error: 'batchItemFailures names a message not in the batch' };
      return { failed: reported.map((f) => f.itemIdentifier as string) };
    } catch (error) {
      this.options.log?.(`handler failed: ${String(error)}`);
      return { error };
    }
  }

  /** The record as Lambda sends it (SQSRecord in @types/aws-lambda). */
  private record(message: Message) {
    return {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: message.Attributes ?? {},
      messageAttributes: {},
      md5OfBody: message.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: this.options.queueArn,
      awsRegion: this.options.queueArn.split(':')[3] ?? 'af-south-1',
    };
  }
}
