// biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings
import { ECS_DEPLOYMENT_STATE_CHANGE, ECS_SERVICE_ACTION } from '../domain/ecs-events.js';

/**
 * What an operator deploys in each workload account (docs/deployment.md, "In each workload account"), declared once
 * here and written to infra/workload-account.template.json (`npm run -s workload-account-template`; a test proves
 * the file is this output):
 * - the role `bbws-control-<env>` the control plane's ECS control and ECS state sync assume: trusted by exactly those
 *   two function roles of one control-plane account and stage, allowed exactly the ECS and Application Auto Scaling
 *   calls they make, on the tenants' services of the `bbws-<env>` cluster;
 * - the default-bus rule forwarding the cluster's ECS events to the control plane's default bus, with the role
 *   EventBridge puts them there with (the control plane's bus policy lets the workload accounts put).
 * The local runtime defines the same role from this template (controlRoleOf), so its STS and IAM stand-ins enforce
 * what AWS would.
 */

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The control plane's functions that act in a workload account (their role names: src/platform/infra/iam.ts). */
export const WORKLOAD_CALLERS = ['ecsControl', 'ecsStateSync'] as const;

/** The role a workload environment's account defines for the control plane. */
export const controlRoleName = (environment: string): string => `bbws-control-${environment}`;

const sub = (text: string): Json => ({ 'Fn::Sub': text });

const callerRoleArn = (fn: string) =>
  `arn:\${AWS::Partition}:iam::\${ControlPlaneAccountId}:role/bbws-control-plane-\${ControlPlaneStage}-${fn}`;

const controlRole: Json = {
  Type: 'AWS::IAM::Role',
  Properties: {
    RoleName: sub('bbws-control-${Environment}'),
    Description: sub(
      'Assumed by the BBWS control plane (${ControlPlaneStage}) to control the tenants ECS services',
    ),
    // Lambda's own credentials are a role session: assuming this role from a function is role chaining (1 h at most).
    MaxSessionDuration: 3600,
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'ControlPlaneEcsFunctions',
          Effect: 'Allow',
          // The account as principal, narrowed by the role ARNs: a trust policy naming a role ARN directly breaks
          // (becomes the role's old unique id) when the control plane re-creates that role.
          Principal: { AWS: sub('arn:${AWS::Partition}:iam::${ControlPlaneAccountId}:root') },
          Action: 'sts:AssumeRole',
          Condition: {
            ArnEquals: { 'aws:PrincipalArn': WORKLOAD_CALLERS.map((fn) => sub(callerRoleArn(fn))) },
          },
        },
      ],
    },
    Policies: [
      {
        PolicyName: 'tenant-services',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'TenantServices',
              Effect: 'Allow',
              Action: ['ecs:DescribeServices', 'ecs:UpdateService'],
              Resource: sub(
                'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/bbws-${Environment}/bbws-${Environment}-tenant-*',
              ),
            },
            {
              // AWS names a scalable target by a generated id, and Application Auto Scaling has no condition key of
              // its own (the Service Authorization Reference lists only aws:RequestTag, aws:ResourceTag,
              // aws:TagKeys): a namespace/dimension condition would never match, denying every call. The account's
              // scalable targets are what IAM can name; registering an ECS service's target also takes
              // ecs:DescribeServices/UpdateService on it, which this role has on the tenants' services only.
              Sid: 'TenantScalableTargets',
              Effect: 'Allow',
              Action: 'application-autoscaling:RegisterScalableTarget',
              Resource: sub(
                'arn:${AWS::Partition}:application-autoscaling:${AWS::Region}:${AWS::AccountId}:scalable-target/*',
              ),
            },
            {
              // No resource type: only `*` grants it.
              Sid: 'DescribeScalableTargets',
              Effect: 'Allow',
              Action: 'application-autoscaling:DescribeScalableTargets',
              Resource: '*',
            },
          ],
        },
      },
    ],
  },
};

/**
 * The control plane's default bus, in the control plane's region: the workload stack runs in the environment's
 * region (infrastructure.awsRegion, where its cluster is), which may differ (a cross-region bus target).
 */
const controlPlaneBus = sub(
  'arn:${AWS::Partition}:events:${ControlPlaneRegion}:${ControlPlaneAccountId}:event-bus/default',
);

const forwarderRole: Json = {
  Type: 'AWS::IAM::Role',
  Properties: {
    Description: "EventBridge forwards the cluster's ECS events to the control plane's default bus with it",
    AssumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    },
    Policies: [
      {
        PolicyName: 'put-to-control-plane',
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [{ Effect: 'Allow', Action: 'events:PutEvents', Resource: controlPlaneBus }],
        },
      },
    ],
  },
};

