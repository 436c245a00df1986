import type { ParkedEvent, ParkedEvents, ProjectionTarget, ProjectionWriter } from './ports.js';

export interface RedriveReport {
  applied: number;
  streams: number;
  /** the first event that failed again (it stays parked, with everything after it) */
  failed?: { streamId: string; version: number; error: string };
}

/**
 * Re-applies parked events after a fix, stream by stream and in version order: unpark the stream, apply each
 * parked event through the same checkpointed writer, remove it once applied. A failure stops that stream (its
 * events stay parked, the stream is parked again) and is reported.
 */
export async function redrive(
  deps: { writer: ProjectionWriter; parked: ParkedEvents; target: (projection: string) => ProjectionTarget },
  filter: { projection?: string; streamId?: string } = {},
  onProgress: (done: number, total: number) => void = () => {},
): Promise<RedriveReport> {
  const all = await deps.parked.list(filter);
  const groups = new Map<string, ParkedEvent[]>();
  for (const p of all)
    groups.set(`${p.projection}\u0000${p.streamId}`, [
      ...(groups.get(`${p.projection}\u0000${p.streamId}`) ?? []),
      p,
    ]);
  const report: RedriveReport = { applied: 0, streams: groups.size };
  let done = 0;
  for (const events of groups.values()) {
    const first = events[0] as ParkedEvent;
    const target = deps.target(first.projection);
    await deps.writer.unpark(target, first.streamId);
    for (const parked of events) {
      try {
        await deps.writer.apply(target, parked.event);
      } catch (error) {
        await deps.parked.park(target, parked.event, String(error), parked.attempts);
        report.failed ??= { streamId: parked.streamId, version: parked.version, error: String(error) };
        break;
      }
      await deps.parked.remove(parked);
      report.applied++;
      onProgress(++done, all.length);
    }
  }
  return report;
}
