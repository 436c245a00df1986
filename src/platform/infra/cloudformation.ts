import type { QueueDefinition, TableDefinition } from './definitions.js';

/** Stages that deploy to AWS; anything else (local, test, rt...) is a local stage. */
export const DEPLOYABLE_STAGES = ['dev', 'sit', 'prod'] as const;

/** Outside dev, data is protected: deletion protection on, and CloudFormation retains the table. */
export const isProtectedStage = (stage: string): boolean =>
  (DEPLOYABLE_STAGES as readonly string[]).includes(stage) && stage !== 'dev';

/**
 * What CloudFormation does with a resource holding data (or the keys to read it) when the stack is deleted or
 * replaces it: outside dev it keeps it. The tables, and the key material without which the event table cannot be
 * read or searched (the personal-data master key, the subject-index key), share it.
 */
export const retention = (
  stage: string,
): { DeletionPolicy: 'Retain' | 'Delete'; UpdateReplacePolicy: 'Retain' | 'Delete' } => {
  const policy = isProtectedStage(stage) ? 'Retain' : 'Delete';
  return { DeletionPolicy: policy, UpdateReplacePolicy: policy };
};

export const tableName = (table: TableDefinition, stage: string): string => `${table.baseName}-${stage}`;

export const queueName = (queue: QueueDefinition, stage: string): string =>
  `${queue.baseName}-${stage}${queue.fifo ? '.fifo' : ''}`;

export const deadLetterName = (queue: QueueDefinition, stage: string): string =>
  `${queue.baseName}-dlq-${stage}${queue.fifo ? '.fifo' : ''}`;

/**
 * The one queue keeping what EventBridge could not deliver to a rule's target (`RuleTargetsDeadLetter`): a
 * standard queue, as EventBridge requires of a target's dead-letter queue, whatever the target.
 */
export const RULE_TARGETS_DEAD_LETTER = 'RuleTargetsDeadLetter';
export const ruleTargetsDeadLetterName = (stage: string): string => `bbws-rule-targets-dlq-${stage}`;

/**
 * How EventBridge retries a rule's target before the dead-letter queue (its default, 24 hours and 185 attempts,
 * then the event dropped): an hour, at most 24 retries with its exponential backoff. Throttling and a briefly
 * unavailable target recover within it; a refusal (a queue policy, a KMS key, a deleted queue) is not retried at
 * all and goes to the dead-letter queue at once.
 */
export const RULE_TARGET_RETRY = { MaximumRetryAttempts: 24, MaximumEventAgeInSeconds: 3600 } as const;

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Resource = { Type: string; Properties: { [key: string]: Json } } & { [key: string]: Json };

export const getAtt = (logicalId: string, attribute: string): Json => ({
  'Fn::GetAtt': [logicalId, attribute],
});
export const ref = (logicalId: string): Json => ({ Ref: logicalId });
export const sub = (template: string): Json => ({ 'Fn::Sub': template });

function keySchema(key: TableDefinition['key']): Json {
  const schema: Json[] = [{ AttributeName: key.hash, KeyType: 'HASH' }];
  if (key.range) schema.push({ AttributeName: key.range, KeyType: 'RANGE' });
  return schema;
}

/** The AWS::DynamoDB::Table a definition deploys as; the local runtime creates tables from the same output. */
export function cloudFormationTable(table: TableDefinition, stage: string): Resource {
  const retained = isProtectedStage(stage);
  const properties: { [key: string]: Json } = {
    TableName: tableName(table, stage),
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: Object.entries(table.attributes).map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(table.key),
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    DeletionProtectionEnabled: retained,
  };
  if (table.globalIndexes.length > 0) {
    properties.GlobalSecondaryIndexes = table.globalIndexes.map((index) => ({
      IndexName: index.name,
      KeySchema: keySchema(index.key),
      Projection: { ProjectionType: 'ALL' },
    }));
  }
  if (table.stream) properties.StreamSpecification = { StreamViewType: table.stream };
  if (table.ttlAttribute)
    properties.TimeToLiveSpecification = { AttributeName: table.ttlAttribute, Enabled: true };
  return {
    Type: 'AWS::DynamoDB::Table',
    ...retention(stage),
    Properties: properties,
  };
}

/** A queue and, when it has a redrive policy, its dead-letter queue (`<id>DeadLetter`). */
export function cloudFormationQueue(
  id: string,
  queue: QueueDefinition,
  stage: string,
): Record<string, Resource> {
  const fifo: { [key: string]: Json } = queue.fifo
    ? { FifoQueue: true, ContentBasedDeduplication: true }
    : {};
  const resources: Record<string, Resource> = {};
  const properties: { [key: string]: Json } = {
    QueueName: queueName(queue, stage),
    MessageRetentionPeriod: queue.retentionSeconds ?? 1_209_600,
    ...fifo,
  };
  if (queue.visibilityTimeoutSeconds !== undefined)
    properties.VisibilityTimeout = queue.visibilityTimeoutSeconds;
  if (queue.maxReceiveCount !== undefined) {
    resources[`${id}DeadLetter`] = {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: deadLetterName(queue, stage), MessageRetentionPeriod: 1_209_600, ...fifo },
    };
    properties.RedrivePolicy = {
      deadLetterTargetArn: getAtt(`${id}DeadLetter`, 'Arn'),
      maxReceiveCount: queue.maxReceiveCount,
    };
  }
  resources[id] = { Type: 'AWS::SQS::Queue', Properties: properties };
  return resources;
}
