import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import {
  invalidParameter,
  LocalQueue,
  type QueueSettings,
  SqsError,
  type StoredMessage,
} from './sqs-queue.js';

type Input = Record<string, unknown>;

interface MoveTask {
  TaskHandle: string;
  Status: 'COMPLETED';
  SourceArn: string;
  DestinationArn?: string;
  ApproximateNumberOfMessagesMoved: number;
  ApproximateNumberOfMessagesToMove: number;
  StartedTimestamp: number;
}

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const seconds = (value: unknown, fallback: number): number =>
  value === undefined || value === null || value === '' ? fallback : Number(value);

/**
 * An SQS-API server on 127.0.0.1 (the AWS JSON protocol the SDK speaks), so the pollers, the local EventBridge
 * and the CLI run the same SDK code as in AWS. Written for the platform because `local-aws-sqs` hands out
 * messages of a FIFO group while an earlier one is in flight (tried: three receives of one group in a row),
 * which would hide exactly the ordering the FIFO consumers depend on. Queue semantics: sqs-queue.ts.
 */
export class LocalSqs {
  private readonly queues = new Map<string, LocalQueue>();
  private readonly moveTasks: MoveTask[] = [];
  private server: Server | undefined;
  private endpoint = 'http://127.0.0.1';
  private readonly open = new Set<ServerResponse>();

  constructor(
    private readonly account = '000000000000',
    private readonly region = 'af-south-1',
    private readonly now: () => number = Date.now,
  ) {}

  async listen(port: number): Promise<string> {
    this.endpoint = `http://127.0.0.1:${port}`;
    // No request may end the process (a client that disconnects mid-request, a bug): AWS's 500 InternalError.
    this.server = createServer((req, res) =>
      this.handle(req, res).catch((error: unknown) => {
        if (res.headersSent || res.destroyed || req.destroyed) {
          res.destroy();
          return;
        }
        console.error('local SQS failed:', error);
        sendError(res, new SqsError('InternalError', 'InternalError', String(error)));
      }),
    );
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    return this.endpoint;
  }

