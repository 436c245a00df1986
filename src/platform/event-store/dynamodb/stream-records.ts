import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import { decodeEvent } from '#src/platform/event-store/core.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { type CommitItem, commitEvents, isCommitItem } from './event-items.js';

/** One stream record of the event table: the events of one append (possibly several), in order. */
export interface EventRecord {
  sequenceNumber: string;
  events: EventEnvelope[];
}

/**
 * Decodes the event table's stream records. Only INSERTs of commit items carry events; reservation and
 * idempotency writes, TTL deletes and anything else decode to no events (but keep their sequence number, so
 * a consumer can still report its position).
 */
export function decodeEventRecords(
  records: readonly DynamoDBRecord[],
  catalogue: EventCatalogue,
): EventRecord[] {
  return records.map((record) => {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    const image = record.dynamodb?.NewImage;
    if (record.eventName !== 'INSERT' || !image) return { sequenceNumber, events: [] };
    const item = unmarshall(image as Record<string, AttributeValue>);
    if (!isCommitItem(item)) return { sequenceNumber, events: [] };
    const commit = item as CommitItem;
    return {
      sequenceNumber,
      events: commitEvents(commit).map((event) => decodeEvent(catalogue, commit.pk, event)),
    };
  });
}
