import type { EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import { ulid } from 'ulid';
import { catalogue } from '#src/contexts/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { type IntegrationDetail, toBusEntry } from '#src/platform/publishing/integration-events.js';

/** The EventBridge event a rule delivers for a stored event, built with the publisher's own contract code. */
export function busEvent(envelope: EventEnvelope): EventBridgeEvent<string, unknown> {
  const entry = toBusEntry(catalogue, 'bbws-events-test', envelope);
  return {
    version: '0',
    id: ulid(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: '000000000000',
    time: envelope.occurredAt,
    region: 'af-south-1',
    resources: [],
    detail: JSON.parse(entry.Detail),
  };
}

/**
 * The detail of a published event (the integration contract) without a stored event behind it: what a consumer's
 * handler receives when only the event's type and stream matter to it.
 */
export function integrationDetail<T extends string>(
  fields: { streamId: string; type: T } & Partial<Omit<IntegrationDetail, 'type' | 'data' | 'dataOmitted'>>,
): DetailOf<T> {
  return {
    specVersion: '1',
    eventId: ulid(),
    version: 1,
    schemaVersion: 1,
    occurredAt: new Date().toISOString(),
    tenantId: null,
    correlationId: ulid(),
    causationId: null,
    actor: 'test',
    data: {},
    ...fields,
  } as DetailOf<T>;
}

/** One detail per event type of `T` (so a union of types fits a consumer's union of typed details). */
type DetailOf<T> = T extends string
  ? Omit<IntegrationDetail, 'type' | 'data' | 'dataOmitted'> & { type: T; data: Record<string, never> }
  : never;

/** One SQS record as Lambda passes it; a group id makes it a FIFO queue's. */
export function sqsRecord(
  body: unknown,
  options: { groupId?: string; receiveCount?: number } = {},
): SQSRecord {
  const fifo = options.groupId !== undefined;
  return {
    messageId: ulid(),
    receiptHandle: ulid(),
    body: typeof body === 'string' ? body : JSON.stringify(body),
    attributes: {
      ApproximateReceiveCount: String(options.receiveCount ?? 1),
      SentTimestamp: String(Date.now()),
      SenderId: 'AIDATEST',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
      ...(fifo
        ? { MessageGroupId: options.groupId, MessageDeduplicationId: ulid(), SequenceNumber: '1' }
        : {}),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:af-south-1:000000000000:test-queue${fifo ? '.fifo' : ''}`,
    awsRegion: 'af-south-1',
  };
}

export const sqsEvent = (records: SQSRecord[]): SQSEvent => ({ Records: records });