  async close(): Promise<void> {
    for (const res of this.open) res.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** A queue by name (tests and the console read depths without an SDK call). */
  queue(name: string): LocalQueue | undefined {
    return this.queues.get(name);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.open.add(res);
    res.on('close', () => this.open.delete(res));
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const operation = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonSQS\./, '');
    try {
      const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Input;
      // the client going away ends a long poll at once (its answer would go nowhere)
      const gone = new AbortController();
      res.on('close', () => gone.abort());
      const output = await this.dispatch(operation, input, gone.signal);
      res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify(output));
    } catch (error) {
      sendError(
        res,
        error instanceof SqsError ? error : new SqsError('InternalError', 'InternalError', String(error)),
      );
    }
  }

  private dispatch(operation: string, input: Input, gone: AbortSignal): unknown {
    switch (operation) {
      case 'CreateQueue':
        return this.createQueue(input);
      case 'GetQueueUrl':
        return { QueueUrl: this.byName(text(input.QueueName)).url };
      case 'ListQueues':
        return this.listQueues(text(input.QueueNamePrefix) ?? '');
      case 'GetQueueAttributes':
        return { Attributes: this.attributes(this.byUrl(input.QueueUrl), input.AttributeNames) };
      case 'SendMessage':
        return this.sendOne(this.byUrl(input.QueueUrl), input);
      case 'SendMessageBatch':
        return this.batch(input, (queue, entry) => this.sendOne(queue, entry));
      case 'ReceiveMessage':
        return this.receive(this.byUrl(input.QueueUrl), input, gone);
      case 'DeleteMessage':
        this.byUrl(input.QueueUrl).delete(String(input.ReceiptHandle));
        return {};
      case 'DeleteMessageBatch':
        return this.batch(input, (queue, entry) => queue.delete(String(entry.ReceiptHandle)));
      case 'ChangeMessageVisibility':
        this.byUrl(input.QueueUrl).changeVisibility(
          String(input.ReceiptHandle),
          Number(input.VisibilityTimeout),
        );
        return {};
      case 'PurgeQueue':
        this.byUrl(input.QueueUrl).purge();
        return {};
      case 'StartMessageMoveTask':
        return this.startMoveTask(String(input.SourceArn), text(input.DestinationArn));
      case 'ListMessageMoveTasks':
        return { Results: this.moveTasks.filter((t) => t.SourceArn === input.SourceArn).reverse() };
      default:
        throw new SqsError(
          'UnsupportedOperation',
          'AWS.SimpleQueueService.UnsupportedOperation',
          `the local SQS server does not do ${operation}`,
        );
    }
  }

  private createQueue(input: Input) {
    const name = String(input.QueueName);
    const attributes = (input.Attributes ?? {}) as Record<string, string>;
    const settings = this.settings(name, attributes);
    const existing = this.queues.get(name);
    if (existing) {
      if (JSON.stringify(existing.settings) !== JSON.stringify(settings))
        throw new SqsError(
          'QueueNameExists',
          'QueueAlreadyExists',
          `A queue named ${name} exists with other attributes`,
        );
      return { QueueUrl: existing.url };
    }
    const queue = new LocalQueue(
      name,
      `arn:aws:sqs:${this.region}:${this.account}:${name}`,
      `${this.endpoint}/${this.account}/${name}`,
      settings,
      (message, from) => this.moveToDeadLetter(message, from),
      this.now,
    );
    this.queues.set(name, queue);
    return { QueueUrl: queue.url };
  }

  private settings(name: string, attributes: Record<string, string>): QueueSettings {
    const fifo = attributes.FifoQueue === 'true';
    if (fifo !== name.endsWith('.fifo'))
      throw invalidParameter(
        'The name of a FIFO queue can only include alphanumeric characters, hyphens, or underscores, must end with .fifo suffix',
      );
    const settings: QueueSettings = {
      fifo,
      contentBasedDeduplication: attributes.ContentBasedDeduplication === 'true',
      visibilityTimeoutSeconds: seconds(attributes.VisibilityTimeout, 30),
      retentionSeconds: seconds(attributes.MessageRetentionPeriod, 345_600),
      delaySeconds: seconds(attributes.DelaySeconds, 0),
    };
    if (attributes.RedrivePolicy) {
      const policy = JSON.parse(attributes.RedrivePolicy) as {
        deadLetterTargetArn: string;
        maxReceiveCount: number | string;
      };
      const target = this.byArn(policy.deadLetterTargetArn);
      if (target.settings.fifo !== fifo)
        throw invalidParameter(
          'The dead-letter queue of a FIFO queue must also be a FIFO queue (and of a standard queue, a standard queue)',
        );
      settings.redrive = { deadLetterTargetArn: target.arn, maxReceiveCount: Number(policy.maxReceiveCount) };
    }
    return settings;
  }

  private attributes(queue: LocalQueue, names: unknown): Record<string, string> {
    const { visible, inFlight, delayed } = queue.counts();
    const s = queue.settings;
    const all: Record<string, string> = {
      QueueArn: queue.arn,
      ApproximateNumberOfMessages: String(visible),
      ApproximateNumberOfMessagesNotVisible: String(inFlight),
      ApproximateNumberOfMessagesDelayed: String(delayed),
      VisibilityTimeout: String(s.visibilityTimeoutSeconds),
      MessageRetentionPeriod: String(s.retentionSeconds),
      DelaySeconds: String(s.delaySeconds),
      ...(s.fifo
        ? { FifoQueue: 'true', ContentBasedDeduplication: String(s.contentBasedDeduplication) }
        : {}),
      ...(s.redrive ? { RedrivePolicy: JSON.stringify(s.redrive) } : {}),
    };
    const wanted = Array.isArray(names) ? (names as string[]) : [];
    return wanted.includes('All')
      ? all
      : Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k)));
  }

  private sendOne(queue: LocalQueue, input: Input) {
    if (input.MessageAttributes !== undefined || input.MessageSystemAttributes !== undefined)
      throw invalidParameter('the local SQS server does not support message attributes');
    const body = text(input.MessageBody);
    if (!body)
      throw new SqsError(
        'MissingParameter',
        'MissingParameter',
        'The request must contain the parameter MessageBody.',
      );
    const groupId = text(input.MessageGroupId);
    const deduplicationId = text(input.MessageDeduplicationId);
    const sent = queue.send({
      body,
      ...(groupId ? { groupId } : {}),
      ...(deduplicationId ? { deduplicationId } : {}),
      ...(input.DelaySeconds !== undefined ? { delaySeconds: Number(input.DelaySeconds) } : {}),
    });
    return {
      MessageId: sent.messageId,
      MD5OfMessageBody: sent.md5OfBody,
      ...(sent.sequenceNumber ? { SequenceNumber: sent.sequenceNumber } : {}),
    };
  }

  /** SendMessageBatch and DeleteMessageBatch: up to 10 entries, each succeeding or failing on its own. */
  private batch(input: Input, each: (queue: LocalQueue, entry: Input) => unknown) {
    const queue = this.byUrl(input.QueueUrl);
    const entries = (input.Entries ?? []) as Input[];
    if (entries.length === 0)
      throw new SqsError(
        'EmptyBatchRequest',
        'AWS.SimpleQueueService.EmptyBatchRequest',
        'There should be at least one entry in the request.',
      );
    if (entries.length > 10)
      throw new SqsError(
        'TooManyEntriesInBatchRequest',
        'AWS.SimpleQueueService.TooManyEntriesInBatchRequest',
        `Maximum number of entries per request are 10. You have sent ${entries.length}.`,
      );
    const Successful: Input[] = [];
    const Failed: Input[] = [];
    for (const entry of entries) {
      try {
        Successful.push({ Id: entry.Id, ...((each(queue, entry) as Input | undefined) ?? {}) });
      } catch (error) {
        const e = error instanceof SqsError ? error : invalidParameter(String(error));
        Failed.push({ Id: entry.Id, Code: e.queryCode, Message: e.message, SenderFault: true });
      }
    }
    return { Successful, Failed };
  }

  /**
   * Long polling: waits up to WaitTimeSeconds for a message, as SQS does; the wait is woken by the queue
   * (LocalQueue.waitForMessages), not a timer every few milliseconds.
   */
  private async receive(queue: LocalQueue, input: Input, gone: AbortSignal) {
    const max = Number(input.MaxNumberOfMessages ?? 1);
    if (!(max >= 1 && max <= 10)) throw invalidParameter('MaxNumberOfMessages must be between 1 and 10');
    const visibility =
      input.VisibilityTimeout === undefined
        ? undefined
        : wholeSeconds(input.VisibilityTimeout, 'VisibilityTimeout', 43_200);
    const deadline =
      this.now() +
      1000 *
        (input.WaitTimeSeconds === undefined
          ? 0
          : wholeSeconds(input.WaitTimeSeconds, 'WaitTimeSeconds', 20));
    const names = [
      ...((input.AttributeNames as string[] | undefined) ?? []),
      ...((input.MessageSystemAttributeNames as string[] | undefined) ?? []),
    ];
    for (;;) {
      // a client that left takes nothing: its messages would stay in flight for nobody
      if (gone.aborted) return { Messages: [] };
      const messages = queue.receive(max, visibility);
      if (messages.length > 0 || this.now() >= deadline)
        return { Messages: messages.map((m) => wireMessage(m, names)) };
      await queue.waitForMessages(deadline, gone);
    }
  }

  private moveToDeadLetter(message: StoredMessage, from: LocalQueue): void {
    const target = this.byArn(from.settings.redrive?.deadLetterTargetArn ?? '');
    // AWS replaces a FIFO message's deduplication id with its message id on the way to the DLQ.
    target.send({
      body: message.body,
      ...(message.groupId ? { groupId: message.groupId, deduplicationId: message.messageId } : {}),
      deadLetterSourceArn: from.arn,
    });
  }

  /** DLQ redrive: every message back to the queue it failed in (or to DestinationArn). */
  private startMoveTask(sourceArn: string, destinationArn: string | undefined) {
    const source = this.byArn(sourceArn);
    const isDeadLetter = [...this.queues.values()].some(
      (q) => q.settings.redrive?.deadLetterTargetArn === sourceArn,
    );
    if (!isDeadLetter) throw invalidParameter('Source queue must be configured as a Dead Letter Queue.');
    const messages = source.drain();
    for (const message of messages) {
      const target = this.byArn(destinationArn ?? message.deadLetterSourceArn ?? '');
      target.send({
        body: message.body,
        ...(message.groupId ? { groupId: message.groupId, deduplicationId: randomUUID() } : {}),
      });
    }
    const task: MoveTask = {
      TaskHandle: randomUUID(),
      Status: 'COMPLETED',
      SourceArn: sourceArn,
      ...(destinationArn ? { DestinationArn: destinationArn } : {}),
      ApproximateNumberOfMessagesMoved: messages.length,
      ApproximateNumberOfMessagesToMove: messages.length,
      StartedTimestamp: this.now(),
    };
    this.moveTasks.push(task);
    return { TaskHandle: task.TaskHandle };
  }

  private listQueues(prefix: string) {
    return {
      QueueUrls: [...this.queues.values()].filter((q) => q.name.startsWith(prefix)).map((q) => q.url),
    };
  }

  private byName(name: string | undefined): LocalQueue {
    const queue = name === undefined ? undefined : this.queues.get(name);
    if (!queue)
      throw new SqsError(
        'QueueDoesNotExist',
        'AWS.SimpleQueueService.NonExistentQueue',
        'The specified queue does not exist.',
      );
    return queue;
  }

  private byUrl(url: unknown): LocalQueue {
    return this.byName(String(url).split('/').pop());
  }

  private byArn(arn: string): LocalQueue {
    return this.byName(arn.split(':').pop());
  }
}

