import type { z } from 'zod';
import {
  type ErasedFieldRef,
  type PersonalDataErasedEvent,
  valueAtPath,
} from '#src/platform/domain/personal-data.js';
import type { Row, RowChange, RowKey, Rows } from '#src/platform/domain/projection.js';
import { rowId } from '#src/platform/domain/projection.js';

/**
 * What PERSONAL_DATA_ERASED does to bbws-tenants: every copy of the erased person's values in the tenant's rows
 * becomes the placeholder the store now reads in the events they came from, so the rows equal a rebuild's. The
 * marker lists those events (`fields`); their audit rows (read first) hold the values as the projection saw them,
 * and name the member rows (read second) a USER_ASSIGNED wrote. A value is the person's when it is one of those,
 * compared as the store identifies people (e-mail trimmed and lower-cased): one e-mail is one data subject.
 */
type Erased = PersonalDataErasedEvent['data'];
type FieldRef = z.infer<typeof ErasedFieldRef>;

export const auditKey = (pk: string, occurredAt: string, eventId: string): RowKey => ({
  PK: pk,
  SK: `EVENT#${occurredAt}#${eventId}`,
});
const memberKey = (pk: string, userId: string): RowKey => ({ PK: pk, SK: `USER#${userId}` });

/** Phase one: the audit rows of the events holding the person's values; phase two: the members they assigned. */
export function erasureReads(pk: string, erased: Erased, rows: Rows | undefined): RowKey[] {
  const audits = erased.fields.map((f) => auditKey(pk, f.occurredAt, f.eventId));
  if (!rows) return audits;
  const members = erased.fields.flatMap((field) => {
    const userId = field.type === 'USER_ASSIGNED' ? auditData(rows, pk, field)?.userId : undefined;
    return typeof userId === 'string' ? [memberKey(pk, userId)] : [];
  });
  return [...audits, ...members];
}

/** The person's values as the rows hold them (identified as the store does), each with its placeholder. */
export function erasedValues(rows: Rows, pk: string, erased: Erased): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const field of erased.fields) {
    const value = valueAtPath(auditData(rows, pk, field), field.path);
    if (typeof value === 'string' && value !== field.placeholder)
      values.set(identity(value), field.placeholder);
  }
  return values;
}

/** The placeholder for a row's value when it is one of the erased person's, else undefined. */
export function placeholderFor(values: ReadonlyMap<string, unknown>, value: unknown): unknown {
  return typeof value === 'string' ? values.get(identity(value)) : undefined;
}

/** The audit rows of the listed events, and the member rows holding the person's e-mail, masked. */
export function maskedRows(rows: Rows, pk: string, erased: Erased, values: ReadonlyMap<string, unknown>) {
  const changes = new Map<string, RowChange>();
  for (const field of erased.fields) {
    const key = auditKey(pk, field.occurredAt, field.eventId);
    const row = (changes.get(rowId(key)) as { put: Row } | undefined)?.put ?? rows.get(rowId(key));
    if (!row || typeof row.data !== 'object' || row.data === null) continue;
    changes.set(rowId(key), { put: { ...row, data: withValueAt(row.data, field.path, field.placeholder) } });
  }
  for (const row of rows.values()) {
    if (row.PK !== pk || !row.SK.startsWith('USER#')) continue;
    const placeholder = placeholderFor(values, row.email);
    if (placeholder !== undefined) changes.set(rowId(row), { put: { ...row, email: placeholder } });
  }
  return [...changes.values()];
}

function auditData(rows: Rows, pk: string, field: FieldRef): Record<string, unknown> | undefined {
  const data = rows.get(rowId(auditKey(pk, field.occurredAt, field.eventId)))?.data;
  return typeof data === 'object' && data !== null ? (data as Record<string, unknown>) : undefined;
}

const identity = (email: string): string => email.normalize('NFC').trim().toLowerCase();

/** A copy of `data` with the value at `path` (if there is one) replaced. */
function withValueAt(data: object, path: string, replacement: unknown): unknown {
  const [head, ...rest] = path.split('.');
  if (head === undefined || !Object.hasOwn(data, head)) return data;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(data) ? [...data] : { ...data };
  const child = (data as Record<string, unknown>)[head];
  (copy as Record<string, unknown>)[head] =
    rest.length === 0
      ? replacement
      : child !== null && typeof child === 'object'
        ? withValueAt(child, rest.join('.'), replacement)
        : child;
  return copy;
}
