import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ListTablesCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { app, tableName } from './app.js';
import { cloudFormationTable } from './cloudformation.js';
import { tableVariable } from './function-tables.js';

export { tableName } from './app.js';

/** Every declared table's variable (`TABLE_<logical id>`) and name on a stage, as a function's environment has them. */
export function tableNames(stage: string): Record<string, string> {
  return Object.fromEntries(Object.keys(app.tables).map((id) => [tableVariable(id), tableName(id, stage)]));
}

interface TableProperties {
  TableName: string;
  BillingMode: 'PAY_PER_REQUEST';
  AttributeDefinitions: CreateTableCommandInput['AttributeDefinitions'];
  KeySchema: CreateTableCommandInput['KeySchema'];
  GlobalSecondaryIndexes?: CreateTableCommandInput['GlobalSecondaryIndexes'];
  StreamSpecification?: { StreamViewType: 'NEW_IMAGE' };
  TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
}

/** Creates every declared table that does not exist yet, from the same rendering CloudFormation deploys. */
export async function createTables(client: DynamoDBClient, stage: string): Promise<string[]> {
  const existing = new Set((await client.send(new ListTablesCommand({}))).TableNames ?? []);
  const created: string[] = [];
  for (const [id, table] of Object.entries(app.tables)) {
    const props = cloudFormationTable(table, stage).Properties as unknown as TableProperties;
    if (existing.has(props.TableName)) continue;
    await client.send(
      new CreateTableCommand({
        TableName: props.TableName,
        BillingMode: props.BillingMode,
        AttributeDefinitions: props.AttributeDefinitions,
        KeySchema: props.KeySchema,
        GlobalSecondaryIndexes: props.GlobalSecondaryIndexes,
        StreamSpecification: props.StreamSpecification
          ? { StreamEnabled: true, StreamViewType: props.StreamSpecification.StreamViewType }
          : undefined,
      }),
    );
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
