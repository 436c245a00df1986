import type { RouteDeclaration } from '#src/platform/http/route.js';
import type { StackSecret } from './stack-secrets.js';

/**
 * The vocabulary in which the platform and every bounded context declare what they deploy: tables, queues,
 * rules, functions with their triggers and permissions. Declared once, in code; serverless.yml renders it
 * (src/platform/infra/serverless.cjs), the local runtime derives its wiring from the packaged template, IAM roles
 * come from the permissions, and tests prove the three agree.
 */

export type AttributeType = 'S' | 'N' | 'B';

export interface KeyDefinition {
  hash: string;
  range?: string;
}

export interface TableDefinition {
  /** The table's name without the stage suffix, e.g. `bbws-tenants`. */
  baseName: string;
  attributes: Record<string, AttributeType>;
  key: KeyDefinition;
  stream?: 'NEW_IMAGE' | 'NEW_AND_OLD_IMAGES' | 'KEYS_ONLY' | 'OLD_IMAGE';
  ttlAttribute?: string;
  globalIndexes: { name: string; key: KeyDefinition }[];
}

export interface QueueDefinition {
  /** The queue's name without the stage suffix (FIFO queues get `.fifo` appended). */
  baseName: string;
  fifo?: boolean;
  /** Seconds; AWS advises at least six times the consuming function's timeout. */
  visibilityTimeoutSeconds?: number;
  retentionSeconds?: number;
  /** Receives before a message moves to the queue's dead-letter queue (`<baseName>-dlq`); none without it. */
  maxReceiveCount?: number;
}

/** An EventBridge event pattern (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html). */
export type EventPattern = { [key: string]: unknown };

/** The platform's own bus (`bbws-events-<stage>`) or the account's default bus (where AWS services send). */
export type BusRef = 'platform' | 'default';

interface RuleBase {
  bus: BusRef;
  description: string;
  pattern: EventPattern;
}

/** A rule delivering matching events to a queue (the consumer reads the queue: retries, DLQ, batching). */
export interface QueueRuleDefinition extends RuleBase {
  /** Logical id of a queue of the same module set. */
  queue: string;
  /** FIFO queues only: EventBridge's SqsParameters.MessageGroupId is a fixed string. */
  messageGroupId?: string;
}

/**
 * A rule forwarding matching events to another bus, with a role allowed to put them there: how AWS services'
 * events, which reach only an account's default bus, get onto the platform's bus (in AWS each workload account
 * forwards to the control plane's bus; locally one account does both). EventBridge never forwards an event that
 * arrived from another bus a second time.
 */
export interface BusRuleDefinition extends RuleBase {
  targetBus: BusRef;
}

export type RuleDefinition = QueueRuleDefinition | BusRuleDefinition;

export interface StreamTrigger {
  kind: 'stream';
  /** Logical id of a table with a stream. */
  table: string;
  batchSize: number;
  /** -1: until the record expires (24 h); see docs/operations.md for what the handler does before that. */
  maximumRetryAttempts: number;
  /** -1 or 60..604800 */
  maximumRecordAgeInSeconds: number;
  bisectBatchOnFunctionError: boolean;
  /** Logical id of the queue receiving Lambda's on-failure metadata. */
  onFailureQueue: string;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
}

export interface SqsTrigger {
  kind: 'sqs';
  /** Logical id of a queue. */
  queue: string;
  batchSize: number;
  maximumBatchingWindowSeconds?: number;
}

/** A rule on a bus invoking the function directly (asynchronous invocation: two retries, then dropped). */
export interface EventBridgeTrigger {
  kind: 'eventBridge';
  bus: BusRef;
  pattern: EventPattern;
}

export type Trigger = StreamTrigger | SqsTrigger | EventBridgeTrigger;

export type DynamoAction =
  | 'GetItem'
  | 'BatchGetItem'
  | 'Query'
  | 'Scan'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'BatchWriteItem'
  | 'ConditionCheckItem';

/**
 * What a function may call, in the platform's terms; rendered to IAM statements on its own role. Trigger
 * permissions (reading its stream or queue, sending to its on-failure queue, writing its logs) are added by
 * the renderer.
 */
