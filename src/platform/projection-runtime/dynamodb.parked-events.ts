import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { rethrowTransient } from '#src/platform/aws/dynamodb.errors.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { checkpointKey } from './dynamodb.projection-writer.js';
import type { ParkedEvent, ParkedEvents, ProjectionTarget } from './ports.js';

export const targetName = (target: ProjectionTarget): string =>
  `${target.projection.name}.v${target.projection.version}`;

/**
 * The parked-events table keeps the whole event and the error of everything a projection could not apply,
 * plus the attempt counters before that. Parking also marks the stream in the target table's checkpoint, in
 * the same transaction, so the writer parks the stream's later events behind it instead of applying them.
 */
export class DynamoParkedEvents implements ParkedEvents {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async recordFailure(target: ProjectionTarget, event: EventEnvelope): Promise<number> {
    const out = await this.client
      .send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `attempts#${targetName(target)}#${event.streamId}`, sk: event.version },
          UpdateExpression: 'ADD attempts :one SET expiresAt = :ttl',
          ExpressionAttributeValues: {
            ':one': 1,
            ':ttl': Math.floor(this.now().getTime() / 1000) + 7 * 86400,
          },
          ReturnValues: 'UPDATED_NEW',
        }),
      )
      .catch(rethrowTransient);
    return Number(out.Attributes?.attempts ?? 1);
  }

  async park(target: ProjectionTarget, event: EventEnvelope, error: string, attempts: number): Promise<void> {
    await this.client
      .send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: `parked#${targetName(target)}#${event.streamId}`,
                  sk: event.version,
                  projection: targetName(target),
                  streamId: event.streamId,
                  event: JSON.stringify(event),
                  error: error.slice(0, 4000),
                  attempts,
                  parkedAt: this.now().toISOString(),
                },
              },
            },
            {
              Update: {
                TableName: target.tableName,
                Key: checkpointKey(event.streamId),
                UpdateExpression:
                  'SET parkedFrom = if_not_exists(parkedFrom, :v), version = if_not_exists(version, :zero), streamId = :s',
                ExpressionAttributeValues: { ':v': event.version, ':zero': 0, ':s': event.streamId },
              },
            },
          ],
        }),
      )
      .catch(rethrowTransient);
  }

  async list(filter: { projection?: string; streamId?: string } = {}): Promise<ParkedEvent[]> {
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
      .map((item) => ({
        projection: String(item.projection),
        version: Number(item.sk),
        streamId: String(item.streamId),
        event: JSON.parse(String(item.event)) as EventEnvelope,
        error: String(item.error),
        attempts: Number(item.attempts),
        parkedAt: String(item.parkedAt),
      }))
      .filter(
        (p) =>
          !filter.projection ||
          p.projection === filter.projection ||
          p.projection.startsWith(`${filter.projection}.v`),
      )
      .filter((p) => !filter.streamId || p.streamId === filter.streamId)
      .sort(
        (a, b) =>
          a.projection.localeCompare(b.projection) ||
          a.streamId.localeCompare(b.streamId) ||
          a.version - b.version,
      );
  }

  async remove(parked: ParkedEvent): Promise<void> {
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `parked#${parked.projection}#${parked.streamId}`, sk: parked.version },
      }),
    );
    await this.client.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `attempts#${parked.projection}#${parked.streamId}`, sk: parked.version },
      }),
    );
  }
}
