import { handles } from '#src/platform/domain/projection.js';
import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import { describeError, isTransient } from './failure-policy.js';
import {
  type ParkedEvents,
  type ProjectionTarget,
  type ProjectionWriter,
  StreamNotParkedError,
  StreamParkedError,
  targetName,
} from './ports.js';

/** A span of appends to re-deliver: from the on-failure message of Lambda, or given by an operator. */
export interface RecoveryWindow {
  since: Date;
  until: Date;
  /** The consumer whose records Lambda dropped, when the message names its function. */
  consumer?: 'projections' | 'eventPublisher';
}

/** Clocks of Lambda, DynamoDB and the writers differ a little: the window is widened by this much. */
export const WINDOW_MARGIN_MS = 5 * 60_000;

/**
 * The window of Lambda's on-failure message for a DynamoDB stream batch (SQS message body, or the output of
 * `aws sqs receive-message`): DDBStreamBatchInfo.approximateArrivalOfFirstRecord .. OfLastRecord, widened.
 */
export function failureWindows(message: unknown, marginMs = WINDOW_MARGIN_MS): RecoveryWindow[] {
  const bodies = messageBodies(message);
  return bodies.map((body) => {
    const info = (body as { DDBStreamBatchInfo?: Record<string, unknown> }).DDBStreamBatchInfo;
    const first = Date.parse(String(info?.approximateArrivalOfFirstRecord));
    const last = Date.parse(String(info?.approximateArrivalOfLastRecord));
    if (Number.isNaN(first) || Number.isNaN(last))
      throw new Error('not an on-failure message of a DynamoDB stream (no DDBStreamBatchInfo arrival times)');
    const fn = String(
      (body as { requestContext?: { functionArn?: unknown } }).requestContext?.functionArn ?? '',
    );
    const consumer = /eventPublisher$/.test(fn)
      ? 'eventPublisher'
      : /projectionDispatcher$/.test(fn)
        ? 'projections'
        : undefined;
    return {
      since: new Date(first - marginMs),
      until: new Date(last + marginMs),
      ...(consumer ? { consumer } : {}),
    };
  });
}

function messageBodies(message: unknown): unknown[] {
  if (Array.isArray(message)) return message.flatMap(messageBodies);
  const sqs = message as { Messages?: { Body?: string }[]; Body?: string };
  if (sqs?.Messages) return sqs.Messages.flatMap((m) => messageBodies(m));
  if (typeof sqs?.Body === 'string') return [JSON.parse(sqs.Body)];
  return [message];
}

export interface ReapplyReport {
  applied: number;
  duplicates: number;
  parked: number;
}

/**
 * `bbws recover` for the projections: applies every event appended in the window, read from the event table,
 * to every projection version the dispatcher feeds, through the checkpointed writer — what was applied already
 * is a no-op, what was missed is applied, and what fails is parked (as the dispatcher would).
 */
export async function reapplyWindow(
  deps: ReapplyDependencies,
  window: RecoveryWindow,
  onProgress: (report: ReapplyReport) => void = () => {},
): Promise<ReapplyReport> {
  const targets = await deps.targets();
  const report: ReapplyReport = { applied: 0, duplicates: 0, parked: 0 };
  for await (const batch of deps.store.readAll({
    categories: [...new Set(targets.flatMap((t) => t.projection.categories))],
    appendedSince: window.since,
  })) {
    const inWindow = batch.events.filter((e) => Date.parse(e.occurredAt) <= window.until.getTime());
    for (const event of inWindow) {
      for (const target of targets.filter((t) => handles(t.projection, event.streamId)))
        report[await reapplyOne(deps, target, event)]++;
    }
    onProgress(report);
  }
  return report;
}

interface ReapplyDependencies {
  store: Pick<EventStore, 'readAll'>;
  writer: ProjectionWriter;
  parked: ParkedEvents;
  targets: () => Promise<ProjectionTarget[]>;
}

async function reapplyOne(
  deps: ReapplyDependencies,
  target: ProjectionTarget,
  event: EventEnvelope,
): Promise<keyof ReapplyReport> {
  try {
    return (await deps.writer.apply(target, event)) === 'applied' ? 'applied' : 'duplicates';
  } catch (error) {
    const ref = {
      consumer: targetName(target),
      streamId: event.streamId,
      version: event.version,
      type: event.type,
    };
    // As the dispatcher does: an event of a stream parked for this projection waits behind the parked one, and
    // a parked record (its real error and attempts) is never replaced.
    if (error instanceof StreamParkedError) {
      await deps.parked
        .park(
          {
            ...ref,
            event,
            error: `waiting behind ${event.streamId}@${error.parkedFrom}`,
            attempts: 0,
            kind: 'waiting',
          },
          { ifAbsent: true, whileMarkedIn: target.tableName },
        )
        .catch((parking: unknown) => {
          // unparked by a re-drive meanwhile: the re-drive applies the stream up to its head
          if (!(parking instanceof StreamNotParkedError)) throw parking;
        });
      return 'parked';
    }
    const kind = isTransient(error) ? 'transient' : 'poison';
    await deps.parked.park(
      { ...ref, event, error: describeError(error), attempts: 1, kind },
      { ifAbsent: true, ...(kind === 'poison' ? { markStreamIn: target.tableName } : {}) },
    );
    return 'parked';
  }
}
