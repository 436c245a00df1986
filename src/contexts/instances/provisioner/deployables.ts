import type { Deployables, FunctionDefinition, Permission } from '#src/platform/infra/definitions.js';
import { webhookRoutes } from './webhook.routes.js';

const CHANGE_STARTS = [
  'INSTANCE_PROVISIONING_REQUESTED',
  'INSTANCE_TIER_APPLIED',
  'INSTANCE_RETRY_REQUESTED',
  'INSTANCE_FOLDER_SYNC_REQUESTED',
  'INSTANCE_DEPROVISIONING_REQUESTED',
];

/** The GitHub credentials (`bbws/<stage>/github`: token, webhook secret, deploy-outcome secret). */
const githubSecret: Permission = { service: 'secretsmanager', actions: ['GetSecretValue'], secret: 'github' };
/** Polls are delayed messages on the follow-up queue (its URL looked up once per process). */
const sendFollowUps: Permission = {
  service: 'sqs',
  actions: ['SendMessage', 'GetQueueUrl'],
  queues: ['ProvisionerFollowQueue'],
};

/**
 * What the provisioner's functions read beside the platform's (provisioner/settings.ts parses it): the workload
 * environments (repositories, clusters, Terraform state, the role per environment), the WordPress image and the
 * sites' first names, kept by the operator per stage in SSM (docs/deployment.md, "What an operator provides per
 * stage"); GitHub's API unless the stage says otherwise. Locally the stand-ins set them all.
 */
const provisionerEnvironment: FunctionDefinition['environment'] = {
  WORKLOAD_ENVIRONMENTS: { ssmParameter: 'workload-environments' },
  WORDPRESS_IMAGE: { ssmParameter: 'wordpress-image' },
  SITE_BASE_DOMAIN: { ssmParameter: 'site-base-domain' },
  PLATFORM_ADMIN_EMAIL: { ssmParameter: 'platform-admin-email' },
  GITHUB_API_URL: 'https://api.github.com',
};

/** The provisioner's queues, rules and functions (README.md, "The provisioner's contract"). */
/** Standard (per-message DelaySeconds: FIFO queues have none); the provisioner sends its follow-ups to it. */
export const followQueue = {
  baseName: 'bbws-provisioner-follow',
  visibilityTimeoutSeconds: 180,
  maxReceiveCount: 5,
};

export const provisionerDeployables: Required<Pick<Deployables, 'queues' | 'rules' | 'functions'>> = {
  queues: {
    // 6 x the provisioner's timeout; after 5 receives a change rests in the DLQ (docs/operations.md).
    ProvisionerQueue: { baseName: 'bbws-provisioner', visibilityTimeoutSeconds: 360, maxReceiveCount: 5 },
    ProvisionerFollowQueue: followQueue,
  },
  rules: {
    ProvisionerRule: {
      bus: 'platform',
      description: 'Events that start a GitOps change of an instance, for the provisioner',
      pattern: { source: ['bbws.instance-management'], 'detail-type': CHANGE_STARTS },
      queue: 'ProvisionerQueue',
    },
  },
  functions: [
    {
      name: 'provisioner',
      handler: 'src/contexts/instances/handlers/provisioner.handler',
      description: "Commits a change's Terraform to the environment repository and dispatches its workflow",
      timeoutSeconds: 60,
      memorySize: 1024,
      // isomorphic-git, @octokit/rest and the Terraform generator: ~800 KB zipped, 117-127 ms to import
      // (bench:bundles, 2026-11-29, load 3.5); a queue consumer, so no request waits on its cold start.
      bundleBudget: { zipBytes: 1024 * 1024, importMs: 150 },
      triggers: [{ kind: 'sqs', queue: 'ProvisionerQueue', batchSize: 5 }],
      environment: provisionerEnvironment,
      permissions: [
        // The instance at its head and its history (Query); steps appended (Put), a deprovisioning's
        // reservations released (Delete).
        { service: 'dynamodb', actions: ['Query', 'PutItem', 'DeleteItem'], tables: ['EventStoreTable'] },
        {
          service: 'dynamodb',
          actions: ['PutItem', 'UpdateItem', 'DeleteItem'],
          tables: ['ConsumerLedgerTable'],
        },
        githubSecret,
        sendFollowUps,
      ],
    },
    {
      name: 'provisionerFollow',
      handler: 'src/contexts/instances/handlers/provisioner-follow.handler',
      description: "Polls a change's workflow run (delayed follow-ups) and records RUNNING and its outcome",
      timeoutSeconds: 30,
      // The deprovisioning path's git and the run polling's @octokit/rest (see provisioner): a queue consumer.
      bundleBudget: { zipBytes: 1024 * 1024, importMs: 150 },
      triggers: [{ kind: 'sqs', queue: 'ProvisionerFollowQueue', batchSize: 10 }],
      environment: provisionerEnvironment,
      permissions: [
        { service: 'dynamodb', actions: ['Query', 'PutItem', 'DeleteItem'], tables: ['EventStoreTable'] },
        // Each poll once (follow-consumer.ts): claimed (Put), confirmed (Update), given back on failure (Delete).
        {
          service: 'dynamodb',
          actions: ['PutItem', 'UpdateItem', 'DeleteItem'],
          tables: ['ConsumerLedgerTable'],
        },
        githubSecret,
        sendFollowUps,
      ],
    },
    {
      name: 'provisionerWebhooks',
      handler: 'src/contexts/instances/handlers/provisioner-webhooks.handler',
      description:
        "GitHub's workflow_run webhook and the deploy workflow's outcome report (signed, no token)",
      routes: webhookRoutes,
      // The stack's account: an environment without a roleArn is in it (the outputs' account and cluster checked).
      environment: { ...provisionerEnvironment, CONTROL_PLANE_ACCOUNT: { stackValue: 'AWS::AccountId' } },
      permissions: [
        // The tenant's instance in the environment (GetItem on its reservation), loaded (Query); the run's
        // steps and the resources appended (Put, the ecs-service reservation with them).
        { service: 'dynamodb', actions: ['GetItem', 'Query', 'PutItem'], tables: ['EventStoreTable'] },
        githubSecret,
      ],
    },
  ],
};
