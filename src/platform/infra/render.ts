import {
  cloudFormationQueue,
  cloudFormationTable,
  DEPLOYABLE_STAGES,
  getAtt,
  type Json,
  RULE_TARGET_RETRY,
  RULE_TARGETS_DEAD_LETTER,
  ref,
  ruleTargetsDeadLetterName,
} from './cloudformation.js';
import type {
  BusRuleDefinition,
  Deployables,
  EnvironmentValue,
  FunctionDefinition,
  QueueDefinition,
  QueueRuleDefinition,
  RuleDefinition,
  TableDefinition,
  Trigger,
} from './definitions.js';
import { tableEnvironment } from './function-tables.js';
import { busArn, executionRole, roleId } from './iam.js';
import { queueWiringProblems } from './queue-checks.js';
import { secretEnvironment } from './stack-secrets.js';

/** Every module's deployables merged, refusing a logical id declared twice. */
export interface Merged {
  tables: Record<string, TableDefinition>;
  queues: Record<string, QueueDefinition>;
  rules: Record<string, RuleDefinition>;
  functions: FunctionDefinition[];
  resources: ((stage: string) => Readonly<Record<string, unknown>>)[];
  parameters: ((stage: string) => Readonly<Record<string, unknown>>)[];
}

export function merge(modules: readonly Deployables[]): Merged {
  const merged: Merged = { tables: {}, queues: {}, rules: {}, functions: [], resources: [], parameters: [] };
  const ids = new Set<string>();
  const claim = (id: string) => {
    if (ids.has(id)) throw new Error(`logical id ${id} is declared twice`);
    ids.add(id);
  };
  for (const module of modules) {
    for (const [kind, entries] of [
      ['tables', module.tables],
      ['queues', module.queues],
      ['rules', module.rules],
    ] as const) {
      for (const [id, value] of Object.entries(entries ?? {})) {
        claim(id);
        (merged[kind] as Record<string, unknown>)[id] = value;
      }
    }
    for (const fn of module.functions ?? []) {
      claim(fn.name);
      merged.functions.push(fn);
    }
    if (module.resources) merged.resources.push(module.resources);
    if (module.parameters) merged.parameters.push(module.parameters);
  }
  return merged;
}

export function assertDeployableStage(stage: string): void {
  if (!(DEPLOYABLE_STAGES as readonly string[]).includes(stage)) {
    throw new Error(`stage must be one of ${DEPLOYABLE_STAGES.join(', ')}, got ${stage}`);
  }
}

function triggerEvent(trigger: Trigger): Json {
  switch (trigger.kind) {
    case 'stream':
      return {
        stream: {
          type: 'dynamodb',
          arn: getAtt(trigger.table, 'StreamArn'),
          startingPosition: trigger.startingPosition,
          batchSize: trigger.batchSize,
          batchWindow: 0,
          maximumRetryAttempts: trigger.maximumRetryAttempts,
          maximumRecordAgeInSeconds: trigger.maximumRecordAgeInSeconds,
          bisectBatchOnFunctionError: trigger.bisectBatchOnFunctionError,
          functionResponseType: 'ReportBatchItemFailures',
          destinations: { onFailure: { arn: getAtt(trigger.onFailureQueue, 'Arn'), type: 'sqs' } },
        },
      };
    case 'sqs':
      return {
        sqs: {
          arn: getAtt(trigger.queue, 'Arn'),
          batchSize: trigger.batchSize,
          // FIFO mappings take no batching window at all (not even 0): only render one that was declared.
          ...(trigger.maximumBatchingWindowSeconds === undefined
            ? {}
            : { maximumBatchingWindow: trigger.maximumBatchingWindowSeconds }),
          functionResponseType: 'ReportBatchItemFailures',
        },
      };
    case 'eventBridge':
      return {
        eventBridge: {
          ...(trigger.bus === 'platform' ? { eventBus: ref('EventBus') } : {}),
          pattern: trigger.pattern as Json,
        },
      };
    default:
      return trigger satisfies never;
  }
}

/** The SSM parameter of a stage that an `{ ssmParameter }` environment value names. */
export const ssmParameterName = (stage: string, parameter: string): string => `/bbws/${stage}/${parameter}`;

