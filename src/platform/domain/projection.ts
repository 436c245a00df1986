import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import type { DomainEvent } from './decider.js';
import type { Envelope } from './events.js';

/** Read-model rows use the design document's PK/SK keys. */
export interface RowKey {
  PK: string;
  SK: string;
}
export type Row = RowKey & Record<string, unknown>;
export type RowChange = { put: Row } | { delete: RowKey };
export type Rows = ReadonlyMap<string, Row>;

/**
 * A projection is pure: given the rows an event reads (by key) and the event, it returns row changes. Rows
 * belong to one stream (a tenant's rows all derive from its own stream), which lets a rebuild fold a stream in
 * memory and lets the shared writer make every application idempotent with a per-stream checkpoint.
 */
export interface Projection {
  readonly name: string;
  readonly version: number;
  /** The logical id of this version's table, declared in its context's index.ts. */
  readonly table: string;
  /** Stream categories it reads (`tenant` for `tenant-...`). */
  readonly categories: readonly string[];
  /**
   * The rows `apply` needs. Given the rows read so far, it may name more (an erasure marker needs the member rows
   * its audit rows name): the writer reads until it names no row it has not read, at most {@link READ_ROUNDS} times.
   */
  reads(event: EventEnvelope, rows?: Rows): RowKey[];
  apply(rows: Rows, event: EventEnvelope): RowChange[];
}

export const rowId = (key: RowKey): string => `${key.PK}\u0000${key.SK}`;

/** How many rounds of reads one event may take (Projection.reads). */
export const READ_ROUNDS = 3;

/** Applies changes to an in-memory row set: what the writer does in DynamoDB, for rebuilds and tests. */
export function applyChanges(rows: Map<string, Row>, changes: readonly RowChange[]): void {
  for (const change of changes) {
    if ('put' in change) rows.set(rowId(change.put), change.put);
    else rows.delete(rowId(change.delete));
  }
}

export function handles(projection: Projection, streamId: string): boolean {
  return projection.categories.some((category) => streamId.startsWith(`${category}-`));
}

/** A projection written against one context's event union: `apply` switches on `type` and `data` follows. */
export interface TypedProjection<E extends DomainEvent> extends Omit<Projection, 'reads' | 'apply'> {
  reads(event: Envelope<E>, rows?: Rows): RowKey[];
  apply(rows: Rows, event: Envelope<E>): RowChange[];
}

/**
 * A Projection typed by its context's events (`defineEvents(...)`). The runtime hands a projection only events of
 * its categories, which only that context's decider writes and the catalogue validated; an event of any other
 * type is a bug, so it throws (and parks) rather than being skipped in silence.
 */
export function projectionOf<E extends DomainEvent>(
  events: { has(event: EventEnvelope): event is Envelope<E> },
  spec: TypedProjection<E>,
): Projection {
  const typed = (event: EventEnvelope): Envelope<E> => {
    if (events.has(event)) return event;
    throw new TypeError(`projection ${spec.name} v${spec.version} does not know event type ${event.type}`);
  };
  return {
    name: spec.name,
    version: spec.version,
    table: spec.table,
    categories: spec.categories,
    reads: (event, rows) => spec.reads(typed(event), rows),
    apply: (rows, event) => spec.apply(rows, typed(event)),
  };
}
