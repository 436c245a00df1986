import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';

/** One EventBridge entry, as PutEvents takes it. */
export interface BusEntry {
  Source: string;
  DetailType: string;
  Detail: string;
  EventBusName: string;
  Time: Date;
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

export const MAX_ENTRY_BYTES = 256 * 1024;

export function toBusEntry(catalogue: EventCatalogue, busName: string, event: EventEnvelope): BusEntry {
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
  const source = `bbws.${catalogue.definition(event.type).context}`;
  let json = JSON.stringify(detail);
  // EventBridge counts Source, DetailType, Detail and Resources against 256 KB: an oversized event goes out
  // without its data (a claim check), never silently dropped.
  if (Buffer.byteLength(json) + source.length + event.type.length > MAX_ENTRY_BYTES) {
    json = JSON.stringify({ ...detail, data: null, dataOmitted: true });
  }
  return {
    Source: source,
    DetailType: event.type,
    Detail: json,
    EventBusName: busName,
    Time: new Date(event.occurredAt),
  };
}
