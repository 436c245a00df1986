import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import type { EventRef } from './consumed-records.js';
import {
  describeError,
  type FailureKind,
  type FailurePolicy,
  isTransient,
  verdict,
} from './failure-policy.js';
import type { Metrics, ParkedEvents } from './ports.js';

/** The error of an event parked because its invocation ran out of time. */
export const UNFINISHED = 'DeadlineExceeded: not finished before the invocation had to answer';

export interface Failure {
  consumer: string;
  ref: EventRef;
  /** The whole event, when it could be decoded. */
  event?: EventEnvelope | undefined;
  error: unknown;
  /** When the consumer knows better than the error's shape (EventBridge entry error codes). */
  kind?: FailureKind;
  /** Age of the stream record holding the event. */
  ageMs: number;
  /** Projections: a poison event marks its stream in this table, so later events wait behind it in order. */
  markStreamIn?: string;
}

export interface FailureHandlerDependencies {
  parked: ParkedEvents;
  metrics: Metrics;
  policy: FailurePolicy;
  log?: (message: string, data: Record<string, unknown>) => void;
}

/**
 * The one place both stream consumers decide what a failure becomes: counted (`ConsumerFailures`), then either
 * retried by Lambda or parked (`ParkedEvents`) under the failure policy. When counting or parking fails in turn
 * (the parked-events table is throttled too), the record is retried: Lambda keeps it for 24 hours, and
 * `bbws recover` covers the rest (docs/operations.md).
 */
export class FailureHandler {
  constructor(private readonly deps: FailureHandlerDependencies) {}

  /**
   * 'outage': retried because what the consumer depends on does not answer (a transient failure); the
   * consumer need not try other events of the batch now, they would only wait for the same timeouts.
   */
  async handle(failure: Failure): Promise<'retry' | 'outage' | 'parked'> {
    const kind = failure.kind ?? (isTransient(failure.error) ? 'transient' : 'poison');
    const { consumer, ref } = failure;
    this.deps.metrics.count('ConsumerFailures', 1, { consumer, kind });
    try {
      // counted per kind: only poison failures count toward maxAttempts (an outage uses up no attempts)
      const attempts = await this.deps.parked.recordFailure(consumer, ref, kind);
      if (verdict(this.deps.policy, { kind, attempts, ageMs: failure.ageMs }) === 'retry')
        return kind === 'transient' ? 'outage' : 'retry';
      const parked = await this.deps.parked.park(
        { consumer, ...ref, event: failure.event, error: describeError(failure.error), attempts, kind },
        {
          // an event parked already (redelivered with its record) keeps its first record, counted once
          ifAbsent: true,
          // A transient failure says nothing about the event: later events of its stream may go ahead (the
          // projection writer catches up the gap from the event store once the table answers again).
          ...(kind === 'poison' && failure.markStreamIn ? { markStreamIn: failure.markStreamIn } : {}),
        },
      );
      if (parked) this.deps.metrics.count('ParkedEvents', 1, { consumer });
      this.deps.log?.('parked', { consumer, ...ref, kind, attempts, ageMs: failure.ageMs });
      return 'parked';
    } catch (error) {
      this.deps.log?.('could not count or park a failure; the record will be retried', {
        consumer,
        ...ref,
        error: describeError(error),
      });
      return 'outage';
    }
  }

  /**
   * The invocation's deadline came before this event was done (a dependency that does not answer): past the age
   * bound it is parked (transient, never replacing a record; true), otherwise it stays to be redelivered (false).
   * Parking that fails in turn leaves it to be redelivered too.
   */
  async parkUnfinished(consumer: string, ref: EventRef, event: EventEnvelope | undefined, ageMs: number) {
    if (ageMs < this.deps.policy.parkAfterMs) return false;
    this.deps.metrics.count('ConsumerFailures', 1, { consumer, kind: 'transient' });
    try {
      const parked = await this.deps.parked.park(
        {
          consumer,
          ...ref,
          event,
          error: `${UNFINISHED}\n(the invocation stopped at its deadline: a dependency did not answer in time)`,
          attempts: 0,
          kind: 'transient',
        },
        { ifAbsent: true },
      );
      if (parked) this.deps.metrics.count('ParkedEvents', 1, { consumer });
      this.deps.log?.('parked at the deadline', { consumer, ...ref, ageMs });
      return true;
    } catch {
      return false;
    }
  }

  /**
   * A later event of a stream parked for a projection: parked behind the first, never replacing a record, and
   * only while the stream is marked (same transaction): once a re-drive unmarked it, the event is retried and
   * applied instead of waiting behind nothing.
   */
  async parkBehind(
    consumer: string,
    event: EventEnvelope,
    parkedFrom: number,
    markedIn: string,
  ): Promise<'retry' | 'parked'> {
    try {
      const parked = await this.deps.parked.park(
        {
          consumer,
          streamId: event.streamId,
          version: event.version,
          type: event.type,
          event,
          error: `waiting behind ${event.streamId}@${parkedFrom}`,
          attempts: 0,
          kind: 'waiting',
        },
        { ifAbsent: true, whileMarkedIn: markedIn },
      );
      if (parked) this.deps.metrics.count('ParkedEvents', 1, { consumer });
      return 'parked';
    } catch {
      return 'retry';
    }
  }
}
