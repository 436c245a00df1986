import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import { describeError, isTransient } from './failure-policy.js';
import type { ParkedEvent, ParkedEvents, ParkedFilter, ProjectionTarget, ProjectionWriter } from './ports.js';

export interface RedriveReport {
  applied: number;
  streams: number;
  /** the first event that failed again (it stays parked, with everything after it) */
  failed?: { consumer: string; streamId: string; version: number; error: string };
}

export interface RedriveDependencies {
  writer: ProjectionWriter;
  parked: ParkedEvents;
  /** Parked events are read again from here: a fixed upcaster or projection takes effect. */
  store: Pick<EventStore, 'readStream'>;
  /** `tenants.v1` -> its target */
  target: (consumer: string) => ProjectionTarget;
}

/** Projection consumers are `<name>.v<version>`; the publisher's parked events are re-driven elsewhere. */
export const isProjectionConsumer = (consumer: string): boolean => /\.v\d+$/.test(consumer);

/**
 * Re-applies parked events after a fix, stream by stream and in version order: unpark the stream, read its
 * events again from the event store (never the copy saved at parking time), apply each parked one through the
 * same checkpointed writer, remove it once applied. A failure stops that stream (its events stay parked, the
 * stream is parked again) and is reported. Safe next to the live dispatcher: the checkpoints make every
 * application happen once.
 */
export async function redrive(
  deps: RedriveDependencies,
  filter: ParkedFilter = {},
  onProgress: (done: number, total: number) => void = () => {},
): Promise<RedriveReport> {
  const all = (await deps.parked.list(filter)).filter((p) => isProjectionConsumer(p.consumer));
  const groups = new Map<string, ParkedEvent[]>();
  for (const p of all) {
    const key = `${p.consumer}\u0000${p.streamId}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  const report: RedriveReport = { applied: 0, streams: groups.size };
  let done = 0;
  for (const events of groups.values()) {
    const applied = await redriveStream(deps, events, report);
    report.applied += applied;
    done += applied;
    onProgress(done, all.length);
  }
  return report;
}

/** Returns how many of the stream's parked events were applied. */
async function redriveStream(deps: RedriveDependencies, events: ParkedEvent[], report: RedriveReport) {
  const first = events[0] as ParkedEvent;
  const target = deps.target(first.consumer);
  let applied = 0;
  let current: ParkedEvent = first;
  let stored: EventEnvelope | undefined;
  try {
    await deps.writer.unpark(target, first.streamId);
    const fromStore = new Map(
      (await deps.store.readStream(first.streamId, first.version)).map((e) => [e.version, e]),
    );
    for (const parked of events) {
      current = parked;
      stored = fromStore.get(parked.version);
      if (!stored) throw new Error(`${parked.streamId}@${parked.version} is not in the event store`);
      await deps.writer.apply(target, stored);
      await deps.parked.remove(parked);
      applied++;
    }
  } catch (error) {
    const kind = isTransient(error) ? 'transient' : 'poison';
    await deps.parked.park(
      {
        ...current,
        event: stored,
        error: describeError(error),
        attempts: current.attempts + 1,
        kind,
      },
      kind === 'poison' ? { markStreamIn: target.tableName } : {},
    );
    report.failed ??= {
      consumer: current.consumer,
      streamId: current.streamId,
      version: current.version,
      error: describeError(error).split('\n')[0] ?? '',
    };
  }
  return applied;
}
