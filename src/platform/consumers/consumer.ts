import type { Logger } from '@aws-lambda-powertools/logger';
import type { z } from 'zod';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import type { IntegrationDetail } from '#src/platform/publishing/integration-events.js';
import { EventBridgeEnvelope, IntegrationDetailSchema } from './integration-detail.js';
import type { ConsumerLedger } from './ledger.js';

/** Each event type a consumer takes, with the schema of its data. */
export type EventSchemas = Readonly<Record<string, z.ZodType>>;

/** One integration event as a consumer's logic sees it: the contract's detail, its data parsed per type. */
export type ConsumedEvent<S extends EventSchemas> = {
  [K in keyof S & string]: Omit<IntegrationDetail, 'type' | 'data' | 'dataOmitted'> & {
    type: K;
    data: z.infer<S[K]>;
  };
}[keyof S & string];

/** What a context writes for a consumer: its name, the events it takes and its logic, nothing else. */
export interface Consumer<S extends EventSchemas> {
  /** Stable: the ledger's key, the metrics' `consumer` dimension, the logs' `consumer`. */
  name: string;
  events: S;
  /**
   * Handles one event; throwing has it retried (and, after the queue's maxReceiveCount, dead-lettered). Delivery
   * is at least once and in no particular order: the effect must be idempotent and must not depend on order.
   */
  handle(event: ConsumedEvent<S>, context: { logger: Logger }): Promise<void>;
  /** Skips an eventId it has handled before (default). Off only where handling twice costs nothing. */
  deduplicate?: boolean;
}

export interface ConsumerDependencies {
  logger: Logger;
  metrics: { count(name: string, value?: number, dimensions?: Record<string, string>): void; flush(): void };
  /** The deduplication ledger; required unless the consumer turns deduplication off. */
  ledger?: ConsumerLedger;
  /** Reads an event whose data the publisher left out (too large for EventBridge: `dataOmitted`). */
  readEvent?: (streamId: string, version: number) => Promise<EventEnvelope | undefined>;
}

/** A message no retry can fix (not the contract, an event type the consumer does not take, invalid data). */
export class InvalidMessageError extends Error {
  override readonly name = 'InvalidMessageError';
}

/** Another invocation is handling the same event right now: retried later, never handled twice at once. */
export class EventBusyError extends Error {
  override readonly name = 'EventBusyError';
}

/**
 * The busy refusals the kit itself made, at the ledger's claim: only these count as busy, not an EventBusyError
 * (or a subclass) a handler throws or that reaches a consumer without a claim: those are failures.
 */
const claimedElsewhere = new WeakSet<Error>();

export type Outcome = 'handled' | 'duplicate';

/** Parses an EventBridge event (a rule's direct payload or an SQS message body) into the consumer's terms. */
export async function parseEvent<S extends EventSchemas>(
  consumer: Consumer<S>,
  deps: ConsumerDependencies,
  raw: unknown,
): Promise<ConsumedEvent<S>> {
  const envelope = EventBridgeEnvelope.safeParse(raw);
  if (!envelope.success) throw new InvalidMessageError('not an EventBridge event', { cause: envelope.error });
  const detail = IntegrationDetailSchema.safeParse(envelope.data.detail);
  if (!detail.success)
    throw new InvalidMessageError('detail is not the integration contract', { cause: detail.error });
  const { data, dataOmitted, ...rest } = detail.data;
  const schema = Object.hasOwn(consumer.events, rest.type) ? consumer.events[rest.type] : undefined;
  if (!schema) throw new InvalidMessageError(`${consumer.name} does not take ${rest.type}`);
  const parsed = schema.safeParse(dataOmitted ? await omittedData(deps, rest.streamId, rest.version) : data);
  if (!parsed.success) throw new InvalidMessageError(`invalid ${rest.type} data`, { cause: parsed.error });
  return { ...rest, data: parsed.data } as ConsumedEvent<S>;
}

async function omittedData(deps: ConsumerDependencies, streamId: string, version: number): Promise<unknown> {
  if (!deps.readEvent)
    throw new InvalidMessageError(`${streamId}@${version} came without data and no reader`);
  const event = await deps.readEvent(streamId, version);
  if (!event) throw new Error(`${streamId}@${version} is not in the event store (yet)`);
  return event.data;
}

/**
 * Runs the consumer on one parsed event: skipped if its eventId was handled, otherwise claimed, handled, and
 * recorded as handled only after it succeeded (a failure gives the claim back, so the retry runs it again).
 */
export async function consumeOne<S extends EventSchemas>(
  consumer: Consumer<S>,
  deps: ConsumerDependencies,
  event: ConsumedEvent<S>,
  logger: Logger,
  leaseMs: number,
): Promise<Outcome> {
  const ledger = consumer.deduplicate === false ? undefined : deps.ledger;
  if (consumer.deduplicate !== false && !ledger)
    throw new Error(`${consumer.name} deduplicates but has no ledger`);
  const claim = ledger ? await ledger.claim(consumer.name, event.eventId, leaseMs) : 'claimed';
  if (claim === 'done') {
    logger.info('duplicate skipped');
    deps.metrics.count('ConsumerDuplicates', 1, { consumer: consumer.name });
    return 'duplicate';
  }
  if (claim === 'busy') {
    const busy = new EventBusyError(`${event.eventId} is being handled by another invocation`);
    claimedElsewhere.add(busy);
    throw busy;
  }
  try {
    await consumer.handle(event, { logger });
  } catch (error) {
    await ledger?.release(consumer.name, event.eventId).catch(() => {});
    throw error;
  }
  await ledger?.complete(consumer.name, event.eventId);
  return 'handled';
}

/** The keys every log line of one event carries: its correlation id, and which event it is. */
export function eventLogger(
  logger: Logger,
  consumer: string,
  event: ConsumedEvent<EventSchemas>,
  messageId?: string,
) {
  return logger.createChild({
    persistentKeys: {
      consumer,
      correlationId: event.correlationId,
      eventId: event.eventId,
      streamId: event.streamId,
      version: event.version,
      type: event.type,
      ...(messageId ? { messageId } : {}),
    },
  });
}

/**
 * A failed attempt, counted and logged once, wherever it happened (parsing, claiming, handling): a failure
 * (`ConsumerFailures`, ERROR), or a duplicate delivered while the original is still being handled elsewhere
 * (`ConsumerBusy`, INFO: SQS's and EventBridge's at-least-once delivery, not a fault; an alarm on failures or on
 * ERROR lines must not fire for it; in AWS an EventBridge-invoked function's rejection still gets the Lambda
 * runtime's own error line). Either way the message is retried: a busy one finds the event done (skipped) or given
 * back, the lease lasting about as long as the invocation that holds it.
 */
export function recordFailure(
  deps: ConsumerDependencies,
  consumer: string,
  logger: Logger,
  error: unknown,
  extra = {},
) {
  if (error instanceof EventBusyError && claimedElsewhere.has(error)) {
    deps.metrics.count('ConsumerBusy', 1, { consumer });
    logger.info('event busy: retried later', { ...extra, reason: error.message });
    return;
  }
  deps.metrics.count('ConsumerFailures', 1, { consumer });
  logger.error('event failed', {
    ...extra,
    error: error instanceof Error ? { name: error.name, message: error.message } : String(error),
  });
}
