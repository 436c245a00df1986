import { PERSONAL_DATA_ERASED, PersonalDataErased } from '#src/platform/domain/personal-data.js';
import type { Projection, Row, RowChange, RowKey } from '#src/platform/domain/projection.js';
import { rowId } from '#src/platform/domain/projection.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';

/** The index's projection name and table (the registry says which version readers use). */
export const DATA_SUBJECTS = 'data-subjects';
export const DATA_SUBJECTS_V1_TABLE = 'DataSubjectsV1Table';

/**
 * The index of data subjects: one row per (stream, subject) whose personal values the stream holds, erased or
 * not. It holds no plaintext beyond the keyed hash that is the subject id. Rows are owned by the stream that
 * mentions the subject (PK), so the projection stays per stream like every other and rebuilds the same way;
 * GSI1 finds a subject's streams.
 *
 * | row | PK | SK | GSI1 (PK / SK) |
 * | mention | STREAM#{streamId} | SUBJECT#{subjectId} | SUBJECT#{subjectId} / {streamId} |
 */
export const mentionKey = (streamId: string, subjectId: string): RowKey => ({
  PK: `STREAM#${streamId}`,
  SK: `SUBJECT#${subjectId}`,
});
export const subjectIndexKey = (subjectId: string): string => `SUBJECT#${subjectId}`;

/** The subjects an event names: those of its personal values, and the one an erasure marker is about. */
function subjectsOf(event: EventEnvelope): string[] {
  const ids = new Set((event.subjects ?? []).map((field) => field.subjectId));
  const marker = erasureOf(event);
  if (marker) ids.add(marker.subjectId);
  return [...ids];
}

function erasureOf(event: EventEnvelope) {
  if (event.type !== PERSONAL_DATA_ERASED) return undefined;
  const parsed = PersonalDataErased.safeParse(event.data);
  if (!parsed.success)
    throw new TypeError(`${event.streamId}@${event.version}: not a ${PERSONAL_DATA_ERASED}`);
  return parsed.data;
}

/**
 * Version 1 over the given stream categories (every aggregate's but the data subjects' own): the categories of
 * contexts added later join it without a new version, since their streams are new.
 */
export function dataSubjectsV1(categories: readonly string[]): Projection {
  return {
    name: DATA_SUBJECTS,
    version: 1,
    table: DATA_SUBJECTS_V1_TABLE,
    categories,
    reads: (event) => subjectsOf(event).map((subjectId) => mentionKey(event.streamId, subjectId)),
    apply(rows, event): RowChange[] {
      const erasure = erasureOf(event);
      return subjectsOf(event).map((subjectId) => {
        const key = mentionKey(event.streamId, subjectId);
        const before = rows.get(rowId(key));
        const row: Row = {
          ...key,
          GSI1PK: subjectIndexKey(subjectId),
          GSI1SK: event.streamId,
          streamId: event.streamId,
          subjectId,
          firstVersion: before?.firstVersion ?? event.version,
          lastVersion: event.version,
        };
        if (erasure?.subjectId === subjectId) {
          Object.assign(row, { erasureId: erasure.erasureId, erasedAt: erasure.erasedAt });
        } else if (before?.erasureId !== undefined) {
          Object.assign(row, { erasureId: before.erasureId, erasedAt: before.erasedAt });
        }
        return { put: row };
      });
    },
  };
}
