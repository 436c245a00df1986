import type { EventRef } from './consumed-records.js';
import {
  matchesConsumer,
  type ParkedEvent,
  type ParkedEvents,
  type ParkedFilter,
  type ParkOptions,
  type ParkRequest,
  parkedRecord,
} from './ports.js';

/**
 * The parked-events port in memory: what the DynamoDB table keeps, minus the stream mark (a projection's
 * checkpoint lives in its own table; unit tests of the publisher never mark streams).
 */
export class InMemoryParkedEvents implements ParkedEvents {
  private readonly attempts = new Map<string, number>();
  private readonly parked = new Map<string, ParkedEvent>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async recordFailure(
    consumer: string,
    ref: EventRef,
    kind: 'poison' | 'transient' = 'poison',
  ): Promise<number> {
    const key = `${consumer}#${ref.streamId}#${ref.version}#${kind}`;
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempts);
    return attempts;
  }

  async park(parked: ParkRequest, options: ParkOptions = {}): Promise<boolean> {
    if (options.markStreamIn || options.whileMarkedIn)
      throw new Error('InMemoryParkedEvents cannot mark a projection stream');
    const key = `${parked.consumer}#${parked.streamId}#${parked.version}`;
    if (options.ifAbsent && this.parked.has(key)) return false;
    this.parked.set(key, parkedRecord(parked, this.now().toISOString()));
    return true;
  }

  async list(filter: ParkedFilter = {}): Promise<ParkedEvent[]> {
    return [...this.parked.values()]
      .filter((p) => matchesConsumer(p.consumer, filter.consumer))
      .filter((p) => !filter.streamId || p.streamId === filter.streamId)
      .sort(
        (a, b) =>
          a.consumer.localeCompare(b.consumer) ||
          a.streamId.localeCompare(b.streamId) ||
          a.version - b.version,
      );
  }

  async remove(parked: Pick<ParkedEvent, 'consumer' | 'streamId' | 'version'>): Promise<void> {
    const key = `${parked.consumer}#${parked.streamId}#${parked.version}`;
    this.parked.delete(key);
    this.attempts.delete(`${key}#poison`);
    this.attempts.delete(`${key}#transient`);
  }
}