/** A function's own environment, its parameters as CloudFormation dynamic references of the stage. */
function functionEnvironment(
  environment: Readonly<Record<string, EnvironmentValue>>,
  stage: string,
): Record<string, Json> {
  return Object.fromEntries(
    Object.entries(environment).map(([name, value]) => [
      name,
      typeof value === 'string'
        ? value
        : 'stackValue' in value
          ? ref(value.stackValue)
          : 'stackList' in value
            ? { 'Fn::Join': [',', ref(value.stackList)] }
            : `{{resolve:ssm:${ssmParameterName(stage, value.ssmParameter)}}}`,
    ]),
  );
}

/** serverless.yml's `functions`: handler, role, its own environment, and every trigger as a Serverless event. */
export function serverlessFunctions(merged: Merged, stage: string): Record<string, Json> {
  return Object.fromEntries(
    merged.functions.map((fn) => {
      const events: Json[] = [
        ...(fn.routes ?? []).map((route) => ({ httpApi: { method: route.method, path: route.path } })),
        ...(fn.catchAll ? [{ httpApi: '*' }] : []),
        ...(fn.triggers ?? []).map(triggerEvent),
      ];
      const definition: Record<string, Json> = {
        handler: fn.handler,
        description: fn.description,
        role: roleId(fn),
        events,
      };
      if (fn.timeoutSeconds !== undefined) definition.timeout = fn.timeoutSeconds;
      if (fn.memorySize !== undefined) definition.memorySize = fn.memorySize;
      if (fn.environment) definition.environment = functionEnvironment(fn.environment, stage);
      // The names of the tables it uses (function-tables.ts) and only the secrets it uses (stack-secrets.ts),
      // beside its own variables: neither is in the provider's environment.
      const derived = { ...tableEnvironment(fn), ...secretEnvironment(fn) };
      if (Object.keys(derived).length > 0)
        definition.environment = {
          ...(definition.environment as Record<string, Json> | undefined),
          ...derived,
        };
      return [fn.name, definition];
    }),
  );
}

const busName = (rule: RuleDefinition): Json => (rule.bus === 'platform' ? ref('EventBus') : 'default');

function ruleResources(id: string, rule: RuleDefinition): Record<string, Json> {
  return 'queue' in rule ? queueRuleResources(id, rule) : busRuleResources(id, rule);
}

/**
 * A rule forwarding to another bus, and the role EventBridge uses to put the events there (AWS recommends a role
 * for every bus target and requires one across accounts): events:PutEvents on the target bus only.
 */
function busRuleResources(id: string, rule: BusRuleDefinition): Record<string, Json> {
  return {
    [id]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: rule.description,
        EventBusName: busName(rule),
        EventPattern: rule.pattern as Json,
        State: 'ENABLED',
        Targets: [
          {
            Id: `${id}Bus`,
            Arn: busArn(rule.targetBus),
            RoleArn: getAtt(`${id}Role`, 'Arn'),
            ...undeliveredPolicy,
          },
        ],
      },
    },
    [`${id}Role`]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' },
          ],
        },
        Policies: [
          {
            PolicyName: 'put-events-on-target-bus',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: busArn(rule.targetBus) }],
            },
          },
        ],
      },
    },
  };
}

/** Every rule target: retried as RULE_TARGET_RETRY says, then kept in the rule targets' dead-letter queue. */
const undeliveredPolicy = {
  RetryPolicy: { ...RULE_TARGET_RETRY },
  DeadLetterConfig: { Arn: getAtt(RULE_TARGETS_DEAD_LETTER, 'Arn') },
};

/**
 * The rule targets' dead-letter queue (14 days), the policy letting exactly the stack's rules send to it, and its
 * alarm. EventBridge sends an event there when it could not deliver it to the target (retries over, or refused).
 */
