import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '#src/platform/aws/dynamodb.errors.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import type { EventRef } from './consumed-records.js';
import { checkpointKey } from './dynamodb.projection-writer.js';
import {
  matchesConsumer,
  type ParkedEvent,
  type ParkedEvents,
  type ParkedFilter,
  type ParkKind,
  type ParkOptions,
  type ParkRequest,
  parkedRecord,
  StreamNotParkedError,
} from './ports.js';

const ATTEMPTS_TTL_SECONDS = 7 * 86400;

const parkedKey = (p: Pick<ParkedEvent, 'consumer' | 'streamId' | 'version'>) => ({
  pk: `parked#${p.consumer}#${p.streamId}`,
  sk: p.version,
});
const attemptsKey = (consumer: string, ref: Pick<EventRef, 'streamId' | 'version'>) => ({
  pk: `attempts#${consumer}#${ref.streamId}`,
  sk: ref.version,
});

/**
 * The parked-events table keeps the whole event and the error of everything a consumer (a projection version,
 * the publisher) could not apply or publish, plus the attempt counters before that. Parking for a projection
 * can also mark the stream in the target table's checkpoint, in the same transaction, so the writer parks the
 * stream's later events behind it instead of applying them out of order.
 */
export class DynamoParkedEvents implements ParkedEvents {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async recordFailure(
    consumer: string,
    ref: EventRef,
    kind: 'poison' | 'transient' = 'poison',
  ): Promise<number> {
    const counter = kind === 'poison' ? 'attempts' : 'transientAttempts';
    const out = await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: attemptsKey(consumer, ref),
        UpdateExpression: `ADD ${counter} :one SET expiresAt = :ttl`,
        ExpressionAttributeValues: {
          ':one': 1,
          ':ttl': Math.floor(this.now().getTime() / 1000) + ATTEMPTS_TTL_SECONDS,
        },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    return Number(out.Attributes?.[counter] ?? 1);
  }

  /** Keeps a reference to the event (its id), never the event: parkedRecord (ports.ts). */
  async park(request: ParkRequest, options: ParkOptions = {}): Promise<boolean> {
    const parked = parkedRecord(request, this.now().toISOString());
    const put = {
      TableName: this.tableName,
      Item: {
        ...parkedKey(parked),
        consumer: parked.consumer,
        streamId: parked.streamId,
        eventType: parked.type,
        ...(parked.eventId ? { eventId: parked.eventId } : {}),
        error: parked.error.slice(0, 4000),
        attempts: parked.attempts,
        kind: parked.kind,
        parkedAt: parked.parkedAt,
      },
      ...(options.ifAbsent ? { ConditionExpression: 'attribute_not_exists(pk)' } : {}),
    };
    const guard = options.whileMarkedIn;
    try {
      if (!options.markStreamIn && !guard) {
        await this.client.send(new PutCommand(put));
        return true;
      }
      await this.client.send(
        new TransactWriteCommand({
          TransactItems: [
            { Put: put },
            options.markStreamIn
              ? { Update: markParked(options.markStreamIn, parked) }
              : { ConditionCheck: stillMarked(guard as string, parked.streamId) },
          ],
        }),
      );
      return true;
    } catch (error) {
      if (guard && cancelledAt(error, 1)) throw new StreamNotParkedError(parked.streamId);
      if (!options.ifAbsent || !(isConditionFailure(error) || cancelledAt(error, 0))) throw error;
      // ifAbsent: the event is parked already, with its real error; the stream is marked all the same (a
      // transient record of an event that then failed as poison)
      if (options.markStreamIn)
        await this.client.send(new UpdateCommand(markParked(options.markStreamIn, parked)));
      return false;
    }
  }

  async list(filter: ParkedFilter = {}): Promise<ParkedEvent[]> {
    // (a record parked whole before issue 9 keeps its event in `event` until it is re-driven or removed)
    const items: Record<string, unknown>[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({
          TableName: this.tableName,
          FilterExpression: 'begins_with(pk, :parked)',
          ExpressionAttributeValues: { ':parked': 'parked#' },
          ConsistentRead: true,
          ExclusiveStartKey,
        }),
      );
      items.push(...(page.Items ?? []));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return items
      .map(fromItem)
      .filter((p) => matchesConsumer(p.consumer, filter.consumer))
      .filter((p) => !filter.streamId || p.streamId === filter.streamId)
      .sort(
        (a, b) =>
          a.consumer.localeCompare(b.consumer) ||
          a.streamId.localeCompare(b.streamId) ||
          a.version - b.version,
      );
  }

  async remove(parked: Pick<ParkedEvent, 'consumer' | 'streamId' | 'version'>): Promise<void> {
    await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: parkedKey(parked) }));
    await this.client.send(
      new DeleteCommand({ TableName: this.tableName, Key: attemptsKey(parked.consumer, parked) }),
    );
  }
}

function markParked(tableName: string, parked: Pick<ParkedEvent, 'streamId' | 'version'>) {
  return {
    TableName: tableName,
    Key: checkpointKey(parked.streamId),
    UpdateExpression:
      'SET parkedFrom = if_not_exists(parkedFrom, :v), version = if_not_exists(version, :zero), streamId = :s',
    ExpressionAttributeValues: { ':v': parked.version, ':zero': 0, ':s': parked.streamId },
  };
}

/** The stream is still marked parked in this projection table (a record parked behind it keeps its order). */
function stillMarked(tableName: string, streamId: string) {
  return {
    TableName: tableName,
    Key: checkpointKey(streamId),
    ConditionExpression: 'attribute_exists(parkedFrom)',
  };
}

function cancelledAt(error: unknown, index: number): boolean {
  const reasons = (error as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons[index]?.Code === 'ConditionalCheckFailed';
}

function fromItem(item: Record<string, unknown>): ParkedEvent {
  // `event`: records parked whole before issue 9 (their id is kept; re-drives read the store anyway)
  const event = typeof item.event === 'string' ? (JSON.parse(item.event) as EventEnvelope) : undefined;
  const eventId = typeof item.eventId === 'string' ? item.eventId : event?.eventId;
  // `projection` and no `kind`: records parked before the publisher parked too
  const consumer = String(item.consumer ?? item.projection);
  return {
    consumer,
    streamId: String(item.streamId),
    version: Number(item.sk),
    type: String(item.eventType ?? event?.type ?? 'unknown'),
    ...(eventId ? { eventId } : {}),
    error: String(item.error),
    attempts: Number(item.attempts ?? 0),
    kind: (item.kind as ParkKind | undefined) ?? (Number(item.attempts) === 0 ? 'waiting' : 'poison'),
    parkedAt: String(item.parkedAt),
  };
}
