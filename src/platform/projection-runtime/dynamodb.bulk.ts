import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Row } from '#src/platform/domain/projection.js';
import type { BulkRowWriter, ProgressStore, RebuildProgress } from './rebuild.js';

const CHUNK = 25; // BatchWriteItem's limit

/** BatchWriteItem in chunks of 25, a few in flight, resending unprocessed items with backoff. */
export class DynamoBulkRowWriter implements BulkRowWriter {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly inFlight = 8,
  ) {}

  async putRows(tableName: string, rows: Row[]): Promise<void> {
    const chunks: Row[][] = [];
    for (let i = 0; i < rows.length; i += CHUNK) chunks.push(rows.slice(i, i + CHUNK));
    let next = 0;
    await Promise.all(
      Array.from({ length: Math.min(this.inFlight, chunks.length) }, async () => {
        for (let i = next++; i < chunks.length; i = next++)
          await this.writeChunk(tableName, chunks[i] as Row[]);
      }),
    );
  }

  private async writeChunk(tableName: string, rows: Row[]): Promise<void> {
    let requests = rows.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 10)
        throw new Error(`BatchWriteItem left ${requests.length} items unprocessed after 10 retries`);
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** attempt)));
      const out = await this.client.send(new BatchWriteCommand({ RequestItems: { [tableName]: requests } }));
      requests = (out.UnprocessedItems?.[tableName] ?? []) as typeof requests;
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
