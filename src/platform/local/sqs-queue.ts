import { createHash, randomUUID } from 'node:crypto';

/** An SQS error as the JSON protocol reports it: `__type` and the query-compatible code the SDK maps. */
export class SqsError extends Error {
  override readonly name = 'SqsError';
  constructor(
    readonly type: string,
    readonly queryCode: string,
    message: string,
  ) {
    super(message);
  }
}

export const invalidParameter = (message: string) =>
  new SqsError('InvalidParameterValueException', 'InvalidParameterValue', message);

export interface QueueSettings {
  fifo: boolean;
  contentBasedDeduplication: boolean;
  visibilityTimeoutSeconds: number;
  retentionSeconds: number;
  delaySeconds: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
}

export interface StoredMessage {
  messageId: string;
  body: string;
  md5OfBody: string;
  sentAt: number;
  groupId?: string;
  deduplicationId?: string;
  sequenceNumber?: string;
  receiveCount: number;
  firstReceivedAt?: number;
  /** Not receivable before this time (delay, or in flight until its visibility timeout ends). */
  visibleAt: number;
  receiptHandle?: string;
  /** Set when the message was moved here from the queue it failed in (a DLQ), for re-drives. */
  deadLetterSourceArn?: string;
}

export interface SendInput {
  body: string;
  groupId?: string;
  deduplicationId?: string;
  delaySeconds?: number;
  deadLetterSourceArn?: string;
}

const DEDUPLICATION_WINDOW_MS = 5 * 60_000;
const md5 = (text: string) => createHash('md5').update(text, 'utf8').digest('hex');

/**
 * One queue with SQS's semantics, the ones AWS documents and the platform relies on: visibility timeouts,
 * retention, redrive to the dead-letter queue once a message was received maxReceiveCount times, and for FIFO
 * queues ordering per message group, **no message of a group while an earlier one of it is in flight**, and
 * deduplication within five minutes (explicit id, or SHA-256 of the body with content-based deduplication).
 */
export class LocalQueue {
  private messages: StoredMessage[] = [];
  private readonly deduplication = new Map<
    string,
    { messageId: string; sequenceNumber: string; at: number }
  >();
  private sequence = 0;
  /** Long polls waiting on this queue (the server's ReceiveMessage), woken by whatever may make a message receivable. */
  private readonly waiting = new Set<() => void>();

  constructor(
    readonly name: string,
    readonly arn: string,
    readonly url: string,
    readonly settings: QueueSettings,
    /** Moves a message to the dead-letter queue (resolved by the server from the redrive policy's ARN). */
    private readonly deadLetter: (message: StoredMessage, from: LocalQueue) => void,
    private readonly now: () => number = Date.now,
  ) {}

  send(input: SendInput): { messageId: string; md5OfBody: string; sequenceNumber?: string } {
    this.expire();
    if (this.settings.fifo) return this.sendFifo(input);
    if (input.deduplicationId !== undefined)
      throw invalidParameter(
        'The request include parameter MessageDeduplicationId which is not valid for this queue type',
      );
    const message = this.store(input, {});
    return { messageId: message.messageId, md5OfBody: message.md5OfBody };
  }

  private sendFifo(input: SendInput) {
    if (!input.groupId)
      throw new SqsError(
        'MissingParameter',
        'MissingParameter',
        'The request must contain the parameter MessageGroupId.',
      );
    if (input.delaySeconds) throw invalidParameter('FIFO queues do not support per-message delays');
    const key =
      input.deduplicationId ??
      (this.settings.contentBasedDeduplication
        ? createHash('sha256').update(input.body).digest('hex')
        : undefined);
    if (key === undefined)
      throw invalidParameter(
        'The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly',
      );
    const now = this.now();
    const seen = this.deduplication.get(key);
    if (seen && now - seen.at < DEDUPLICATION_WINDOW_MS)
      return { messageId: seen.messageId, md5OfBody: md5(input.body), sequenceNumber: seen.sequenceNumber };
    const sequenceNumber = String(++this.sequence).padStart(20, '0');
    const message = this.store(input, { groupId: input.groupId, deduplicationId: key, sequenceNumber });
    this.deduplication.set(key, { messageId: message.messageId, sequenceNumber, at: now });
    return { messageId: message.messageId, md5OfBody: message.md5OfBody, sequenceNumber };
  }

  private store(
    input: SendInput,
    fifo: Pick<StoredMessage, 'groupId' | 'deduplicationId' | 'sequenceNumber'>,
  ) {
    const now = this.now();
    const message: StoredMessage = {
      messageId: randomUUID(),
      body: input.body,
      md5OfBody: md5(input.body),
      sentAt: now,
      receiveCount: 0,
      visibleAt: now + 1000 * (input.delaySeconds ?? this.settings.delaySeconds),
      ...fifo,
      ...(input.deadLetterSourceArn ? { deadLetterSourceArn: input.deadLetterSourceArn } : {}),
    };
    this.messages.push(message);
    this.wake();
    return message;
  }

