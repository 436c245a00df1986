import type { Projection } from '#src/platform/domain/projection.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { redactText } from '#src/platform/privacy/redaction.js';
import type { EventRef } from './consumed-records.js';

/** A projection version and the table it writes. */
export interface ProjectionTarget {
  projection: Projection;
  tableName: string;
}

/** The consumer name of a projection version in parked events and metrics: `tenants.v1`. */
export const targetName = (target: ProjectionTarget): string =>
  `${target.projection.name}.v${target.projection.version}`;

export type ApplyOutcome = 'applied' | 'duplicate';

/** Applies an event to a target exactly once (checkpoint per projection and stream, same transaction). */
export interface ProjectionWriter {
  apply(target: ProjectionTarget, event: EventEnvelope): Promise<ApplyOutcome>;
  /** The last version applied, and where the stream is parked (if it is). */
  checkpoint(target: ProjectionTarget, streamId: string): Promise<{ version: number; parkedFrom?: number }>;
  /** Clears the park mark, so the parked events can be applied again. */
  unpark(target: ProjectionTarget, streamId: string): Promise<void>;
}

/**
 * poison: failed `maxAttempts` times; transient: still failing (throttling, 5xx) when the record reached the
 * age bound; waiting: a later event of a stream parked for a projection (kept in order behind the first).
 */
export type ParkKind = 'poison' | 'transient' | 'waiting';

export interface ParkedEvent {
  /** A projection version (`tenants.v1`) or `eventPublisher`. */
  consumer: string;
  streamId: string;
  version: number;
  type: string;
  /**
   * The event's id, when it could be decoded: a reference, never the event. Re-drives read the event from the
   * store again, and a copy kept here would outlive its people's erasure (their key opens nothing here).
   */
  eventId?: string;
  error: string;
  attempts: number;
  kind: ParkKind;
  parkedAt: string;
}

export interface ParkedFilter {
  /** A consumer (`tenants.v1`, `eventPublisher`) or a projection name (`tenants`: every version). */
  consumer?: string;
  streamId?: string;
}

export interface ParkOptions {
  /** Also mark the stream parked in this projection table's checkpoint (same transaction). */
  markStreamIn?: string;
  /**
   * Never replace a parked record that exists (its error and attempts are the real ones). With `markStreamIn`
   * the stream is marked all the same.
   */
  ifAbsent?: boolean;
  /**
   * Park only while the stream is marked parked in this projection table (same transaction): an event waiting
   * behind a parked one. Throws StreamNotParkedError when a re-drive unmarked it meanwhile.
   */
  whileMarkedIn?: string;
}

/** What a consumer parks: the event it failed on, if it decoded it, of which only a reference is kept. */
export type ParkRequest = Omit<ParkedEvent, 'parkedAt'> & { event?: EventEnvelope | undefined };

/** What is kept of a parked event: its reference (eventId), and its error with every e-mail shape masked. */
export function parkedRecord({ event, ...parked }: ParkRequest, parkedAt: string): ParkedEvent {
  const eventId = event?.eventId ?? parked.eventId;
  return { ...parked, ...(eventId ? { eventId } : {}), error: redactText(parked.error), parkedAt };
}

export interface ParkedEvents {
  /**
   * Counts one more failed attempt of this kind; returns how many of that kind so far. Poison and transient
   * failures are counted apart: only poison ones count toward the attempts that park an event, so a throttled
   * table never uses up an event's attempts (failure-policy.ts).
   */
  recordFailure(consumer: string, ref: EventRef, kind?: 'poison' | 'transient'): Promise<number>;
  /** False when `ifAbsent` found the event parked already. */
  park(parked: ParkRequest, options?: ParkOptions): Promise<boolean>;
  list(filter?: ParkedFilter): Promise<ParkedEvent[]>;
  remove(parked: Pick<ParkedEvent, 'consumer' | 'streamId' | 'version'>): Promise<void>;
}

export const matchesConsumer = (consumer: string, filter: string | undefined): boolean =>
  !filter || consumer === filter || consumer.startsWith(`${filter}.v`);

/** Thrown by a writer for a stream parked for a target: the event must park behind the first one. */
export class StreamParkedError extends Error {
  override readonly name = 'StreamParkedError';
  constructor(
    readonly streamId: string,
    readonly parkedFrom: number,
  ) {
    super(`stream ${streamId} is parked from version ${parkedFrom}`);
  }
}

/** A stream the consumer meant to park an event behind is no longer parked (re-driven): apply it instead. */
export class StreamNotParkedError extends Error {
  override readonly name = 'StreamNotParkedError';
  constructor(readonly streamId: string) {
    super(`stream ${streamId} is no longer parked`);
  }
}

export interface Metrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  milliseconds(name: string, value: number, dimensions?: Record<string, string>): void;
}
