import { join } from 'node:path';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { accountAccessKey } from '#src/platform/local/iam/sessions.js';
import { PLATFORM_WORDPRESS_USER, type TerraformEnvironment } from '../terraform/index.js';
import { LocalLoadBalancer } from './alb/load-balancer.js';
import { TaskFleet } from './alb/task-fleet.js';
import { type AwsStandIns, startAwsStandIns } from './aws/aws-stand-ins.js';
import type { EcsTiming } from './aws/ecs.js';
import type { EcsEvent } from './aws/ecs-events.js';
import {
  type EnvironmentRepositories,
  startEnvironmentRepositories,
  WORKLOAD_ENVIRONMENTS,
} from './git/environment-repositories.js';
import { startGitHubServer } from './github/github-server.js';
import { type GitHubTiming, LocalGitHub, type LocalGitHubOptions } from './github/local-github.js';
import { type ApplyTarget, applyClients } from './github/terraform-apply.js';

export interface InstanceStandInsOptions {
  /** Bare repositories are kept under `<stateDir>/git`. */
  stateDir: string;
  region: string;
  /** The control plane's account (the plain local keys'). */
  account: string;
  /**
   * Each workload environment's own account (its cluster, its services, its events); absent: the control
   * plane's (a single-account set-up).
   */
  workloadAccounts?: Readonly<Record<TerraformEnvironment, string>>;
  putEvent: (event: EcsEvent) => void;
  /** The token the GitHub API and the git server take (Bearer/token, and Basic x-access-token). */
  token: string;
  owner: string;
  /** Where `workflow_run` webhooks go, signed with `secret`. */
  webhook?: { url: string; secret: string };
  /** Repository variables and secrets of the environment repositories (BBWS_CONTROL_PLANE_WEBHOOK_URL, ...). */
  variables: Record<string, string>;
  secrets: Record<string, string>;
  /** Each environment repository's own secrets, over `secrets` (LocalGitHubOptions.environmentSecrets). */
  environmentSecrets?: LocalGitHubOptions['environmentSecrets'];
  githubTiming?: Partial<GitHubTiming>;
  ecsTiming?: Partial<EcsTiming>;
  autoscalingEnforceMs?: number;
  log?: (line: string) => void;
}

export interface InstanceStandIns {
  git: EnvironmentRepositories;
  github: LocalGitHub;
  githubUrl: string;
  aws: AwsStandIns;
  /** Each environment's ALB stand-in and its URL. */
  albs: Record<TerraformEnvironment, { balancer: LocalLoadBalancer; url: string }>;
  fleet: TaskFleet;
  clusterOf(environment: TerraformEnvironment): string;
  stop(): Promise<void>;
}

export const clusterName = (environment: TerraformEnvironment): string => `bbws-${environment}`;

/**
 * Each local workload environment's account, apart from the control plane's (000000000000), as in AWS. The platform's
 * local IAM repeats them (LOCAL_WORKLOAD_ACCOUNT_IDS, the stack's WorkloadAccountIds): workload-accounts.unit.test.ts.
 */
export const LOCAL_WORKLOAD_ACCOUNTS: Readonly<Record<TerraformEnvironment, string>> = {
  dev: '111111111111',
  sit: '222222222222',
  prod: '333333333333',
};

/** Everything the instances context reaches outside the control plane, started on 127.0.0.1. */
export async function startInstanceStandIns(options: InstanceStandInsOptions): Promise<InstanceStandIns> {
  const { region, account } = options;
  const accountOf = (environment: TerraformEnvironment) => options.workloadAccounts?.[environment] ?? account;
  const log = options.log ?? (() => {});
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const git = await startEnvironmentRepositories({
      root: join(options.stateDir, 'git'),
      owner: options.owner,
      token: options.token,
    });
    stops.push(() => git.stop());
    const aws = await startAwsStandIns({
      region,
      account,
      clusters: WORKLOAD_ENVIRONMENTS.map(clusterName),
      clusterAccounts: Object.fromEntries(WORKLOAD_ENVIRONMENTS.map((e) => [clusterName(e), accountOf(e)])),
      putEvent: options.putEvent,
      ...(options.ecsTiming ? { ecsTiming: options.ecsTiming } : {}),
      ...(options.autoscalingEnforceMs === undefined
        ? {}
        : { autoscalingEnforceMs: options.autoscalingEnforceMs }),
    });
    stops.push(() => aws.stop());
    const albs = {} as InstanceStandIns['albs'];
    for (const environment of WORKLOAD_ENVIRONMENTS) {
      const balancer = new LocalLoadBalancer(environment, { region, account: accountOf(environment) });
      albs[environment] = { balancer, url: await balancer.listen() };
      stops.push(() => balancer.close());
    }
    // Terraform applies in the environment's own account, with that account's own key (its deploy role).
    const targets = {} as Record<TerraformEnvironment, ApplyTarget>;
    for (const e of WORKLOAD_ENVIRONMENTS) {
      const clients = applyClients(aws.endpoint, region, accountAccessKey(accountOf(e)));
      stops.push(async () => {
        clients.ecs.destroy();
        clients.autoscaling.destroy();
        clients.secrets.destroy();
      });
      targets[e] = { environment: e, cluster: clusterName(e), alb: albs[e].balancer, ...clients };
    }
    const github = new LocalGitHub({
      token: options.token,
      repositories: Object.values(git.repositories),
      targets,
      variables: options.variables,
      secrets: options.secrets,
      ...(options.environmentSecrets ? { environmentSecrets: options.environmentSecrets } : {}),
      ...(options.webhook ? { webhook: options.webhook } : {}),
      ...(options.githubTiming ? { timing: options.githubTiming } : {}),
      log,
    });
    const server = await startGitHubServer(github);
    stops.push(() => server.close());
    const taskSecrets = new SecretsManagerClient({
      region,
      endpoint: aws.endpoint,
      credentials: { accessKeyId: 'task', secretAccessKey: 'task' },
    });
    const fleet = new TaskFleet(aws.ecs, {
      environmentOf: (cluster) => WORKLOAD_ENVIRONMENTS.find((e) => clusterName(e) === cluster),
      balancers: Object.fromEntries(WORKLOAD_ENVIRONMENTS.map((e) => [e, albs[e].balancer])) as Record<
        TerraformEnvironment,
        LocalLoadBalancer
      >,
      secrets: taskSecrets,
      username: PLATFORM_WORDPRESS_USER,
      log,
    });
    stops.push(async () => {
      await fleet.stop();
      taskSecrets.destroy();
    });
    stops.push(() => github.idle()); // runs finish first (stops run in reverse)
    return { git, github, githubUrl: server.url, aws, albs, fleet, clusterOf: clusterName, stop: stopAll };
  } catch (error) {
    await stopAll();
    throw error;
  }
}
