import { handles } from '#src/platform/domain/projection.js';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import {
  ageOf,
  type ConsumedEvent,
  type ConsumedRecord,
  type Deadline,
  refOf,
  settledBy,
} from './consumed-records.js';
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

/** One stream's events of the batch, the index of the one under way, and whether the deadline took it over. */
interface StreamRun {
  pending: Pending[];
  next: number;
  done?: boolean;
  over: boolean;
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

  /**
   * Returns the sequence number of the first record to redeliver, or undefined when all are done. With a
   * deadline (the Lambda handler's), it stops at `deadline.stopAt` whatever it waits for: what is past the age
   * bound is parked, the rest reported.
   */
  async handle(
    records: readonly ConsumedRecord[],
    options: { deadline?: Deadline } = {},
  ): Promise<string | undefined> {
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
    const runs: StreamRun[] = [...byStream.values()].map((pending) => ({ pending, next: 0, over: false }));
    const failures: string[] = [];
    const state: { targets?: ProjectionTarget[] } = {};
    const work = this.runAll(runs, state, failures);
    const { deadline } = options;
    let cut = false;
    if (!deadline) await work;
    else if (!(await settledBy(work, deadline.stopAt))) {
      cut = true;
      failures.push(...(await this.atDeadline(runs, state.targets, deadline)));
    }
    // As the publisher counts: a batch the deadline cut short is not processed (what is left comes again).
    if (!cut)
      this.deps.metrics.count('RecordsProcessed', records.length, { consumer: 'projectionDispatcher' });
    const beat = this.beat();
    if (deadline) await settledBy(beat, deadline.returnBy);
    else await beat;
    return failures.sort(compareSequence)[0];
  }

  private async runAll(runs: StreamRun[], state: { targets?: ProjectionTarget[] }, failures: string[]) {
    const targets = await this.deps.targets();
    state.targets = targets;
    const workers = Math.max(1, this.deps.concurrency ?? 8);
    // After an outage-like failure, streams not started yet are not tried in this invocation: they would only
    // wait for the same throttled table (and a long invocation risks Lambda's timeout). They are redelivered.
    let outage = false;
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(workers, runs.length) }, async () => {
        for (let i = next++; i < runs.length; i = next++) {
          const run = runs[i] as StreamRun;
          const failed = outage
            ? { sequenceNumber: run.pending[0]?.sequenceNumber ?? '', outage }
            : await this.runStream(run, targets);
          if (run.over) return; // the deadline came: what is left of the invocation is not waited for
          run.done = true;
          if (failed === undefined) continue;
          failures.push(failed.sequenceNumber);
          outage ||= failed.outage;
        }
      }),
    );
  }

  /**
   * The deadline came: for each stream not finished, its events from the one under way on are parked while they
   * are past the age bound (for every projection of the stream: one that applied it already finds it a
   * duplicate on re-drive); the first one left is reported. Parking stops at `returnBy`.
   */
  private async atDeadline(
    runs: StreamRun[],
    targets: ProjectionTarget[] | undefined,
    deadline: Deadline,
  ): Promise<string[]> {
    const open = runs.filter((run) => !run.done);
    for (const run of open) run.over = true;
    const cursors = open.map((run) => ({ run, at: run.next }));
    const parking = Promise.all(
      cursors.map(async (cursor) => {
        for (; cursor.at < cursor.run.pending.length; cursor.at++) {
          const one = cursor.run.pending[cursor.at] as Pending;
          const ref = refOf(one.item);
          const event = 'event' in one.item ? one.item.event : undefined;
          const mine = (targets ?? []).filter((t) => handles(t.projection, ref.streamId));
          if (!targets || mine.length === 0) return;
          const parked = await Promise.all(
            mine.map((t) => this.failures.parkUnfinished(targetName(t), ref, event, one.ageMs)),
          );
          if (!parked.every(Boolean)) return;
        }
      }),
    );
    await settledBy(parking, deadline.returnBy);
    return cursors.flatMap(({ run, at }) => {
      const left = run.pending[at];
      return left ? [left.sequenceNumber] : [];
    });
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
    run: StreamRun,
    targets: ProjectionTarget[],
  ): Promise<{ sequenceNumber: string; outage: boolean } | undefined> {
    for (; run.next < run.pending.length && !run.over; run.next++) {
      const one = run.pending[run.next] as Pending;
      for (const target of targets) {
        if (!handles(target.projection, refOf(one.item).streamId)) continue;
        const outcome = await this.applyOne(target, one);
        if (run.over) return undefined;
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
