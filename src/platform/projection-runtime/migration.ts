import type { Projection, Row } from '#src/platform/domain/projection.js';

/**
 * A read-model schema change: the next version of a projection is the previous one with `migrateRow` applied
 * to every row it writes, into a new table (declared in its context's index.ts). A rebuild fills that table from
 * the event table; `projections switch` makes it active. Numbered: applied in order, never edited once shipped.
 */
export interface ReadModelMigration {
  id: string;
  projection: string;
  from: number;
  to: number;
  /** logical id of the new version's table */
  table: string;
  description: string;
  migrateRow(row: Row): Row;
}

export function migrate(base: Projection, migration: ReadModelMigration): Projection {
  if (base.name !== migration.projection || base.version !== migration.from) {
    throw new Error(
      `migration ${migration.id} goes from ${migration.projection} v${migration.from}, not ${base.name} v${base.version}`,
    );
  }
  return {
    ...base,
    version: migration.to,
    table: migration.table,
    apply: (rows, event) =>
      base
        .apply(rows, event)
        .map((change) => ('put' in change ? { put: migration.migrateRow(change.put) } : change)),
  };
}
