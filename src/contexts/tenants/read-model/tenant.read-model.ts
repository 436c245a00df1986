import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { METADATA, orgIndexKey, tenantPK } from '#projections/tenants/tenants.v1.js';
import type { Row } from '#src/platform/domain/projection.js';
import type { Page } from '#src/platform/http/paging.js';

export type { Page };

export interface TenantFilter {
  status?: string | undefined;
  environment?: string | undefined;
  organizationName?: string | undefined;
}

/**
 * The queries of bbws-tenants (design section 4.1), each served by a key or an index, never a Scan.
 * `table` resolves the active projection version's table on every call (the registry caches it briefly).
 */
export class TenantReadModel {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: () => Promise<string>,
  ) {}

  /** 1. tenant by id: PK=TENANT#{id}, SK=METADATA */
  async get(tenantId: string): Promise<Row | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({ TableName: await this.table(), Key: { PK: tenantPK(tenantId), SK: METADATA } }),
    );
    return Item as Row | undefined;
  }

  /** 2. by organisation name (GSI1 ORG#), 3. by status (GSI2 STATUS#), by environment (GSI2 ENV#), or all (GSI2 TENANTS). */
  async list(filter: TenantFilter, limit: number, start?: Record<string, unknown>): Promise<Page<Row>> {
    const [IndexName, pk, residual] = filter.organizationName
      ? [
          'GSI1',
          orgIndexKey(filter.organizationName),
          { status: filter.status, environment: filter.environment },
        ]
      : filter.status
        ? ['GSI2', `STATUS#${filter.status}`, { environment: filter.environment }]
        : filter.environment
          ? ['GSI2', `ENV#${filter.environment}`, {}]
          : ['GSI2', 'TENANTS', {}];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ':pk': pk };
    const conditions = Object.entries(residual)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => {
        names[`#${field}`] = field;
        values[`:${field}`] = value;
        return `#${field} = :${field}`;
      });
    return this.page(
      {
        IndexName,
        KeyConditionExpression: `${IndexName}PK = :pk`,
        ExpressionAttributeValues: values,
        ScanIndexForward: false,
        ...(conditions.length
          ? { FilterExpression: conditions.join(' AND '), ExpressionAttributeNames: names }
          : {}),
      },
      limit,
      start,
    );
  }

  /** 4. a user's tenants: GSI1 USER#{userId} (the member rows), joined with each tenant's row. */
  async tenantsOfUser(
    userId: string,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<Page<{ member: Row; tenant: Row | undefined }>> {
    const members = await this.page(
      {
        IndexName: 'GSI1',
        KeyConditionExpression: 'GSI1PK = :pk',
        ExpressionAttributeValues: { ':pk': `USER#${userId}` },
      },
      limit,
      start,
    );
    const tenants = await this.batchGet(members.items.map((m) => String(m.tenantId)));
    return {
      items: members.items.map((member) => ({ member, tenant: tenants.get(String(member.tenantId)) })),
      ...(members.next ? { next: members.next } : {}),
    };
  }

  /**
   * A member's tenants, filtered as `list` filters (the organisation name compared as its index key: case and
   * spacing folded). A deleted tenant is gone for its members, though their member rows stay. A page may come out
   * short after filtering; `next` continues.
   */
  async tenantsOfMember(
    userId: string,
    filter: TenantFilter,
    limit: number,
    start?: Record<string, unknown>,
  ): Promise<Page<Row>> {
    const page = await this.tenantsOfUser(userId, limit, start);
    const org = filter.organizationName === undefined ? undefined : orgIndexKey(filter.organizationName);
    const items = page.items
      .map((item) => item.tenant)
      .filter(
        (t): t is Row =>
          t !== undefined &&
          t.status !== 'DELETED' &&
          (filter.status === undefined || t.status === filter.status) &&
          (filter.environment === undefined || t.environment === filter.environment) &&
          (org === undefined || orgIndexKey(String(t.organizationName)) === org),
      );
    return page.next ? { items, next: page.next } : { items };
  }

  /** 5. users of a tenant: PK=TENANT#{id}, SK begins_with USER# */
  members(tenantId: string, limit: number, start?: Record<string, unknown>): Promise<Page<Row>> {
    return this.page(beginsWith(tenantId, 'USER#'), limit, start);
  }

  /** 6. audit trail: PK=TENANT#{id}, SK begins_with EVENT# (oldest first) */
  events(tenantId: string, limit: number, start?: Record<string, unknown>): Promise<Page<Row>> {
    return this.page(beginsWith(tenantId, 'EVENT#'), limit, start);
  }

  /** The org structure: PK=TENANT#{id}, SK begins_with HIERARCHY# */
  async hierarchy(tenantId: string): Promise<Row[]> {
    const rows: Row[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.page(beginsWith(tenantId, 'HIERARCHY#'), 100, start);
      rows.push(...page.items);
      start = page.next;
    } while (start);
    return rows;
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

  private async batchGet(tenantIds: string[]): Promise<Map<string, Row>> {
    const found = new Map<string, Row>();
    if (tenantIds.length === 0) return found;
    const TableName = await this.table();
    let keys: Record<string, unknown>[] = [...new Set(tenantIds)].map((id) => ({
      PK: tenantPK(id),
      SK: METADATA,
    }));
    while (keys.length > 0) {
      const out = await this.client.send(
        new BatchGetCommand({ RequestItems: { [TableName]: { Keys: keys } } }),
      );
      for (const item of out.Responses?.[TableName] ?? []) found.set(String(item.tenantId), item as Row);
      keys = (out.UnprocessedKeys?.[TableName]?.Keys ?? []) as Record<string, unknown>[];
    }
    return found;
  }
}

const beginsWith = (tenantId: string, prefix: string): Omit<QueryCommandInput, 'TableName'> => ({
  KeyConditionExpression: 'PK = :pk AND begins_with(SK, :prefix)',
  ExpressionAttributeValues: { ':pk': tenantPK(tenantId), ':prefix': prefix },
});
