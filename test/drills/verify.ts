import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tenantPK, tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { applyChanges, type Row } from '#src/platform/domain/projection.js';
import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';

/** Every event the load appended, read back from the event table. */
export async function storedEvents(store: Pick<EventStore, 'readStream'>, tenants: readonly string[]) {
  const events: EventEnvelope[] = [];
  for (const tenantId of tenants) events.push(...(await store.readStream(`tenant-${tenantId}`)));
  return events;
}

/** Rows as one string, independent of row order and of each item's attribute order. */
const normalise = (rows: Iterable<Row>) =>
  canonical([...rows].sort((a, b) => `${a.PK}${a.SK}`.localeCompare(`${b.PK}${b.SK}`)));

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The tenants whose rows in the read model differ from a clean rebuild (tenants v1) of their stream. */
export async function projectionDiffs(
  client: DynamoDBDocumentClient,
  tableName: string,
  store: Pick<EventStore, 'readStream'>,
  tenants: readonly string[],
): Promise<string[]> {
  const differing: string[] = [];
  for (const tenantId of tenants) {
    const folded = new Map<string, Row>();
    for (const event of await store.readStream(`tenant-${tenantId}`))
      applyChanges(folded, tenantsV1.apply(folded, event));
    const out = await client.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: 'PK = :pk',
        ExpressionAttributeValues: { ':pk': tenantPK(tenantId) },
        ConsistentRead: true,
      }),
    );
    if (normalise((out.Items ?? []) as Row[]) !== normalise(JSON.parse(JSON.stringify([...folded.values()]))))
      differing.push(tenantId);
  }
  return differing;
}
