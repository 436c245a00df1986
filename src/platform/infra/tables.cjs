// The one definition of every DynamoDB table. serverless.yml renders it through `${file(...)}`,
// the local runtime creates tables from the same rendering, and test/infra proves the packaged
// CloudFormation template agrees. CommonJS because Serverless Framework v3 loads it with require().
'use strict';

/** @type {Record<string, import('./tables.d.cts').TableDefinition>} */
const tables = {
  EventStoreTable: {
    baseName: 'bbws-event-store',
    attributes: { pk: 'S', sk: 'N' },
    key: { hash: 'pk', range: 'sk' },
    stream: 'NEW_IMAGE',
    ttlAttribute: 'expiresAt',
    globalIndexes: [],
  },
  // Read model of tenant management, version 1 (design document section 4.1). A new projection version is a
  // new table here (blue/green rebuilds); readers find the active one in the projection registry.
  TenantsV1Table: {
    baseName: 'bbws-tenants',
    attributes: { PK: 'S', SK: 'S', GSI1PK: 'S', GSI1SK: 'S', GSI2PK: 'S', GSI2SK: 'S' },
    key: { hash: 'PK', range: 'SK' },
    globalIndexes: [
      { name: 'GSI1', key: { hash: 'GSI1PK', range: 'GSI1SK' } },
      { name: 'GSI2', key: { hash: 'GSI2PK', range: 'GSI2SK' } },
    ],
  },
  // bbws-tenants version 2 (migrations/tenants/read-models/0001): adds contactDomain and GSI3. Filled by
  // `projections rebuild tenants 2`, made active by `projections switch tenants 2`.
  TenantsV2Table: {
    baseName: 'bbws-tenants-v2',
    attributes: {
      PK: 'S',
      SK: 'S',
      GSI1PK: 'S',
      GSI1SK: 'S',
      GSI2PK: 'S',
      GSI2SK: 'S',
      GSI3PK: 'S',
      GSI3SK: 'S',
    },
    key: { hash: 'PK', range: 'SK' },
    globalIndexes: [
      { name: 'GSI1', key: { hash: 'GSI1PK', range: 'GSI1SK' } },
      { name: 'GSI2', key: { hash: 'GSI2PK', range: 'GSI2SK' } },
      { name: 'GSI3', key: { hash: 'GSI3PK', range: 'GSI3SK' } },
    ],
  },
  // Events a projection could not apply after N attempts, and the attempt counters before that.
  ParkedEventsTable: {
    baseName: 'bbws-parked-events',
    attributes: { pk: 'S', sk: 'N' },
    key: { hash: 'pk', range: 'sk' },
    ttlAttribute: 'expiresAt',
    globalIndexes: [],
  },
  // Which version of each projection readers use, and the progress of rebuilds.
  ProjectionRegistryTable: {
    baseName: 'bbws-projection-registry',
    attributes: { pk: 'S', sk: 'S' },
    key: { hash: 'pk', range: 'sk' },
    globalIndexes: [],
  },
};

const tableName = (logicalId, stage) => `${tables[logicalId].baseName}-${stage}`;

function cloudFormationTable(logicalId, stage) {
  const def = tables[logicalId];
  const protectedStage = stage !== 'dev' && stage !== 'test' && stage !== 'local';
  const properties = {
    TableName: tableName(logicalId, stage),
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: Object.entries(def.attributes).map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(def.key),
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    DeletionProtectionEnabled: protectedStage,
  };
  if (def.globalIndexes.length > 0) {
    properties.GlobalSecondaryIndexes = def.globalIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: keySchema(index.key),
      Projection: { ProjectionType: 'ALL' },
    }));
  }
  if (def.stream) properties.StreamSpecification = { StreamViewType: def.stream };
  if (def.ttlAttribute)
    properties.TimeToLiveSpecification = { AttributeName: def.ttlAttribute, Enabled: true };
  return {
    Type: 'AWS::DynamoDB::Table',
    DeletionPolicy: protectedStage ? 'Retain' : 'Delete',
    UpdateReplacePolicy: protectedStage ? 'Retain' : 'Delete',
    Properties: properties,
  };
}

function keySchema(key) {
  const schema = [{ AttributeName: key.hash, KeyType: 'HASH' }];
  if (key.range) schema.push({ AttributeName: key.range, KeyType: 'RANGE' });
  return schema;
}

function cloudFormationResources(stage) {
  return Object.fromEntries(Object.keys(tables).map((id) => [id, cloudFormationTable(id, stage)]));
}

// Serverless calls an exported function with its variable resolver: `${file(./src/platform/infra/tables.cjs):Resources}`.
const DEPLOYABLE_STAGES = ['dev', 'sit', 'prod'];

async function serverlessResources({ resolveVariable }) {
  const stage = await resolveVariable('sls:stage');
  if (!DEPLOYABLE_STAGES.includes(stage)) {
    throw new Error(`stage must be one of ${DEPLOYABLE_STAGES.join(', ')}, got ${stage}`);
  }
  return { Resources: cloudFormationResources(stage) };
}

module.exports = serverlessResources;
module.exports.tables = tables;
module.exports.DEPLOYABLE_STAGES = DEPLOYABLE_STAGES;
module.exports.tableName = tableName;
module.exports.cloudFormationTable = cloudFormationTable;
module.exports.cloudFormationResources = cloudFormationResources;
