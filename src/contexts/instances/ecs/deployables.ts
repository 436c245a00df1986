// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings
import type { Deployables, FunctionDefinition, Permission } from '#src/platform/infra/definitions.js';
import { readsPersonalData } from '#src/platform/platform.definition.js';
import { ECS_DEPLOYMENT_STATE_CHANGE, ECS_SERVICE_ACTION } from '../domain/ecs-events.js';
import { InstanceEnvironment } from '../domain/instance.events.js';
import { controlRoleName } from './workload-account.js';

/** Standard queues (order never matters: every consumer acts on a head); 5 receives, then the DLQ. */
const queue = (baseName: string) => ({ baseName, visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });

/**
 * ECS control, the ECS state sync and the reactions to tenant events: their queues, rules and functions
 * (src/contexts/instances/README.md; what an operator does with their DLQs: docs/operations.md).
 */
/**
 * What ECS control and the state sync read of the stage's configuration: the workload environments (the same SSM
 * parameter the provisioner reads: cluster and roleArn per environment, one copy) and the stack's own account
 * (an environment without a roleArn is in it).
 */
const workloadEnvironment: FunctionDefinition['environment'] = {
  WORKLOAD_ENVIRONMENTS: { ssmParameter: 'workload-environments' },
  CONTROL_PLANE_ACCOUNT: { stackValue: 'AWS::AccountId' },
  // the accounts the AssumeRole grant and the bus policy admit: checked against the environments' roles (ecs.config.ts)
  WORKLOAD_ACCOUNT_IDS: { stackList: 'WorkloadAccountIds' },
};

/**
 * Each workload environment's role (`bbws-control-<env>`, in its account): the ECS calls run with it. Confined to
 * the workload accounts (WorkloadAccountIds, below) by `aws:ResourceAccount`.
 */
const assumeWorkloadRoles: Permission = {
  service: 'sts',
  actions: ['AssumeRole'],
  roles: InstanceEnvironment.options.map(controlRoleName),
  // only in the workload accounts (the SSM list the bus policy reads too): never a same-named role elsewhere
  accountsParameter: 'WorkloadAccountIds',
};

/**
 * The workload accounts' default buses forward their ECS events to this account's default bus (the template each
 * runs: infra/workload-account.template.json): this lets them put there. The accounts are the SSM StringList
 * `/bbws/<stage>/workload-account-ids`, which CloudFormation reads when it deploys (docs/deployment.md).
 */
const workloadEventsParameters = (stage: string) => ({
  WorkloadAccountIds: {
    Type: 'AWS::SSM::Parameter::Value<List<String>>',
    Default: `/bbws/${stage}/workload-account-ids`,
    Description: 'The workload accounts whose ECS events this stage receives on its default bus',
  },
});

const workloadEventsResources = (stage: string) => ({
  WorkloadEcsEventsBusPolicy: {
    Type: 'AWS::Events::EventBusPolicy',
    Properties: {
      EventBusName: 'default',
      StatementId: `bbws-${stage}-workload-ecs-events`,
      Statement: {
        Effect: 'Allow',
        Principal: { AWS: { Ref: 'WorkloadAccountIds' } },
        Action: 'events:PutEvents',
        Resource: {
          'Fn::Sub': 'arn:${AWS::Partition}:events:${AWS::Region}:${AWS::AccountId}:event-bus/default',
        },
      },
    },
  },
});

export const ecsDeployables: Required<
  Pick<Deployables, 'queues' | 'rules' | 'functions' | 'resources' | 'parameters'>
