declare function serverlessResources(ctx: {
  resolveVariable: (v: string) => Promise<string>;
}): Promise<{ Resources: Record<string, serverlessResources.CloudFormationTable> }>;
declare namespace serverlessResources {
  export type AttributeType = 'S' | 'N' | 'B';
  export interface KeyDefinition {
    hash: string;
    range?: string;
  }
  export interface TableDefinition {
    baseName: string;
    attributes: Record<string, AttributeType>;
    key: KeyDefinition;
    stream?: 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY' | 'OLD_IMAGE';
    ttlAttribute?: string;
    globalIndexes: { name: string; key: KeyDefinition }[];
  }
  export interface CloudFormationTable {
    Type: 'AWS::DynamoDB::Table';
    DeletionPolicy: 'Retain' | 'Delete';
    UpdateReplacePolicy: 'Retain' | 'Delete';
    Properties: {
      TableName: string;
      BillingMode: 'PAY_PER_REQUEST';
      AttributeDefinitions: { AttributeName: string; AttributeType: AttributeType }[];
      KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
      GlobalSecondaryIndexes?: {
        IndexName: string;
        KeySchema: { AttributeName: string; KeyType: 'HASH' | 'RANGE' }[];
        Projection: { ProjectionType: 'ALL' };
      }[];
      StreamSpecification?: { StreamViewType: string };
      TimeToLiveSpecification?: { AttributeName: string; Enabled: boolean };
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: boolean };
      DeletionProtectionEnabled: boolean;
    };
  }
  export type LogicalTableId =
    | 'EventStoreTable'
    | 'TenantsV1Table'
    | 'TenantsV2Table'
    | 'ParkedEventsTable'
    | 'ProjectionRegistryTable';
  const tables: Record<LogicalTableId, TableDefinition>;
  function tableName(logicalId: LogicalTableId, stage: string): string;
  function cloudFormationTable(logicalId: LogicalTableId, stage: string): CloudFormationTable;
  function cloudFormationResources(stage: string): Record<LogicalTableId, CloudFormationTable>;
}
export = serverlessResources;