function ruleTargetsDeadLetter(ruleIds: readonly string[], stage: string): Record<string, Json> {
  if (ruleIds.length === 0) return {};
  return {
    [RULE_TARGETS_DEAD_LETTER]: {
      Type: 'AWS::SQS::Queue',
      Properties: { QueueName: ruleTargetsDeadLetterName(stage), MessageRetentionPeriod: 1_209_600 },
    },
    [`${RULE_TARGETS_DEAD_LETTER}Policy`]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(RULE_TARGETS_DEAD_LETTER)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: getAtt(RULE_TARGETS_DEAD_LETTER, 'Arn'),
              Condition: { ArnEquals: { 'aws:SourceArn': ruleIds.map((id) => getAtt(id, 'Arn')) } },
            },
          ],
        },
      },
    },
    [`${RULE_TARGETS_DEAD_LETTER}Alarm`]: deadLetterAlarm(
      RULE_TARGETS_DEAD_LETTER,
      stage,
      'Events EventBridge could not deliver to a rule target: see docs/operations.md, "Rule targets\' dead letters"',
      getAtt(RULE_TARGETS_DEAD_LETTER, 'QueueName'),
    ),
  };
}

/** A rule delivering to a queue, and the queue policy letting that rule (only) send to it. */
function queueRuleResources(id: string, rule: QueueRuleDefinition): Record<string, Json> {
  return {
    [id]: {
      Type: 'AWS::Events::Rule',
      Properties: {
        Description: rule.description,
        EventBusName: busName(rule),
        EventPattern: rule.pattern as Json,
        State: 'ENABLED',
        Targets: [
          {
            Id: `${id}Queue`,
            Arn: getAtt(rule.queue, 'Arn'),
            ...(rule.messageGroupId ? { SqsParameters: { MessageGroupId: rule.messageGroupId } } : {}),
            ...undeliveredPolicy,
          },
        ],
      },
    },
    [`${id}QueuePolicy`]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(rule.queue)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: getAtt(rule.queue, 'Arn'),
              Condition: { ArnEquals: { 'aws:SourceArn': getAtt(id, 'Arn') } },
            },
          ],
        },
      },
    },
  };
}

/**
 * In ALARM while the queue's DLQ holds a message: retries ran out for something (docs/operations.md says what to
 * do). No action is attached yet: a stage's notification topic subscribes when it exists.
 */
function deadLetterAlarm(
  id: string,
  stage: string,
  description = `Messages in the dead-letter queue of ${id}: redrive with npm run bbws -- queues redrive ${id}`,
  queueName: Json = getAtt(`${id}DeadLetter`, 'QueueName'),
): Json {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: `bbws-${stage}-${id}-dead-letters`,
      AlarmDescription: description,
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: queueName }],
      Statistic: 'Maximum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      TreatMissingData: 'notBreaching',
    },
  };
}

/** serverless.yml's `resources.Parameters`: the ones modules declare (resolved by CloudFormation from SSM). */
export function cloudFormationParameters(merged: Merged, stage: string): Record<string, Json> {
  const parameters: Record<string, Json> = {};
  for (const more of merged.parameters)
    for (const [id, parameter] of Object.entries(more(stage))) {
      if (id in parameters) throw new Error(`parameter ${id} is declared twice`);
      parameters[id] = parameter as Json;
    }
  return parameters;
}

/** serverless.yml's `resources.Resources`: tables, queues, rules, one role per function, and the rest. */
export function cloudFormationResources(merged: Merged, stage: string): Record<string, Json> {
  const problems = queueWiringProblems(merged);
  if (problems.length > 0) throw new Error(`queue wiring AWS would refuse:\n  ${problems.join('\n  ')}`);
  const resources: Record<string, Json> = {};
  for (const [id, table] of Object.entries(merged.tables)) resources[id] = cloudFormationTable(table, stage);
  for (const [id, queue] of Object.entries(merged.queues)) {
    Object.assign(resources, cloudFormationQueue(id, queue, stage));
    if (queue.maxReceiveCount !== undefined) resources[`${id}DeadLetterAlarm`] = deadLetterAlarm(id, stage);
  }
  for (const [id, rule] of Object.entries(merged.rules)) Object.assign(resources, ruleResources(id, rule));
  Object.assign(resources, ruleTargetsDeadLetter(Object.keys(merged.rules), stage));
  for (const fn of merged.functions) resources[roleId(fn)] = executionRole(fn, stage);
  for (const more of merged.resources) Object.assign(resources, more(stage));
  return resources;
}
