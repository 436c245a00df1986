import type { Projection } from '#src/platform/domain/projection.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
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
  /** The whole event as the consumer saw it; absent when it could not be decoded. Re-drives read the store. */
  event?: EventEnvelope;
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
  /** Never replace a parked record that exists (its error and attempts are the real ones). */
  ifAbsent?: boolean;
}

export interface ParkedEvents {
  /** Counts one more failed attempt; returns the total so far. */
  recordFailure(consumer: string, ref: EventRef): Promise<number>;
  /** False when `ifAbsent` found the event parked already. */
  park(parked: Omit<ParkedEvent, 'parkedAt'>, options?: ParkOptions): Promise<boolean>;
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

export interface Metrics {
  count(name: string, value?: number, dimensions?: Record<string, string>): void;
  milliseconds(name: string, value: number, dimensions?: Record<string, string>): void;
}
