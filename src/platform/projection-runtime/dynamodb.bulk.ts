import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Row, RowKey } from '#src/platform/domain/projection.js';
import type { BulkRowWriter, ProgressStore, RebuildProgress } from './rebuild.js';

const CHUNK = 25; // BatchWriteItem's limit

type WriteRequest = { PutRequest: { Item: Row } } | { DeleteRequest: { Key: RowKey } };

/** BatchWriteItem in chunks of 25, a few in flight, resending unprocessed items with backoff. */
export class DynamoBulkRowWriter implements BulkRowWriter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly inFlight = 8,
  ) {}

  async putRows(tableName: string, rows: Row[]): Promise<void> {
    await this.write(
      tableName,
      rows.map((Item) => ({ PutRequest: { Item } })),
    );
  }

  /** Deletes every item of a projection table (keys PK, SK), page by page; returns how many it deleted. */
  async clear(tableName: string, onProgress: (deleted: number) => void = () => {}): Promise<number> {
    let deleted = 0;
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new ScanCommand({ TableName: tableName, ProjectionExpression: 'PK, SK', ExclusiveStartKey }),
      );
      const keys = (page.Items ?? []) as RowKey[];
      await this.write(
        tableName,
        keys.map((key) => ({ DeleteRequest: { Key: { PK: key.PK, SK: key.SK } } })),
      );
      deleted += keys.length;
      onProgress(deleted);
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return deleted;
  }

  private async write(tableName: string, requests: WriteRequest[]): Promise<void> {
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += CHUNK) chunks.push(requests.slice(i, i + CHUNK));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.inFlight, chunks.length) }, async () => {
        for (let i = next++; i < chunks.length; i = next++)
          await this.writeChunk(tableName, chunks[i] as WriteRequest[]);
      }),
    );
  }

  private async writeChunk(tableName: string, chunk: WriteRequest[]): Promise<void> {
    let requests = chunk;
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 10)
        throw new Error(`BatchWriteItem left ${requests.length} items unprocessed after 10 retries`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      const out = await this.client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
}

/** Rebuild progress in the registry table, next to the registry entry. */
export class DynamoProgressStore implements ProgressStore {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async load(name: string, version: number): Promise<RebuildProgress | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: name, sk: `REBUILD#v${version}` },
        ConsistentRead: true,
      }),
    );
    return Item?.progress as RebuildProgress | undefined;
  }

  async save(name: string, version: number, progress: RebuildProgress): Promise<void> {
    await this.client.send(
      new PutCommand({ TableName: this.tableName, Item: { pk: name, sk: `REBUILD#v${version}`, progress } }),
    );
  }
}
