import type { RetryPolicy } from '#src/platform/command/retry.js';
import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import { describeError } from '#src/platform/projection-runtime/failure-policy.js';
import type { ParkedEvent, ParkedEvents, ParkedFilter } from '#src/platform/projection-runtime/ports.js';
import { matchesConsumer } from '#src/platform/projection-runtime/ports.js';
import { toBusEntry } from './integration-events.js';
import { type EventBus, PublishError, publish } from './publisher.js';
import { PUBLISHER } from './record-publisher.js';

export interface RepublishDependencies {
  store: Pick<EventStore, 'readStream' | 'readAll'>;
  parked: ParkedEvents;
  bus: EventBus;
  busName: string;
  catalogue: EventCatalogue;
  retry: RetryPolicy;
  maxRequestBytes: number;
}

export interface RepublishReport {
  published: number;
  /** events still not accepted (re-drive: they stay parked, with the new error) */
  failed: { streamId: string; version: number; error: string }[];
}

/**
 * Re-publishes the publisher's parked events, read again from the event store (a fixed upcaster or catalogue
 * takes effect), and removes each one EventBridge accepts. Idempotent for subscribers: they deduplicate on
 * eventId. What still fails stays parked with its new error.
 */
export async function redrivePublisher(
  deps: RepublishDependencies,
  filter: ParkedFilter = {},
  onProgress: (done: number, total: number) => void = () => {},
): Promise<RepublishReport> {
  if (!matchesConsumer(PUBLISHER, filter.consumer)) return { published: 0, failed: [] };
  const parked = await deps.parked.list({ ...filter, consumer: PUBLISHER });
  const report: RepublishReport = { published: 0, failed: [] };
  for (const [i, p] of parked.entries()) {
    const error = await republishOne(deps, p);
    if (error === undefined) {
      await deps.parked.remove(p);
      report.published++;
    } else {
      await deps.parked.park({ ...p, error, attempts: p.attempts + 1 });
      report.failed.push({ streamId: p.streamId, version: p.version, error: error.split('\n')[0] ?? '' });
    }
    onProgress(i + 1, parked.length);
  }
  return report;
}

async function republishOne(deps: RepublishDependencies, parked: ParkedEvent): Promise<string | undefined> {
  try {
    const [event] = await deps.store.readStream(parked.streamId, parked.version);
    if (event?.version !== parked.version)
      throw new Error(`${parked.streamId}@${parked.version} is not in the event store`);
    return (await publishEvents(deps, [event]))[0]?.error;
  } catch (error) {
    return describeError(error);
  }
}

/** Publishes events; returns the ones not accepted with their errors. */
async function publishEvents(
  deps: Pick<RepublishDependencies, 'bus' | 'busName' | 'catalogue' | 'retry' | 'maxRequestBytes'>,
  events: readonly EventEnvelope[],
): Promise<{ event: EventEnvelope; error: string }[]> {
  const entries = events.map((e) => toBusEntry(deps.catalogue, deps.busName, e, deps.maxRequestBytes));
  const refused = await publish(deps.bus, entries, {
    maxRequestBytes: deps.maxRequestBytes,
    retry: deps.retry,
  });
  return refused.map((f) => ({
    event: events[f.index] as EventEnvelope,
    error: describeError(new PublishError(f.errorCode, f.message)),
  }));
}

/**
 * `bbws recover` for the publisher: re-publishes every event appended in a time window, read from the event
 * table (commit items carry the time they were written). For records Lambda dropped after its retries
 * (its on-failure message names the window); subscribers deduplicate on eventId.
 */
export async function republishWindow(
  deps: RepublishDependencies,
  window: { since: Date; until: Date },
  onProgress: (published: number) => void = () => {},
): Promise<RepublishReport> {
  const report: RepublishReport = { published: 0, failed: [] };
  for await (const batch of deps.store.readAll({ appendedSince: window.since })) {
    const events = batch.events.filter((e) => Date.parse(e.occurredAt) <= window.until.getTime());
    const failed = await publishEvents(deps, events);
    report.published += events.length - failed.length;
    report.failed.push(
      ...failed.map((f) => ({ streamId: f.event.streamId, version: f.event.version, error: f.error })),
    );
    onProgress(report.published);
  }
  return report;
}