> = {
  parameters: workloadEventsParameters,
  resources: workloadEventsResources,
  queues: {
    EcsControlQueue: queue('bbws-ecs-control'),
    EcsStateSyncQueue: queue('bbws-ecs-state-sync'),
    InstanceTenantReactionsQueue: queue('bbws-instance-tenant-reactions'),
  },
  rules: {
    EcsControlRule: {
      bus: 'platform',
      description: 'Instance events that change what its ECS service runs, for ECS control',
      pattern: {
        source: ['bbws.instance-management'],
        'detail-type': [
          'INSTANCE_SCALED',
          'INSTANCE_SUSPENDED',
          'INSTANCE_RESUMED',
          'INSTANCE_WORKFLOW_SUCCEEDED',
          'INSTANCE_RESOURCES_RECORDED',
        ],
      },
      queue: 'EcsControlQueue',
    },
    // AWS services send only to their account's default bus. In AWS each workload account's default bus forwards
    // aws.ecs to this account's default bus (docs/architecture.md, "Topology: workload environments").
    EcsStateSyncRule: {
      bus: 'default',
      description: 'ECS service and deployment events of the workload environments, for the ECS state sync',
      pattern: { source: ['aws.ecs'], 'detail-type': [ECS_SERVICE_ACTION, ECS_DEPLOYMENT_STATE_CHANGE] },
      queue: 'EcsStateSyncQueue',
    },
    InstanceTenantReactionsRule: {
      bus: 'platform',
      description: "Tenant lifecycle and plan changes, for the reactions on the tenant's instances",
      pattern: {
        source: ['bbws.tenant-management'],
        'detail-type': ['TENANT_PARKED', 'TENANT_UNPARKED', 'TENANT_DELETED', 'PLAN_CHANGED'],
      },
      queue: 'InstanceTenantReactionsQueue',
    },
  },
  functions: [
    {
      name: 'ecsControl',
      handler: 'src/contexts/instances/handlers/ecs-control.handler',
      description: "Sets an instance's ECS service counts and autoscaling bounds from the instance's head",
      timeoutSeconds: 10,
      triggers: [{ kind: 'sqs', queue: 'EcsControlQueue', batchSize: 10 }],
      environment: workloadEnvironment,
      permissions: [
        // The instance's stream at its head.
        { service: 'dynamodb', actions: ['Query'], tables: ['EventStoreTable'] },
        assumeWorkloadRoles,
        // An environment without a roleArn (a single-account stage): its own role reads the service's count before
        // setting it (a repeat writes nothing), and its autoscaling bounds.
        { service: 'ecs', actions: ['DescribeServices', 'UpdateService'] },
        { service: 'application-autoscaling', actions: ['RegisterScalableTarget'] },
        { service: 'application-autoscaling', actions: ['DescribeScalableTargets'] },
      ],
    },
    {
      name: 'ecsStateSync',
      handler: 'src/contexts/instances/handlers/ecs-state-sync.handler',
      description:
        "Records each ECS event of a managed service on its instance, with the service's counts (RecordEcsEvent)",
      timeoutSeconds: 10,
      triggers: [{ kind: 'sqs', queue: 'EcsStateSyncQueue', batchSize: 10 }],
      environment: workloadEnvironment,
      permissions: [
        // The service's and the tenant's reservations (GetItem), the instance loaded (Query), the fact appended.
        { service: 'dynamodb', actions: ['GetItem', 'Query', 'PutItem'], tables: ['EventStoreTable'] },
        assumeWorkloadRoles,
        // The service's desired and running counts, recorded with each fact (the tenants' services only), in an
        // environment without a roleArn (a single-account stage).
        { service: 'ecs', actions: ['DescribeServices'] },
      ],
    },
    {
      name: 'instanceTenantReactions',
      handler: 'src/contexts/instances/handlers/reactions.handler',
      description: "Suspends, resumes, deprovisions or re-tiers a tenant's instances on its lifecycle events",
      timeoutSeconds: 10,
      triggers: [{ kind: 'sqs', queue: 'InstanceTenantReactionsQueue', batchSize: 10 }],
      permissions: [
        // The tenant's head (Query; its e-mails opened: KMS), its instances' reservations (GetItem), the commands'
        // events appended (Put) on the condition that the tenant's head is still the one they were chosen on
        // (ConditionCheck).
        {
          service: 'dynamodb',
          actions: ['GetItem', 'Query', 'PutItem', 'ConditionCheckItem'],
          tables: ['EventStoreTable'],
        },
        readsPersonalData,
      ],
    },
  ],
};
