import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';

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
  reads(event: EventEnvelope): RowKey[];
  apply(rows: Rows, event: EventEnvelope): RowChange[];
}

export const rowId = (key: RowKey): string => `${key.PK}\u0000${key.SK}`;

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
