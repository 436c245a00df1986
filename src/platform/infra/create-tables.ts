import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import tables from './tables.cjs';

export type LogicalTableId = tables.LogicalTableId;

export const tableName = (id: LogicalTableId, stage: string): string => tables.tableName(id, stage);

/** Creates every table of the definitions module that does not exist yet, exactly as CloudFormation would. */
export async function createTables(client: DynamoDBClient, stage: string): Promise<string[]> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  const created: string[] = [];
  for (const [id, resource] of Object.entries(tables.cloudFormationResources(stage))) {
    const props = resource.Properties;
    if (existing.has(props.TableName)) continue;
    const input: CreateTableCommandInput = {
      TableName: props.TableName,
      BillingMode: props.BillingMode,
      AttributeDefinitions: props.AttributeDefinitions,
      KeySchema: props.KeySchema,
      GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
      StreamSpecification: props.StreamSpecification
        ? { StreamEnabled: true, StreamViewType: props.StreamSpecification.StreamViewType as 'NEW_IMAGE' }
        : undefined,
    };
    await client.send(new CreateTableCommand(input));
    if (props.TimeToLiveSpecification) {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName: props.TableName,
          TimeToLiveSpecification: props.TimeToLiveSpecification,
        }),
      );
    }
    created.push(`${id}: ${props.TableName}`);
  }
  return created;
}
