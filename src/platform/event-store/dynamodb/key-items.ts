import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { DataKeyItem, KeyItems, NewDataKey } from '#src/platform/privacy/subject-keys.js';
import type { WriteOp } from './write-ops.js';

export const KEY_PREFIX = '$key#';

/** A data subject's key item in the event table: `$key#<subjectId>`, sk 0. Deleting it erases the subject. */
export interface KeyItemRecord {
  pk: string;
  sk: 0;
  /** the key's own id (a key made after an erasure has another) */
  kid: string;
  /** the data key wrapped by the master key, base64 */
  wk: string;
  /** the master key that wrapped it */
  mk: string;
  /** when it was made (ISO 8601) */
  at: string;
}

export const keyItemKey = (subjectId: string) => ({ pk: KEY_PREFIX + subjectId, sk: 0 as const });

export const keyRecordOf = (item: DataKeyItem): KeyItemRecord => ({
  ...keyItemKey(item.subjectId),
  kid: item.kid,
  wk: item.wrapped,
  mk: item.masterKeyId,
  at: item.createdAt,
});

export function keyItemOf(record: Record<string, unknown>): DataKeyItem | undefined {
  const { pk, kid, wk, mk, at } = record;
  if (
    typeof pk !== 'string' ||
    !pk.startsWith(KEY_PREFIX) ||
    typeof kid !== 'string' ||
    typeof wk !== 'string'
  )
    return undefined;
  return {
    subjectId: pk.slice(KEY_PREFIX.length),
    kid,
    wrapped: wk,
    masterKeyId: String(mk),
    createdAt: String(at),
  };
}

/**
 * Key items read from the event table, strongly consistent (a key written a moment ago with the first event that
 * needs it must be found, or the event would read as erased). A Query of the one key, not a GetItem: every
 * function that reads events may already Query the event table, so reading keys needs no grant of its own.
 */
export function dynamoKeyItems(client: DynamoDBDocumentClient, tableName: string): KeyItems {
  return {
    async read(subjectId) {
      const { Items } = await client.send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND sk = :zero',
          ExpressionAttributeValues: { ':pk': KEY_PREFIX + subjectId, ':zero': 0 },
          ConsistentRead: true,
        }),
      );
      return Items?.[0] ? keyItemOf(Items[0]) : undefined;
    },
  };
}

/**
 * Deleting subjects' key items (an erasure), unconditionally: a key already gone stays gone, and one made after the
 * erasure was read (the person came back) is erased too — the erasure is of the person, as of this write.
 */
export const eraseKeyOps = (subjectIds: readonly string[] = []): WriteOp[] =>
  [...new Set(subjectIds)].map((subjectId) => ({
    role: 'erase',
    kind: 'Delete',
    subjectId,
    input: { Key: keyItemKey(subjectId) },
  }));

/** Each new key's item, created only if no other writer made that subject's key first (then the append adopts it). */
export const keyOps = (created: readonly NewDataKey[]): WriteOp[] =>
  created.map(({ item }) => ({
    role: 'key',
    kind: 'Put',
    subjectId: item.subjectId,
    input: { Item: keyRecordOf(item), ConditionExpression: 'attribute_not_exists(pk)' },
  }));