/** A message as ReceiveMessage returns it, with the system attributes asked for. */
function wireMessage(message: StoredMessage, names: readonly string[]) {
  const all: Record<string, string | undefined> = {
    SenderId: 'AIDALOCALSQSSENDER',
    SentTimestamp: String(message.sentAt),
    ApproximateReceiveCount: String(message.receiveCount),
    ApproximateFirstReceiveTimestamp: String(message.firstReceivedAt ?? ''),
    MessageGroupId: message.groupId,
    MessageDeduplicationId: message.deduplicationId,
    SequenceNumber: message.sequenceNumber,
    DeadLetterQueueSourceArn: message.deadLetterSourceArn,
  };
  const attributes = Object.fromEntries(
    Object.entries(all).filter(([k, v]) => v !== undefined && (names.includes('All') || names.includes(k))),
  );
  return {
    MessageId: message.messageId,
    ReceiptHandle: message.receiptHandle,
    MD5OfBody: message.md5OfBody,
    Body: message.body,
    ...(Object.keys(attributes).length > 0 ? { Attributes: attributes } : {}),
  };
}

/** An error as the SQS JSON protocol answers it: 500 for InternalError, 400 otherwise, with the query code. */
function sendError(res: ServerResponse, e: SqsError): void {
  res.writeHead(e.type === 'InternalError' ? 500 : 400, {
    'content-type': 'application/x-amz-json-1.0',
    'x-amzn-query-error': `${e.queryCode};Sender`,
  });
  res.end(JSON.stringify({ __type: `com.amazonaws.sqs#${e.type}`, message: e.message }));
}

/** A whole number of seconds from 0 to `max`, or SQS's InvalidParameterValue naming the parameter. */
function wholeSeconds(value: unknown, name: string, max: number): number {
  const n =
    typeof value === 'number'
      ? value
      : typeof value === 'string' && value.trim() !== ''
        ? Number(value)
        : Number.NaN;
  if (!Number.isInteger(n) || n < 0 || n > max)
    throw invalidParameter(
      `Value ${String(value)} for parameter ${name} is invalid. Reason: Must be >= 0 and <= ${max}, if provided.`,
    );
  return n;
}
