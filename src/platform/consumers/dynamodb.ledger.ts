import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure } from '#src/platform/aws/dynamodb.errors.js';
import type { Claim, ConsumerLedger } from './ledger.js';

/** 15 days: a message can arrive up to 14 days late (the longest SQS retention, a re-driven DLQ message). */
export const LEDGER_RETENTION_SECONDS = 15 * 86_400;

/**
 * The ledger in `bbws-consumer-ledger-<stage>` (key `pk` = `<consumer>#<eventId>`, TTL `expiresAt`). A claim is
 * one conditional PutItem, a confirmation one UpdateItem: two writes per message, no read.
 */
export class DynamoConsumerLedger implements ConsumerLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  async claim(consumer: string, eventId: string, leaseMs: number): Promise<Claim> {
    const now = this.now();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `${consumer}#${eventId}`,
            status: 'IN_PROGRESS',
            leaseUntil: now + leaseMs,
            expiresAt: Math.floor(now / 1000) + LEDGER_RETENTION_SECONDS,
          },
          // Free, or claimed by an invocation whose lease has run out (it crashed or timed out).
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :inProgress AND leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS', ':now': now },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      return 'claimed';
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const status = (error as { Item?: { status?: { S?: string } } }).Item?.status?.S;
      return status === 'DONE' ? 'done' : 'busy';
    }
  }

  async complete(consumer: string, eventId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `${consumer}#${eventId}` },
        UpdateExpression: 'SET #status = :done, expiresAt = :expiresAt REMOVE leaseUntil',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':done': 'DONE',
          ':expiresAt': Math.floor(this.now() / 1000) + LEDGER_RETENTION_SECONDS,
        },
      }),
    );
  }

  async release(consumer: string, eventId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `${consumer}#${eventId}` },
          ConditionExpression: '#status = :inProgress',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':inProgress': 'IN_PROGRESS' },
        }),
      );
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }
}
