import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalStandIns, StartLocalStandIns } from '#src/platform/context.js';
import { WORKLOAD_ENVIRONMENTS } from './git/environment-repositories.js';
import { type InstanceStandIns, startInstanceStandIns } from './instances-stand-ins.js';

/** Where the stand-ins send to the control plane's HTTP API (the instances context's webhook routes). */
export const WORKFLOW_RUN_WEBHOOK_PATH = '/v1.0/webhooks/github';
export const DEPLOY_OUTCOME_WEBHOOK_PATH = '/v1.0/webhooks/deploy-outcome';
export const GITHUB_OWNER = 'bbws-local';

export interface InstancesLocal extends LocalStandIns {
  standIns: InstanceStandIns;
}

/**
 * The instances context's stand-ins for `npm start` and runtime tests (BoundedContext.local): environment
 * repositories on a git server (kept under `<stateDir>/instances/git`), the GitHub API running their deploy
 * workflow, ECS + Application Auto Scaling + Secrets Manager of the workload environments, and per environment
 * an ALB in front of a WordPress stand-in per running service. Token and secrets are new on every start.
 */
export const startInstancesLocal: StartLocalStandIns = async (env): Promise<InstancesLocal> => {
  const random = () => randomBytes(16).toString('hex');
  const token = `ghs_local${random()}`;
  const webhookSecret = random();
  const deployOutcomeSecret = random();
  const standIns = await startInstanceStandIns({
    stateDir: join(env.stateDir, 'instances'),
    region: env.region,
    account: env.account,
    putEvent: (event) => env.putServiceEvent(event),
    token,
    owner: GITHUB_OWNER,
    webhook: { url: `${env.httpUrl}${WORKFLOW_RUN_WEBHOOK_PATH}`, secret: webhookSecret },
    variables: {
      BBWS_CONTROL_PLANE_WEBHOOK_URL: `${env.httpUrl}${DEPLOY_OUTCOME_WEBHOOK_PATH}`,
      BBWS_AWS_REGION: env.region,
      BBWS_DEPLOY_ROLE_ARN: `arn:aws:iam::${env.account}:role/bbws-deploy`,
    },
    secrets: { BBWS_CONTROL_PLANE_WEBHOOK_SECRET: deployOutcomeSecret },
    log: env.log,
  });
  const { aws, git, albs } = standIns;
  const credentials = { token, webhookSecret, deployOutcomeSecret };
  const secrets = new SecretsManagerClient({
    region: env.region,
    endpoint: aws.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await secrets.send(
    new CreateSecretCommand({ Name: `bbws/${env.stage}/github`, SecretString: JSON.stringify(credentials) }),
  );
  secrets.destroy();
  const environments = Object.fromEntries(
    WORKLOAD_ENVIRONMENTS.map((e) => {
      const { owner, name, url } = git.repositories[e];
      return [e, { repository: { owner, name, url }, cluster: standIns.clusterOf(e), albUrl: albs[e].url }];
    }),
  );
  return {
    standIns,
    environment: {
      GITHUB_API_URL: standIns.githubUrl,
      LOCAL_GITHUB_TOKEN: token,
      LOCAL_GITHUB_WEBHOOK_SECRET: webhookSecret,
      LOCAL_DEPLOY_OUTCOME_SECRET: deployOutcomeSecret,
      ECS_ENDPOINT: aws.endpoint,
      APPLICATION_AUTOSCALING_ENDPOINT: aws.endpoint,
      SECRETS_MANAGER_ENDPOINT: aws.endpoint,
      WORKLOAD_ENVIRONMENTS: JSON.stringify(environments),
      ECS_CLUSTER_ARNS: JSON.stringify(
        Object.fromEntries(
          WORKLOAD_ENVIRONMENTS.map((e) => [
            e,
            `arn:aws:ecs:${env.region}:${env.account}:cluster/${standIns.clusterOf(e)}`,
          ]),
        ),
      ),
    },
    describe: () => [
      `GitHub API        ${standIns.githubUrl}  (token in LOCAL_GITHUB_TOKEN; workflow_run -> ${env.httpUrl}${WORKFLOW_RUN_WEBHOOK_PATH})`,
      ...WORKLOAD_ENVIRONMENTS.map((e) => `  repository      ${git.repositories[e].url} (${e})`),
      `ECS, autoscaling, Secrets Manager  ${aws.endpoint}  (clusters ${WORKLOAD_ENVIRONMENTS.map(standIns.clusterOf).join(', ')}; events to the default bus)`,
      ...WORKLOAD_ENVIRONMENTS.map(
        (e) => `ALB (${e.padEnd(4)})        ${albs[e].url}  (X-Tenant-Id or Host -> the tenant's WordPress)`,
      ),
    ],
    stop: () => standIns.stop(),
  };
};
