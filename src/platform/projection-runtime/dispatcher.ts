import { handles } from '#src/platform/domain/projection.js';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import { TransientStoreError } from '#src/platform/event-store/errors.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { targetName } from './dynamodb.parked-events.js';
import {
  type Metrics,
  type ParkedEvents,
  type ProjectionTarget,
  type ProjectionWriter,
  StreamParkedError,
} from './ports.js';

export interface DispatcherDependencies {
  writer: ProjectionWriter;
  parked: ParkedEvents;
  /** The projection versions to feed now: every active one, plus a shadow being rebuilt once it catches up. */
  targets: () => Promise<ProjectionTarget[]>;
  metrics: Metrics;
  clock: () => Date;
  /** Failed attempts before an event is parked. */
  maxAttempts: number;
  /** Streams processed at once; events of one stream are always applied in order. */
  concurrency?: number;
  /** Told, once per batch and target, the newest event applied and its lag (projection status). */
  heartbeat?: (target: ProjectionTarget, lastEventAt: string, lagMs: number) => Promise<void>;
}

interface Pending {
  sequenceNumber: string;
  event: EventEnvelope;
}

/**
 * Runs every projection over a batch of event-table stream records. Events of one stream are applied in order
 * (a record may hold several); different streams proceed independently. A failing event stops its stream for
 * this batch and is reported, so the stream consumer redelivers from there (duplicates are skipped by the
 * checkpoints). After `maxAttempts` failures the event is parked with its error and the stream's later events
 * park behind it for that projection; every other stream keeps flowing. Nothing is skipped silently.
 */
export class ProjectionDispatcher {
  constructor(private readonly deps: DispatcherDependencies) {}

  /** Returns the sequence number of the first record to redeliver, or undefined when all are done. */
  async handle(records: readonly EventRecord[]): Promise<string | undefined> {
    const targets = await this.deps.targets();
    const byStream = new Map<string, Pending[]>();
    for (const record of records) {
      for (const event of record.events) {
        const list = byStream.get(event.streamId) ?? [];
        list.push({ sequenceNumber: record.sequenceNumber, event });
        byStream.set(event.streamId, list);
      }
    }
    const failures: string[] = [];
    const streams = [...byStream.values()];
    const workers = Math.max(1, this.deps.concurrency ?? 8);
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(workers, streams.length) }, async () => {
        for (let i = next++; i < streams.length; i = next++) {
          const failed = await this.runStream(streams[i] as Pending[], targets);
          if (failed !== undefined) failures.push(failed);
        }
      }),
    );
    this.deps.metrics.count('RecordsProcessed', records.length);
    await this.beat();
    return failures.sort(compareSequence)[0];
  }

  private newest = new Map<ProjectionTarget, { at: string; lag: number }>();
  private lastBeat = 0;

  /** At most one heartbeat a second: status needs a recent figure, not one write per batch. */
  private async beat(): Promise<void> {
    const now = this.deps.clock().getTime();
    if (now - this.lastBeat < 1000) return;
    this.lastBeat = now;
    const beats = [...this.newest];
    this.newest.clear();
    await Promise.all(
      beats.map(([target, { at, lag }]) => this.deps.heartbeat?.(target, at, lag).catch(() => {})),
    );
  }

  private async runStream(pending: Pending[], targets: ProjectionTarget[]): Promise<string | undefined> {
    for (const { sequenceNumber, event } of pending) {
      for (const target of targets) {
        if (!handles(target.projection, event.streamId)) continue;
        if (!(await this.applyOne(target, event))) return sequenceNumber;
      }
    }
    return undefined;
  }

  /** True when the event is applied, a duplicate, or parked; false when it must be redelivered. */
  private async applyOne(target: ProjectionTarget, event: EventEnvelope): Promise<boolean> {
    const dimensions = { projection: targetName(target) };
    try {
      const outcome = await this.deps.writer.apply(target, event);
      if (outcome === 'applied') {
        const lag = this.deps.clock().getTime() - Date.parse(event.occurredAt);
        this.deps.metrics.milliseconds('ProjectionLag', lag, dimensions);
        const newest = this.newest.get(target);
        if (!newest || newest.at < event.occurredAt) this.newest.set(target, { at: event.occurredAt, lag });
      }
      return true;
    } catch (error) {
      if (error instanceof TransientStoreError) return false;
      if (error instanceof StreamParkedError) {
        await this.deps.parked.park(target, event, `waiting behind ${error.streamId}@${error.parkedFrom}`, 0);
        this.deps.metrics.count('ParkedEvents', 1, dimensions);
        return true;
      }
      const attempts = await this.deps.parked.recordFailure(target, event);
      if (attempts < this.deps.maxAttempts) return false;
      await this.deps.parked.park(target, event, describe(error), attempts);
      this.deps.metrics.count('ParkedEvents', 1, dimensions);
      return true;
    }
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}\n${error.stack ?? ''}` : String(error);
}

/** DynamoDB stream sequence numbers are decimal strings of varying length. */
export function compareSequence(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}
