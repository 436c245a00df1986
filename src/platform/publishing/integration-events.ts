import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { occurrencesOf } from '#src/platform/event-store/personal-fields.js';
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
  /**
   * The event's data with every personal value in its sealed form (`{"$pd":1,"s":<subject id>,"k","c"}`, as the
   * event table stores it), never in plain; a consumer that needs a value reads the event from the store. null
   * when the event was too large for EventBridge: read it from the event store by streamId/version.
   */
  data: unknown;
  dataOmitted?: true;
}

/**
 * An event's data as it leaves the event table (EventBridge, the consumer kit): every value of a personal field
 * of its current schema replaced by the sealed form stored there (`event.subjects`), or by `{"$pd":1}` alone where
 * none is at hand (an upcaster moved the field). Never the plaintext: erasing the person leaves nothing readable
 * in what was sent.
 */
export function publishedData(catalogue: EventCatalogue, event: EventEnvelope): unknown {
  const specs = catalogue.personalSpecs(event.type, event.schemaVersion);
  if (specs.length === 0) return event.data;
  const data = structuredClone(event.data);
  const stored = new Map((event.subjects ?? []).map((field) => [field.path, field]));
  for (const spec of specs) {
    for (const occurrence of occurrencesOf(data, spec.segments)) {
      const field = stored.get(occurrence.path);
      occurrence.holder[occurrence.key] =
        field?.sealed ?? (field ? { $pd: 1, s: field.subjectId } : { $pd: 1 });
    }
  }
  return data;
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
    data: publishedData(catalogue, event),
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