export type Permission =
  | { service: 'dynamodb'; actions: readonly DynamoAction[]; tables: readonly string[]; indexes?: boolean }
  | { service: 'events'; actions: readonly 'PutEvents'[]; bus: BusRef }
  | {
      service: 'sqs';
      actions: readonly (
        | 'SendMessage'
        | 'ReceiveMessage'
        | 'DeleteMessage'
        | 'GetQueueAttributes'
        | 'GetQueueUrl'
      )[];
      queues: readonly string[];
    }
  /** Reading a secret named `bbws/<stage>/<name>` (kept outside the stack, e.g. a GitHub App's credentials). */
  | { service: 'secretsmanager'; actions: readonly 'GetSecretValue'[]; secret: string }
  | { service: 'cognito-idp'; actions: readonly string[] }
  /** The tenants' ECS services (`service/bbws-<env>/bbws-<env>-tenant-<id>`): ECS control reads and scales them. */
  | { service: 'ecs'; actions: readonly ('DescribeServices' | 'UpdateService')[] }
  /**
   * Their Application Auto Scaling targets. AWS names a target by a generated id, so RegisterScalableTarget gets
   * `scalable-target/*`; DescribeScalableTargets has no resource type: a permission of Describe alone gets `*`.
   */
  | {
      service: 'application-autoscaling';
      actions: readonly ('RegisterScalableTarget' | 'DescribeScalableTargets')[];
    }
  /** Use of a KMS key of the stack (logical id), e.g. the key wrapping personal data's data keys. */
  | { service: 'kms'; actions: readonly ('GenerateDataKey' | 'Decrypt')[]; key: string }
  /**
   * Assuming roles of other accounts, by role name (`bbws-control-<env>`, one per workload account): granted on
   * that name in the accounts of `accountsParameter` (`aws:ResourceAccount`; which account is which environment's
   * is the stage's SSM configuration, read at run time). The other side confines it too: a role can be assumed only
   * where its own trust policy names this function's role, and the workload accounts' template names exactly the
   * roles of the functions holding this permission (so these get a fixed RoleName: src/platform/infra/iam.ts).
   */
  | {
      service: 'sts';
      actions: readonly 'AssumeRole'[];
      roles: readonly string[];
      /**
       * The template parameter (a List<String> / CommaDelimitedList of account ids) the roles' accounts must be in:
       * the grant carries `StringEquals aws:ResourceAccount` on it, so these credentials are never exchanged for a
       * same-named role of an account outside it.
       */
      accountsParameter: string;
    };

/**
 * A value of a function's own environment: a literal, or a String parameter the operator keeps per stage in SSM
 * Parameter Store, named `/bbws/<stage>/<ssmParameter>` (docs/deployment.md, "What an operator provides per
 * stage"), which CloudFormation resolves when it deploys (`{{resolve:ssm:...}}`). Outside AWS there is no such
 * parameter: the local runtime leaves these unset and the contexts' stand-ins set their own values.
 */
export type EnvironmentValue =
  | string
  | { readonly ssmParameter: string }
  /** A value of the stack itself (`{Ref: 'AWS::AccountId'}`): locally unset too, the stand-ins set their own. */
  | { readonly stackValue: 'AWS::AccountId' | 'AWS::Region' }
  /**
   * A list parameter of the template (a context's `parameters`, e.g. an SSM StringList), its items joined with
   * commas (`Fn::Join`): the function reads the very list its grants and resources are built on. Locally unset too.
   */
  | { readonly stackList: string };

export interface FunctionDefinition {
  /** The function's name in serverless.yml (camelCase). */
  name: string;
  /** `<module path without extension>.<export>`, e.g. `src/platform/handlers/health.handler`. */
  handler: string;
  description: string;
  /**
   * Secrets of the stack the function reads beyond those its routes and permissions imply (stack-secrets.ts
   * derives them: authenticated routes, the cursor secret; appending personal data, the subject-index key).
   */
  secrets?: readonly StackSecret[];
  timeoutSeconds?: number;
  memorySize?: number;
  /** HTTP routes this function serves (API Gateway HTTP API); `$default` catches every other request. */
  routes?: readonly RouteDeclaration[];
  catchAll?: boolean;
  triggers?: readonly Trigger[];
  permissions: readonly Permission[];
  /** Variables only this function reads (its context's configuration), beside the provider's. */
  environment?: Readonly<Record<string, EnvironmentValue>>;
  /** Only a function that needs another budget than DEFAULT_BUNDLE_BUDGET states its own (bench/bundles.ts). */
  bundleBudget?: BundleBudget;
}

/**
 * What a function's deployed bundle may cost: the zip as `npm run package` writes it, and the median import of
 * its handler module in a fresh Node process with the template's NODE_OPTIONS (docs/performance.md, "Bundles").
 */
export interface BundleBudget {
  zipBytes: number;
  importMs: number;
}

export const DEFAULT_BUNDLE_BUDGET: BundleBudget = { zipBytes: 1024 * 1024, importMs: 100 };

/** What one module (the platform, or one bounded context) deploys. */
export interface Deployables {
  tables?: Readonly<Record<string, TableDefinition>>;
  queues?: Readonly<Record<string, QueueDefinition>>;
  rules?: Readonly<Record<string, RuleDefinition>>;
  functions?: readonly FunctionDefinition[];
  /** Other CloudFormation resources (the event bus, the user pool), by logical id. */
  resources?: (stage: string) => Readonly<Record<string, unknown>>;
  /**
   * CloudFormation parameters those resources `Ref`, by logical id: only ones CloudFormation resolves itself when it
   * deploys (an `AWS::SSM::Parameter::Value<...>` type with the parameter's name as default), so packaging stays
   * offline and an operator passes nothing.
   */
  parameters?: (stage: string) => Readonly<Record<string, unknown>>;
}