  /**
   * Up to `max` messages, each now in flight for the visibility timeout. A message already received
   * maxReceiveCount times goes to the dead-letter queue instead (SQS moves it on the receive that would exceed
   * the count). FIFO: messages in order per group, several of one group in one answer allowed, but none of a
   * group that still has a message in flight from an earlier receive.
   */
  receive(max: number, visibilitySeconds = this.settings.visibilityTimeoutSeconds): StoredMessage[] {
    this.expire();
    const now = this.now();
    const locked = new Set(this.messages.filter((m) => this.inFlight(m, now)).map((m) => m.groupId));
    const taken: StoredMessage[] = [];
    for (const message of [...this.messages]) {
      if (taken.length >= max) break;
      if (message.visibleAt > now) {
        // An invisible message holds back the rest of its group (in flight, or delayed).
        if (message.groupId !== undefined) locked.add(message.groupId);
        continue;
      }
      if (this.settings.fifo && locked.has(message.groupId)) continue;
      if (this.exhausted(message)) {
        this.remove(message);
        this.deadLetter(message, this);
        continue;
      }
      message.receiveCount += 1;
      message.firstReceivedAt ??= now;
      message.visibleAt = now + 1000 * visibilitySeconds;
      message.receiptHandle = `${randomUUID()}:${message.messageId}`;
      taken.push({ ...message });
    }
    return taken;
  }

  /**
   * FIFO: a handle whose visibility timeout has ended is refused (the message may be delivered again); standard:
   * an old handle succeeds without deleting anything, as AWS documents.
   */
  delete(receiptHandle: string): void {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (message && (!this.settings.fifo || this.inFlight(message, this.now()))) {
      this.remove(message);
      // a FIFO group's next message may be received now
      if (this.settings.fifo) this.wake();
      return;
    }
    if (this.settings.fifo)
      throw invalidParameter(
        `Value ${receiptHandle} for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired.`,
      );
  }

  changeVisibility(receiptHandle: string, seconds: number): void {
    const message = this.messages.find((m) => m.receiptHandle === receiptHandle);
    if (!message || !this.inFlight(message, this.now()))
      throw new SqsError(
        'MessageNotInflight',
        'AWS.SimpleQueueService.MessageNotInflight',
        'The message is not in flight.',
      );
    message.visibleAt = this.now() + 1000 * seconds;
    this.wake();
  }

  /**
   * Waits, as a long poll does, until a message may be receivable: one is sent, a FIFO group is unlocked by a
   * delete, a visibility is changed (a retry's 0 s), or the soonest invisible message's time comes (its
   * visibility, or the end of its retention: a FIFO group's lock with it); at most until
   * `until` (and never over a second, in case a clock other than Date.now is given), or until `signal` aborts
   * (the client went away). Only a wait: the caller receives again, and may find nothing (another poll took it).
   */
  async waitForMessages(until: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return;
    const now = this.now();
    // the next moment a message may become receivable by time alone: it becomes visible, or a FIFO group's
    // in-flight message reaches the end of its retention (and with it, its lock on the group: expire() drops a
    // message once it is strictly older than the retention, hence the + 1)
    const retentionMs = 1000 * this.settings.retentionSeconds;
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.messages)
      for (const at of [m.visibleAt, m.sentAt + retentionMs + 1]) if (at > now) next = Math.min(next, at);
    const ms = Math.max(1, Math.min(until, next) - now);
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, Math.min(ms, 1000));
      this.waiting.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  /** Wakes every waiting long poll (each receives again). */
  private wake(): void {
    for (const done of [...this.waiting]) done();
  }

  /** Every visible message, removed (a move task's source). */
  drain(): StoredMessage[] {
    this.expire();
    const now = this.now();
    const visible = this.messages.filter((m) => m.visibleAt <= now);
    this.messages = this.messages.filter((m) => m.visibleAt > now);
    return visible;
  }

  purge(): void {
    this.messages = [];
  }

  counts(): { visible: number; inFlight: number; delayed: number } {
    this.expire();
    const now = this.now();
    const inFlight = this.messages.filter((m) => this.inFlight(m, now)).length;
    const invisible = this.messages.filter((m) => m.visibleAt > now).length;
    return { visible: this.messages.length - invisible, inFlight, delayed: invisible - inFlight };
  }

  private inFlight(message: StoredMessage, now: number): boolean {
    return message.receiveCount > 0 && message.visibleAt > now;
  }

  private exhausted(message: StoredMessage): boolean {
    const redrive = this.settings.redrive;
    return redrive !== undefined && message.receiveCount >= redrive.maxReceiveCount;
  }

  private remove(message: StoredMessage): void {
    this.messages = this.messages.filter((m) => m !== message);
  }

  /** Retention: messages older than MessageRetentionPeriod are gone. */
  private expire(): void {
    const oldest = this.now() - 1000 * this.settings.retentionSeconds;
    if (this.messages.some((m) => m.sentAt < oldest))
      this.messages = this.messages.filter((m) => m.sentAt >= oldest);
  }
}