const forwardRule: Json = {
  Type: 'AWS::Events::Rule',
  Properties: {
    Description: "The cluster's ECS service and deployment events, to the control plane's default bus",
    EventBusName: 'default',
    State: 'ENABLED',
    EventPattern: {
      source: ['aws.ecs'],
      'detail-type': [ECS_SERVICE_ACTION, ECS_DEPLOYMENT_STATE_CHANGE],
      resources: [
        {
          prefix: sub(
            'arn:${AWS::Partition}:ecs:${AWS::Region}:${AWS::AccountId}:service/bbws-${Environment}/',
          ),
        },
      ],
    },
    Targets: [
      {
        Id: 'control-plane',
        Arn: controlPlaneBus,
        RoleArn: { 'Fn::GetAtt': ['EcsEventsForwarderRole', 'Arn'] },
      },
    ],
  },
};

/** The workload account's CloudFormation template (one stack per workload account and environment). */
export function workloadAccountTemplate(): Json {
  return {
    AWSTemplateFormatVersion: '2010-09-09',
    Description:
      'BBWS workload account: the role the control plane assumes, and the forwarding of ECS events to it (generated by src/contexts/instances/ecs/workload-account.ts)',
    Parameters: {
      ControlPlaneAccountId: {
        Type: 'String',
        AllowedPattern: '^\\d{12}$',
        Description: 'The account of the control plane stack (bbws-control-plane-<stage>)',
      },
      ControlPlaneRegion: {
        Type: 'String',
        AllowedPattern: '^[a-z]{2}(-[a-z]+)+-\\d$',
        Default: 'af-south-1',
        Description:
          "The control plane stack's region (its default bus receives this account's ECS events); deploy this stack in the environment's own region (infrastructure.awsRegion, else the control plane's)",
      },
      ControlPlaneStage: {
        Type: 'String',
        AllowedValues: ['dev', 'sit', 'prod'],
        Description: 'The control plane stage that manages this environment',
      },
      Environment: {
        Type: 'String',
        AllowedValues: ['dev', 'sit', 'prod'],
        Description: 'The workload environment of this account (its cluster is bbws-<Environment>)',
      },
    },
    Resources: {
      ControlRole: controlRole,
      EcsEventsForwarderRole: forwarderRole,
      EcsEventsForwardRule: forwardRule,
    },
    Outputs: {
      ControlRoleArn: {
        Description:
          "The roleArn of this environment in the control plane's /bbws/<stage>/workload-environments",
        Value: { 'Fn::GetAtt': ['ControlRole', 'Arn'] },
      },
    },
  };
}

export interface WorkloadAccountParameters {
  account: string;
  region: string;
  controlPlaneAccount: string;
  controlPlaneStage: string;
  environment: string;
}

/** The control role of one workload account, resolved from the template: what the local STS and IAM enforce. */
export function controlRoleOf(parameters: WorkloadAccountParameters): {
  arn: string;
  trust: unknown;
  policies: unknown[];
  maxSessionSeconds: number;
} {
  const values: Record<string, string> = {
    'AWS::Partition': 'aws',
    'AWS::Region': parameters.region,
    'AWS::AccountId': parameters.account,
    ControlPlaneAccountId: parameters.controlPlaneAccount,
    ControlPlaneStage: parameters.controlPlaneStage,
    Environment: parameters.environment,
  };
  const props = (workloadAccountTemplate() as { Resources: { ControlRole: { Properties: Json } } }).Resources
    .ControlRole.Properties as { [key: string]: Json };
  const resolved = resolve(props, values) as {
    RoleName: string;
    AssumeRolePolicyDocument: unknown;
    Policies: { PolicyDocument: unknown }[];
    MaxSessionDuration: number;
  };
  return {
    arn: `arn:aws:iam::${parameters.account}:role/${resolved.RoleName}`,
    trust: resolved.AssumeRolePolicyDocument,
    policies: resolved.Policies.map((p) => p.PolicyDocument),
    maxSessionSeconds: resolved.MaxSessionDuration,
  };
}

/** `Fn::Sub` (variables only) and `Ref` of parameters: all the template's role uses. */
function resolve(value: Json, values: Record<string, string>): Json {
  if (Array.isArray(value)) return value.map((v) => resolve(v, values));
  if (value === null || typeof value !== 'object') return value;
  const sub = value['Fn::Sub'];
  if (typeof sub === 'string')
    return sub.replace(/\$\{([\w:]+)\}/g, (_, name: string) => {
      const found = values[name];
      if (found === undefined) throw new Error(`workload account template: no value for \${${name}}`);
      return found;
    });
  const ref = value.Ref;
  if (typeof ref === 'string') {
    const found = values[ref];
    if (found === undefined) throw new Error(`workload account template: no value for Ref ${ref}`);
    return found;
  }
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, values)]));
}
