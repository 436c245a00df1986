import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { instanceSK, tenantPK } from '#projections/instances/tenant-resources.v1.js';
import type { Row } from '#src/platform/domain/projection.js';
import type { Page } from '#src/platform/http/paging.js';
import type { AlbSlot } from '../terraform/input.js';

/**
 * The queries of bbws-tenant-resources (design section 4.3), each by a key or an index, never a Scan. `table`
 * resolves the active projection version's table on every call (the registry caches it briefly).
 */
export class InstanceReadModel {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: () => Promise<string>,
  ) {}

  /** An instance row: PK=TENANT#{tenantId}, SK=INSTANCE#{environment}#{instanceId}. */
  async get(tenantId: string, environment: string, instanceId: string): Promise<Row | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: await this.table(),
        Key: { PK: tenantPK(tenantId), SK: instanceSK(environment, instanceId) },
      }),
    );
    return Item as Row | undefined;
  }

  /**
   * 1. A tenant's instances: PK=TENANT#{id}, SK begins_with INSTANCE# (deleted ones left out), or 2. by state:
   * GSI1 TENANT#{id}#STATE, SK begins_with {state}#.
   */
  ofTenant(tenantId: string, state: string | undefined, limit: number, start?: Record<string, unknown>) {
    const query: Omit<QueryCommandInput, 'TableName'> = state
      ? {
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :pk AND begins_with(GSI1SK, :state)',
          ExpressionAttributeValues: { ':pk': `${tenantPK(tenantId)}#STATE`, ':state': `${state}#` },
        }
      : {
          KeyConditionExpression: 'PK = :pk AND begins_with(SK, :instance)',
          FilterExpression: 'provisioningState <> :deleted',
          ExpressionAttributeValues: {
            ':pk': tenantPK(tenantId),
            ':instance': 'INSTANCE#',
            ':deleted': 'DELETED',
          },
        };
    return this.page(query, limit, start);
  }

  /** Across tenants, for operators: by state (GSI2 STATE#{state}, SK begins_with {environment}#), newest first. */
  byState(state: string, environment: string | undefined, limit: number, start?: Record<string, unknown>) {
    return this.page(
      {
        IndexName: 'GSI2',
        ...(environment
          ? {
              KeyConditionExpression: 'GSI2PK = :pk AND begins_with(GSI2SK, :env)',
              ExpressionAttributeValues: { ':pk': `STATE#${state}`, ':env': `${environment}#` },
            }
          : {
              KeyConditionExpression: 'GSI2PK = :pk',
              ExpressionAttributeValues: { ':pk': `STATE#${state}` },
            }),
        ScanIndexForward: false,
      },
      limit,
      start,
    );
  }

  /** Every live instance of an environment, by ALB slot (GSI3 ALB#{environment}). */
  byEnvironment(environment: string, limit: number, start?: Record<string, unknown>) {
    return this.page(
      {
        IndexName: 'GSI3',
        KeyConditionExpression: 'GSI3PK = :pk',
        ExpressionAttributeValues: { ':pk': `ALB#${environment}` },
      },
      limit,
      start,
    );
  }

  /**
   * The ALB slots the read model shows taken in an environment: a hint for trying slots (it may lag; the slot
   * reservations decide).
   */
  async heldSlots(environment: string): Promise<AlbSlot[]> {
    const TableName = await this.table();
    const slots: AlbSlot[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const out = await this.client.send(
        new QueryCommand({
          TableName,
          IndexName: 'GSI3',
          KeyConditionExpression: 'GSI3PK = :pk',
          ExpressionAttributeValues: { ':pk': `ALB#${environment}` },
          ProjectionExpression: 'albSlot',
          ExclusiveStartKey,
        }),
      );
      for (const item of out.Items ?? []) slots.push(item.albSlot as AlbSlot);
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return slots;
  }

  private async page(
    query: Omit<QueryCommandInput, 'TableName'>,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<Page<Row>> {
    const TableName = await this.table();
    const items: Row[] = [];
    let ExclusiveStartKey = start;
    // A filter may leave a page short: read on until the page is full or the index ends.
    do {
      const out = await this.client.send(
        new QueryCommand({ TableName, ...query, Limit: limit - items.length, ExclusiveStartKey }),
      );
      items.push(...((out.Items ?? []) as Row[]));
      ExclusiveStartKey = out.LastEvaluatedKey;
    } while (ExclusiveStartKey && items.length < limit);
    return ExclusiveStartKey ? { items, next: ExclusiveStartKey } : { items };
  }
}
