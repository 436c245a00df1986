import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { DEFAULT_MAX_REQUEST_BYTES, entrySize } from './entry-size.js';

/** One EventBridge entry, as PutEvents takes it. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time?: Date;
  Resources?: string[];
}

/**
 * The published contract, version 1 (docs/events.md): source per bounded context, detail-type = event type,
 * and a detail that says which event it is (subscribers deduplicate on eventId: delivery is at least once).
 */
export interface IntegrationDetail {
  specVersion: '1';
  eventId: string;
  streamId: string;
  version: number;
  type: string;
  schemaVersion: number;
  occurredAt: string;
  tenantId: string | null;
  correlationId: string;
  causationId: string | null;
  actor: string;
  /** null when the event was too large for EventBridge: read it from the event store by streamId/version. */
  data: unknown;
  dataOmitted?: true;
}

export function toBusEntry(
  catalogue: EventCatalogue,
  busName: string,
  event: EventEnvelope,
  maxEntryBytes = DEFAULT_MAX_REQUEST_BYTES,
): BusEntry {
  const detail: IntegrationDetail = {
    specVersion: '1',
    eventId: event.eventId,
    streamId: event.streamId,
    version: event.version,
    type: event.type,
    schemaVersion: event.schemaVersion,
    occurredAt: event.occurredAt,
    tenantId: event.metadata.tenantId ?? null,
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId ?? null,
    actor: event.metadata.actor,
    data: event.data,
  };
  const entry: BusEntry = {
    Source: `bbws.${catalogue.definition(event.type).context}`,
    DetailType: event.type,
    Detail: JSON.stringify(detail),
    EventBusName: busName,
    Time: new Date(event.occurredAt),
  };
  // An entry over the limit goes out without its data (a claim check), never silently dropped.
  if (entrySize(entry) > maxEntryBytes)
    entry.Detail = JSON.stringify({ ...detail, data: null, dataOmitted: true });
  return entry;
}
