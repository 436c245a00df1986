import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import { describeError, isTransient } from './failure-policy.js';
import type { ParkedEvent, ParkedEvents, ParkedFilter, ProjectionTarget, ProjectionWriter } from './ports.js';

export interface RedriveFailure {
  consumer: string;
  streamId: string;
  version: number;
  error: string;
}

export interface RedriveReport {
  applied: number;
  streams: number;
  /** the first event that failed again (it stays parked, with everything after it) */
  failed?: RedriveFailure;
  /** every stream that failed again, or whose projection version this code does not have */
  failures: RedriveFailure[];
  /** parked records still there once the re-drive is done (each failure's, and what waits behind it) */
  remaining: number;
}

export interface RedriveDependencies {
  writer: ProjectionWriter;
  parked: ParkedEvents;
  /** Parked events are read again from here: a fixed upcaster or projection takes effect. */
  store: Pick<EventStore, 'readStream'>;
  /** `tenants.v1` -> its target; throws for a version this code does not have (dropped and removed) */
  target: (consumer: string) => ProjectionTarget;
}

/** Projection consumers are `<name>.v<version>`; the publisher's parked events are re-driven elsewhere. */
export const isProjectionConsumer = (consumer: string): boolean => /\.v\d+$/.test(consumer);

/** Rounds of "apply up to the head" after the parked events: each reads the stream again from the checkpoint. */
const HEAD_ROUNDS = 5;

/**
 * Re-applies parked events after a fix, stream by stream and in version order: unpark the stream, read its
 * events again from the event store (never a copy saved at parking time), apply each parked one through the same
 * checkpointed writer, then every later event up to the stream's head (what the live dispatcher parked behind
 * it meanwhile, or what it never got), and finally remove every parked record of the stream at or below the
 * checkpoint. A failure stops that stream (the event is parked again, the stream marked again for a poison one)
 * and is reported, as is a consumer whose projection version this code does not have; either way the other
 * streams go on. Safe next to the live dispatcher: the checkpoints make every application happen once, and the
 * dispatcher parks an event behind a stream only while the stream is marked (the same transaction), so nothing
 * is left waiting behind a stream this re-drive unmarked.
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
  const report: RedriveReport = { applied: 0, streams: groups.size, failures: [], remaining: 0 };
  let done = 0;
  for (const events of groups.values()) {
    const applied = await redriveStream(deps, events, report);
    report.applied += applied;
    done += events.length;
    onProgress(done, all.length);
  }
  report.failed = report.failures[0];
  if (!report.failed) delete report.failed;
  return report;
}

/** Returns how many events were applied (the parked ones, and those after them it applied up to the head). */
async function redriveStream(deps: RedriveDependencies, events: ParkedEvent[], report: RedriveReport) {
  const first = events[0] as ParkedEvent;
  const fail = (version: number, error: unknown) =>
    report.failures.push({
      consumer: first.consumer,
      streamId: first.streamId,
      version,
      error: describeError(error).split('\n')[0] ?? '',
    });
  let target: ProjectionTarget;
  try {
    target = deps.target(first.consumer);
  } catch (error) {
    const hint = `npm run bbws -- parked discard --consumer ${first.consumer}`;
    fail(
      first.version,
      `${describeError(error).split('\n')[0]} (a dropped version's parked events: ${hint})`,
    );
    report.remaining += events.length;
    return 0;
  }
  const at: Cursor = { current: first, applied: 0 };
  try {
    await applyThroughHead(deps, target, events, at);
  } catch (error) {
    const kind = isTransient(error) ? 'transient' : 'poison';
    await deps.parked.park(
      {
        consumer: first.consumer,
        streamId: first.streamId,
        version: at.current.version,
        type: at.current.type,
        event: at.stored,
        error: describeError(error),
        attempts: at.current.attempts + 1,
        kind,
      },
      kind === 'poison' ? { markStreamIn: target.tableName } : {},
    );
    fail(at.current.version, error);
  }
  report.remaining += await removeApplied(deps, target, first);
  return at.applied;
}

/** Where a stream's re-drive is: the event being applied (read again from the store) and how many were. */
interface Cursor {
  current: Pick<ParkedEvent, 'version' | 'type' | 'attempts'>;
  stored?: EventEnvelope | undefined;
  applied: number;
}

/** Unparks the stream and applies its parked events, then every later one up to its head, in order. */
async function applyThroughHead(
  deps: RedriveDependencies,
  target: ProjectionTarget,
  events: ParkedEvent[],
  at: Cursor,
): Promise<void> {
  const { streamId, version: from } = events[0] as ParkedEvent;
  await deps.writer.unpark(target, streamId);
  const fromStore = new Map((await deps.store.readStream(streamId, from)).map((e) => [e.version, e]));
  for (const parked of events) {
    at.current = parked;
    at.stored = fromStore.get(parked.version);
    if (!at.stored) throw new Error(`${streamId}@${parked.version} is not in the event store`);
    await deps.writer.apply(target, at.stored); // applied now, or caught up already by a later event
    at.applied++;
  }
  for (let round = 0; round < HEAD_ROUNDS; round++) {
    const { version } = await deps.writer.checkpoint(target, streamId);
    const later = await deps.store.readStream(streamId, version + 1);
    if (later.length === 0) return;
    for (const event of later) {
      const parked = events.find((p) => p.version === event.version);
      at.current = { version: event.version, type: event.type, attempts: parked?.attempts ?? 0 };
      at.stored = event;
      if ((await deps.writer.apply(target, event)) === 'applied') at.applied++;
    }
  }
}

/** Removes the stream's parked records at or below its checkpoint (applied); returns how many are left. */
async function removeApplied(deps: RedriveDependencies, target: ProjectionTarget, first: ParkedEvent) {
  const { version } = await deps.writer.checkpoint(target, first.streamId);
  const left = (await deps.parked.list({ consumer: first.consumer, streamId: first.streamId })).filter(
    (p) => p.consumer === first.consumer,
  );
  for (const p of left.filter((p) => p.version <= version)) await deps.parked.remove(p);
  return left.filter((p) => p.version > version).length;
}
