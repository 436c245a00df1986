import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import { decodeOpened } from '#src/platform/event-store/core.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { openStored } from '#src/platform/event-store/sealing.js';
import type { KeyReader } from '#src/platform/privacy/subject-keys.js';
import { type CommitItem, commitEvents, isCommitItem } from './event-items.js';

/** One stream record of the event table: the events of one append (possibly several), in order. */
export interface EventRecord {
  sequenceNumber: string;
  events: EventEnvelope[];
  /**
   * The data subjects whose personal data these events hold (ids: keyed hashes of e-mails, no plaintext), erased
   * or not: what an index of subjects -> streams is built from.
   */
  subjects?: string[];
}

/**
 * Decodes the event table's stream records, personal fields decrypted with the table's data keys (`keys`: the
 * store's, `DynamoEventStore.keys`, so both share one cache) or read as placeholders for erased subjects, with
 * `erased` on the envelope. Only INSERTs of commit items carry events; reservation, idempotency and key-item
 * writes, TTL deletes and anything else decode to no events (but keep their sequence number, so a consumer can
 * still report its position). The keys of the whole batch are read in one round.
 */
export async function decodeEventRecords(
  records: readonly DynamoDBRecord[],
  catalogue: EventCatalogue,
  keys: KeyReader,
): Promise<EventRecord[]> {
  const commits = records.map(commitOf);
  const perCommit = commits.map((commit) => (commit ? commitEvents(commit) : []));
  const { events } = await openStored(catalogue, keys, perCommit.flat());
  let next = 0;
  return records.map((record, i) => {
    const commit = commits[i];
    const count = perCommit[i]?.length ?? 0;
    const opened = events.slice(next, next + count);
    next += count;
    return {
      sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
      events: commit ? opened.map((event) => decodeOpened(catalogue, commit.pk, event)) : [],
      subjects: [...new Set(opened.flatMap((event) => event.subjects))],
    };
  });
}

function commitOf(record: DynamoDBRecord): CommitItem | undefined {
  const image = record.dynamodb?.NewImage;
  if (record.eventName !== 'INSERT' || !image) return undefined;
  const item = unmarshall(image as Record<string, AttributeValue>);
  return isCommitItem(item) ? (item as CommitItem) : undefined;
}
