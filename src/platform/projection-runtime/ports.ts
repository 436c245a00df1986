import type { Projection } from '#src/platform/domain/projection.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';

/** A projection version and the table it writes. */
export interface ProjectionTarget {
  projection: Projection;
  tableName: string;
}

export type ApplyOutcome = 'applied' | 'duplicate';

/** Applies an event to a target exactly once (checkpoint per projection and stream, same transaction). */
export interface ProjectionWriter {
  apply(target: ProjectionTarget, event: EventEnvelope): Promise<ApplyOutcome>;
  /** The last version applied, and where the stream is parked (if it is). */
  checkpoint(target: ProjectionTarget, streamId: string): Promise<{ version: number; parkedFrom?: number }>;
  /** Clears the park mark once every parked event is applied again. */
  unpark(target: ProjectionTarget, streamId: string): Promise<void>;
}

export interface ParkedEvent {
  projection: string;
  version: number;
  streamId: string;
  event: EventEnvelope;
  error: string;
  attempts: number;
  parkedAt: string;
}

export interface ParkedEvents {
  /** Counts one more failed attempt; returns the total so far. */
  recordFailure(target: ProjectionTarget, event: EventEnvelope): Promise<number>;
  /** Parks the event and marks its stream parked for this target (later events wait behind it). */
  park(target: ProjectionTarget, event: EventEnvelope, error: string, attempts: number): Promise<void>;
  list(filter?: { projection?: string; streamId?: string }): Promise<ParkedEvent[]>;
  remove(parked: ParkedEvent): Promise<void>;
}

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
