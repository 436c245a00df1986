import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { EventRecord } from '#src/platform/event-store/dynamodb/stream-records.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';

/** Which event a consumer failed on, even when it could not be decoded (the store can read it again later). */
export interface EventRef {
  streamId: string;
  version: number;
  type: string;
}

/** An event of a record, or the reason it could not be decoded (an upcaster bug: poison, parked like one). */
export type ConsumedEvent = { event: EventEnvelope } | { undecodable: EventRef; error: unknown };

/** One stream record of the event table, with its age: the consumers park before Lambda would expire it. */
export interface ConsumedRecord {
  sequenceNumber: string;
  /** When the record entered the stream (epoch ms), from ApproximateCreationDateTime. */
  arrivedAt: number | undefined;
  events: ConsumedEvent[];
}

export const refOf = (item: ConsumedEvent): EventRef =>
  'event' in item
    ? { streamId: item.event.streamId, version: item.event.version, type: item.event.type }
    : item.undecodable;

/** How a consumer decodes stream records (stream-records.ts: it knows how events are stored). */
export type DecodeRecords = (
  records: readonly DynamoDBRecord[],
) => readonly EventRecord[] | Promise<readonly EventRecord[]>;

/**
 * Decodes the event table's stream records; when the batch cannot be decoded, one record at a time: a record
 * that cannot be decoded (an upcaster bug, a data key that cannot be read now) becomes a failure of each of its
 * events instead of failing the whole batch, which Lambda would retry until the records expire. The failure
 * handler tells a lasting failure from a passing one by the error. Records other than commit INSERTs carry no events but keep their sequence number.
 */
export async function consumedRecords(
  records: readonly DynamoDBRecord[],
  decode: DecodeRecords,
): Promise<ConsumedRecord[]> {
  // the whole batch at once first (the decoder reads every data key in one round), one by one only on failure
  try {
    const decoded = await decode(records);
    return records.map((record, i) => ({
      sequenceNumber: record.dynamodb?.SequenceNumber ?? '',
      arrivedAt: arrival(record.dynamodb?.ApproximateCreationDateTime),
      events: (decoded[i]?.events ?? []).map((event) => ({ event })),
    }));
  } catch {
    return oneByOne(records, decode);
  }
}

async function oneByOne(
  records: readonly DynamoDBRecord[],
  decode: DecodeRecords,
): Promise<ConsumedRecord[]> {
  const out: ConsumedRecord[] = [];
  for (const record of records) {
    const sequenceNumber = record.dynamodb?.SequenceNumber ?? '';
    const arrivedAt = arrival(record.dynamodb?.ApproximateCreationDateTime);
    try {
      const [decoded] = await decode([record]);
      out.push({ sequenceNumber, arrivedAt, events: (decoded?.events ?? []).map((event) => ({ event })) });
    } catch (error) {
      out.push({
        sequenceNumber,
        arrivedAt,
        events: refsOfCommit(record).map((ref) => ({ undecodable: ref, error })),
      });
    }
  }
  return out;
}

/** The versions a commit record holds (sk .. sk + n - 1), read from its keys: no event is decoded. */
function refsOfCommit(record: DynamoDBRecord): EventRef[] {
  const image = record.dynamodb?.NewImage;
  if (!image) return [];
  const item = unmarshall(image as Record<string, AttributeValue>) as {
    pk?: unknown;
    sk?: unknown;
    n?: unknown;
  };
  if (typeof item.pk !== 'string' || typeof item.sk !== 'number') return [];
  const count = typeof item.n === 'number' && item.n > 0 ? item.n : 1;
  return Array.from({ length: count }, (_, i) => ({
    streamId: item.pk as string,
    version: (item.sk as number) + i,
    type: 'unknown',
  }));
}

/** Lambda sends epoch seconds; be lenient with what a stand-in may send (a Date, an ISO string). */
function arrival(value: unknown): number | undefined {
  if (typeof value === 'number') return value * 1000;
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return Date.parse(value);
  return undefined;
}

/** The record's age now; without a creation time, the age of its oldest event (appended right after). */
export function ageOf(record: Pick<ConsumedRecord, 'arrivedAt' | 'events'>, now: number): number {
  if (record.arrivedAt !== undefined) return now - record.arrivedAt;
  const times = record.events.flatMap((e) => ('event' in e ? [Date.parse(e.event.occurredAt)] : []));
  return times.length > 0 ? now - Math.min(...times) : 0;
}

/**
 * When a stream consumer's invocation must stop working and when it must have answered (epoch ms), from the
 * Lambda context's remaining time: a dependency that does not answer must not hold the invocation until Lambda's
 * timeout (a function error: the whole batch retried, nothing reported, nothing parked). At `stopAt` the consumer
 * reports what it has not finished (batchItemFailures) and parks what of it is past the age bound; it answers by
 * `returnBy` whatever parking managed.
 */
export interface Deadline {
  stopAt: number;
  returnBy: number;
}

/** A quarter of the time left, at most 12 s, is kept for parking and answering; the last 2 s for answering. */
export function deadlineOf(remainingMs: number, now = Date.now()): Deadline {
  const reserve = Math.min(12_000, Math.max(200, remainingMs / 4));
  return { stopAt: now + remainingMs - reserve, returnBy: now + remainingMs - Math.min(2000, reserve / 4) };
}

/** True when `work` settled before `at` (epoch ms); false once `at` came first (the work goes on unawaited). */
export async function settledBy(work: Promise<unknown>, at: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), Math.max(0, at - Date.now()));
  });
  try {
    return await Promise.race([work.then(() => true as const), late]);
  } finally {
    clearTimeout(timer);
  }
}
