import { idempotencyId } from '#src/platform/event-store/core.js';
import type {
  AppendOptions,
  IdempotencyRecord,
  LoadToken,
} from '#src/platform/event-store/event-store.port.js';
import type { StoredResult } from '#src/platform/event-store/sealed-records.js';
import { type CommitItem, IDEMPOTENCY_PREFIX, RESERVATION_PREFIX } from './event-items.js';

const DAY_SECONDS = 24 * 60 * 60;

/** One item of an append's atomic write, with what it stands for (to explain a cancelled transaction). */
export type WriteOp =
  | { role: 'commit'; kind: 'Put'; input: Record<string, unknown> }
  | { role: 'condition'; kind: 'ConditionCheck'; condition: LoadToken; input: Record<string, unknown> }
  | { role: 'claim'; kind: 'Put'; reservation: string; input: Record<string, unknown> }
  | { role: 'release'; kind: 'Delete'; reservation: string; input: Record<string, unknown> }
  | { role: 'idempotency'; kind: 'Put'; input: Record<string, unknown> }
  | { role: 'key'; kind: 'Put'; subjectId: string; input: Record<string, unknown> }
  | { role: 'erase'; kind: 'Delete'; subjectId: string; input: Record<string, unknown> };

export const commitOp = (item: CommitItem): WriteOp => ({
  role: 'commit',
  kind: 'Put',
  input: { Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
});

/**
 * A stream at head h has an item ending at h and, since items are contiguous and keyed by their first version,
 * an item at h + 1 exactly when it has moved on. So "still at h" is "no item at (stream, h + 1)" — but only
 * for an h that ends an item (or is 0), which is why the store checks tokens it did not issue itself first.
 */
export const conditionOps = (conditions: readonly LoadToken[]): WriteOp[] =>
  conditions.map((condition) => ({
    role: 'condition',
    kind: 'ConditionCheck',
    condition,
    input: {
      Key: { pk: condition.streamId, sk: condition.version + 1 },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));

/** Claims and releases: taken or given back only by the stream that holds them (or a free key). */
export function reservationOps(streamId: string, reservations: AppendOptions['reservations']): WriteOp[] {
  const owned = {
    ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
    ExpressionAttributeNames: { '#owner': 'owner' },
    ExpressionAttributeValues: { ':owner': streamId },
  };
  const claims = new Set(reservations?.claim ?? []);
  const releases = (reservations?.release ?? []).filter((key) => !claims.has(key));
  return [
    ...[...claims].map(
      (key): WriteOp => ({
        role: 'claim',
        kind: 'Put',
        reservation: key,
        input: { Item: { pk: RESERVATION_PREFIX + key, sk: 0, owner: streamId }, ...owned },
      }),
    ),
    ...releases.map(
      (key): WriteOp => ({
        role: 'release',
        kind: 'Delete',
        reservation: key,
        input: { Key: { pk: RESERVATION_PREFIX + key, sk: 0 }, ...owned },
      }),
    ),
  ];
}

/**
 * The idempotency record, its result as stored (sealed when the stream holds personal data); an expired one (TTL
 * deletes lazily) counts as absent.
 */
export function idempotencyOps(
  idem: IdempotencyRecord | undefined,
  stored: StoredResult | undefined,
  nowSeconds: number,
): WriteOp[] {
  if (!idem) return [];
  const item = {
    pk: IDEMPOTENCY_PREFIX + idempotencyId(idem.scope, idem.key),
    sk: 0,
    hash: idem.requestHash,
    ...(stored ?? { result: JSON.stringify(idem.result ?? null) }),
    expiresAt: nowSeconds + (idem.ttlSeconds ?? DAY_SECONDS),
  };
  return [
    {
      role: 'idempotency',
      kind: 'Put',
      input: {
        Item: item,
        ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
        ExpressionAttributeValues: { ':now': nowSeconds },
      },
    },
  ];
}

/**
 * The op as a TransactItems entry. The idempotency record, a claimed reservation, a key item and the commit item
 * are read back on failure (the stored result; the holder; the key that won; whether the item at that version is
 * this append's own, written by an attempt whose answer was lost).
 */
export function transactItem(op: WriteOp, tableName: string) {
  const readBack =
    op.role === 'idempotency' || op.role === 'claim' || op.role === 'key' || op.role === 'commit';
  return {
    [op.kind]: {
      TableName: tableName,
      ...op.input,
      ...(readBack ? { ReturnValuesOnConditionCheckFailure: 'ALL_OLD' } : {}),
    },
  };
}
