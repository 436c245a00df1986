import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { subjectIndexKey } from './data-subjects.v1.js';

/**
 * The index of data subjects as readers query it (GSI1: a subject's streams), on the active version's table.
 * Eventually consistent, like every read model: a stream appended a moment ago may not be listed yet.
 */
export class DataSubjectIndex {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: () => Promise<string>,
  ) {}

  async streamsOf(subjectId: string): Promise<string[]> {
    const TableName = await this.tableName();
    const streams: string[] = [];
    let ExclusiveStartKey: Record<string, unknown> | undefined;
    do {
      const page = await this.client.send(
        new QueryCommand({
          TableName,
          IndexName: 'GSI1',
          KeyConditionExpression: 'GSI1PK = :subject',
          ExpressionAttributeValues: { ':subject': subjectIndexKey(subjectId) },
          ExclusiveStartKey,
        }),
      );
      streams.push(...(page.Items ?? []).map((item) => String(item.streamId)));
      ExclusiveStartKey = page.LastEvaluatedKey;
    } while (ExclusiveStartKey);
    return streams.sort();
  }
}
