import { handles } from '#src/platform/domain/projection.js';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import { ageOf, type ConsumedEvent, type ConsumedRecord, refOf } from './consumed-records.js';
import { FailureHandler } from './failure-handler.js';
import type { FailurePolicy } from './failure-policy.js';
import {
  type Metrics,
  type ParkedEvents,
  type ProjectionTarget,
  type ProjectionWriter,
  StreamParkedError,
  targetName,
} from './ports.js';

export interface DispatcherDependencies {
  writer: ProjectionWriter;
  parked: ParkedEvents;
  /** The projection versions to feed now: every active one, plus a shadow being rebuilt once it catches up. */
  targets: () => Promise<ProjectionTarget[]>;
  metrics: Metrics;
  clock: () => Date;
  /** When an event is parked instead of retried (docs/operations.md states the bound). */
  policy: FailurePolicy;
  /** Streams processed at once; events of one stream are always applied in order. */
  concurrency?: number;
  /** Told, once per batch and target, the newest event applied and its lag (projection status). */
  heartbeat?: (target: ProjectionTarget, lastEventAt: string, lagMs: number) => Promise<void>;
  log?: (message: string, data: Record<string, unknown>) => void;
}

interface Pending {
  sequenceNumber: string;
  item: ConsumedEvent;
  ageMs: number;
}

/**
 * Runs every projection over a batch of event-table stream records. Events of one stream are applied in order
 * (a record may hold several); different streams proceed independently. A failing event stops its stream for
 * this batch and is reported, so the stream consumer redelivers from there (duplicates are skipped by the
 * checkpoints). What keeps failing is parked under the failure policy — a poison event with its stream's later
 * events behind it for that projection — and every other stream keeps flowing. Nothing is skipped silently.
 */
export class ProjectionDispatcher {
  private readonly failures: FailureHandler;

  constructor(private readonly deps: DispatcherDependencies) {
    this.failures = new FailureHandler({
      parked: deps.parked,
      metrics: deps.metrics,
      policy: deps.policy,
      ...(deps.log ? { log: deps.log } : {}),
    });
  }

  /** Returns the sequence number of the first record to redeliver, or undefined when all are done. */
  async handle(records: readonly ConsumedRecord[]): Promise<string | undefined> {
    const targets = await this.deps.targets();
    const now = this.deps.clock().getTime();
    const byStream = new Map<string, Pending[]>();
    for (const record of records) {
      const ageMs = ageOf(record, now);
      for (const item of record.events) {
        const streamId = refOf(item).streamId;
        const list = byStream.get(streamId) ?? [];
        list.push({ sequenceNumber: record.sequenceNumber, item, ageMs });
        byStream.set(streamId, list);
      }
    }
    const failures: string[] = [];
    const streams = [...byStream.values()];
    const workers = Math.max(1, this.deps.concurrency ?? 8);
    // After an outage-like failure, streams not started yet are not tried in this invocation: they would only
    // wait for the same throttled table (and a long invocation risks Lambda's timeout). They are redelivered.
    let outage = false;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(workers, streams.length) }, async () => {
        for (let i = next++; i < streams.length; i = next++) {
          const stream = streams[i] as Pending[];
          const failed = outage
            ? { sequenceNumber: stream[0]?.sequenceNumber ?? '', outage }
            : await this.runStream(stream, targets);
          if (failed === undefined) continue;
          failures.push(failed.sequenceNumber);
          outage ||= failed.outage;
        }
      }),
    );
    this.deps.metrics.count('RecordsProcessed', records.length, { consumer: 'projectionDispatcher' });
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

  private async runStream(
    pending: Pending[],
    targets: ProjectionTarget[],
  ): Promise<{ sequenceNumber: string; outage: boolean } | undefined> {
    for (const one of pending) {
      for (const target of targets) {
        if (!handles(target.projection, refOf(one.item).streamId)) continue;
        const outcome = await this.applyOne(target, one);
        if (outcome !== 'done') return { sequenceNumber: one.sequenceNumber, outage: outcome === 'outage' };
      }
    }
    return undefined;
  }

  /** done: applied, a duplicate, or parked; retry/outage: the record must be redelivered. */
  private async applyOne(
    target: ProjectionTarget,
    { item, ageMs }: Pending,
  ): Promise<'done' | 'retry' | 'outage'> {
    const consumer = targetName(target);
    const failure = { consumer, ref: refOf(item), ageMs, markStreamIn: target.tableName };
    if ('undecodable' in item) return settled(await this.failures.handle({ ...failure, error: item.error }));
    const { event } = item;
    try {
      const outcome = await this.deps.writer.apply(target, event);
      if (outcome === 'applied') this.observeLag(target, event.occurredAt);
      return 'done';
    } catch (error) {
      if (error instanceof StreamParkedError)
        return settled(await this.failures.parkBehind(consumer, event, error.parkedFrom, target.tableName));
      return settled(await this.failures.handle({ ...failure, event, error }));
    }
  }

  private observeLag(target: ProjectionTarget, occurredAt: string): void {
    const lag = this.deps.clock().getTime() - Date.parse(occurredAt);
    this.deps.metrics.milliseconds('ProjectionLag', lag, { consumer: targetName(target) });
    const newest = this.newest.get(target);
    if (!newest || newest.at < occurredAt) this.newest.set(target, { at: occurredAt, lag });
  }
}

const settled = (outcome: 'retry' | 'outage' | 'parked') => (outcome === 'parked' ? 'done' : outcome);

/** DynamoDB stream sequence numbers are decimal strings of varying length. */
export function compareSequence(a: string, b: string): number {
  return a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
}

/** Records decoded without their stream metadata (tests, scripts): no creation time, every event decoded. */
export const fromEventRecords = (records: readonly EventRecord[]): ConsumedRecord[] =>
  records.map((r) => ({
    sequenceNumber: r.sequenceNumber,
    arrivedAt: undefined,
    events: r.events.map((event) => ({ event })),
  }));
