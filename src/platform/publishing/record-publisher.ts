import type { RetryPolicy } from '#src/platform/command/retry.js';
import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import {
  ageOf,
  type ConsumedRecord,
  type Deadline,
  type EventRef,
  refOf,
  settledBy,
} from '#src/platform/projection-runtime/consumed-records.js';
import type { Failure, FailureHandler } from '#src/platform/projection-runtime/failure-handler.js';
import type { Metrics } from '#src/platform/projection-runtime/ports.js';
import { type BusEntry, toBusEntry } from './integration-events.js';
import { type EventBus, PublishError, publish } from './publisher.js';

/** The publisher's name in parked events and metrics (its function's name). */
export const PUBLISHER = 'eventPublisher';

export interface RecordPublisherDependencies {
  bus: EventBus;
  busName: string;
  catalogue: EventCatalogue;
  failures: FailureHandler;
  metrics: Metrics;
  clock: () => Date;
  retry: RetryPolicy;
  maxRequestBytes: number;
}

type Unpublished = Omit<Failure, 'consumer' | 'ageMs'>;

/**
 * Event table stream consumer 2 of 2: publishes every event, record by record. An event that is not accepted
 * goes to the failure handler: retried (the record is reported, Lambda redelivers from it) or parked. A parked
 * event never holds back the events after it: EventBridge has no order to keep, subscribers order by version.
 */
export class RecordPublisher {
  constructor(private readonly deps: RecordPublisherDependencies) {}

  /**
   * Returns the sequence number of the first record to redeliver, or undefined when all are done. With a
   * deadline (the Lambda handler's), it stops at `deadline.stopAt` whatever it waits for: the records not done
   * are parked while they are past the age bound, and the first one left is reported.
   */
  async handle(
    records: readonly ConsumedRecord[],
    options: { deadline?: Deadline } = {},
  ): Promise<string | undefined> {
    const cursor = { next: 0, over: false };
    const work = (async () => {
      for (; cursor.next < records.length; cursor.next++) {
        const record = records[cursor.next] as ConsumedRecord;
        const done = await this.publishRecord(record, ageOf(record, this.deps.clock().getTime()));
        if (cursor.over) return undefined;
        if (!done) return record.sequenceNumber;
      }
      this.deps.metrics.count('RecordsProcessed', records.length, { consumer: PUBLISHER });
      return undefined;
    })();
    const { deadline } = options;
    if (!deadline) return work;
    let failed: string | undefined;
    if (
      await settledBy(
        work.then((f) => (failed = f)),
        deadline.stopAt,
      )
    )
      return failed;
    cursor.over = true;
    return this.atDeadline(records.slice(cursor.next), deadline);
  }

  /** Parks the unfinished records' events while they are past the age bound; returns the first record left. */
  private async atDeadline(left: readonly ConsumedRecord[], deadline: Deadline): Promise<string | undefined> {
    let at = 0;
    const parking = (async () => {
      for (; at < left.length; at++) {
        const record = left[at] as ConsumedRecord;
        const ageMs = ageOf(record, this.deps.clock().getTime());
        const parked = await Promise.all(
          record.events.map((item) =>
            this.deps.failures.parkUnfinished(
              PUBLISHER,
              refOf(item),
              'event' in item ? item.event : undefined,
              ageMs,
            ),
          ),
        );
        if (!parked.every(Boolean)) return;
      }
    })();
    await settledBy(parking, deadline.returnBy);
    return left[at]?.sequenceNumber;
  }

  /** True when every event of the record is published or parked. */
  private async publishRecord(record: ConsumedRecord, ageMs: number): Promise<boolean> {
    const unpublished: Unpublished[] = [];
    const ready: { event: EventEnvelope; entry: BusEntry }[] = [];
    for (const item of record.events) {
      if ('undecodable' in item) {
        unpublished.push({ ref: item.undecodable, error: item.error });
        continue;
      }
      try {
        ready.push({
          event: item.event,
          entry: toBusEntry(this.deps.catalogue, this.deps.busName, item.event, this.deps.maxRequestBytes),
        });
      } catch (error) {
        unpublished.push({ ref: refOf(item), event: item.event, error, kind: 'poison' });
      }
    }
    const refused = await publish(
      this.deps.bus,
      ready.map((r) => r.entry),
      { maxRequestBytes: this.deps.maxRequestBytes, retry: this.deps.retry },
    );
    const refusedAt = new Set(refused.map((f) => f.index));
    for (const failure of refused) {
      const { event } = ready[failure.index] as { event: EventEnvelope };
      unpublished.push({
        ref: refOf({ event }) as EventRef,
        event,
        error: new PublishError(failure.errorCode, failure.message),
        kind: failure.transient ? 'transient' : 'poison',
      });
    }
    const now = this.deps.clock().getTime();
    for (const [i, { event }] of ready.entries()) {
      if (!refusedAt.has(i))
        this.deps.metrics.milliseconds('PublishLag', now - Date.parse(event.occurredAt), {
          consumer: PUBLISHER,
        });
    }
    let done = true;
    for (const failure of unpublished) {
      const outcome = await this.deps.failures.handle({ ...failure, consumer: PUBLISHER, ageMs });
      if (outcome !== 'parked') done = false;
    }
    return done;
  }
}
