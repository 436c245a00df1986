import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { CreateSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { LocalStandIns, StartLocalStandIns } from '#src/platform/context.js';
import type { PolicyDocument } from '#src/platform/local/iam/policy.js';
import { defineRole } from '#src/platform/local/iam/sessions.js';
import { controlRoleOf } from '../ecs/workload-account.js';
import { WORKLOAD_ENVIRONMENTS } from './git/environment-repositories.js';
import {
  type InstanceStandIns,
  LOCAL_WORKLOAD_ACCOUNTS,
  startInstanceStandIns,
} from './instances-stand-ins.js';

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
 *
 * As in AWS, each workload environment is its own account (LOCAL_WORKLOAD_ACCOUNTS) holding the role
 * `bbws-control-<env>` the workload accounts' template defines (infra/workload-account.template.json, resolved for
 * this account and the runtime's stage): ECS control and the state sync reach the environment's cluster only
 * through it (the local STS checks its trust policy, the IAM hook its policies, the ECS stand-in the account).
 */
export const startInstancesLocal: StartLocalStandIns = async (env): Promise<InstancesLocal> => {
  const random = () => randomBytes(16).toString('hex');
  const token = `ghs_local${random()}`;
  const webhookSecret = random();
  // Each environment repository its own deploy-outcome secret, as in AWS: no environment reports for another.
  const deployOutcomeSecrets = Object.fromEntries(WORKLOAD_ENVIRONMENTS.map((e) => [e, random()]));
  const roleArns = Object.fromEntries(
    WORKLOAD_ENVIRONMENTS.map((environment) => {
      const role = controlRoleOf({
        account: LOCAL_WORKLOAD_ACCOUNTS[environment],
        region: env.region,
        controlPlaneAccount: env.account,
        controlPlaneStage: env.stage,
        environment,
      });
      defineRole({
        arn: role.arn,
        trust: role.trust as PolicyDocument,
        policies: role.policies as PolicyDocument[],
        maxSessionSeconds: role.maxSessionSeconds,
      });
      return [environment, role.arn];
    }),
  );
  const standIns = await startInstanceStandIns({
    stateDir: join(env.stateDir, 'instances'),
    region: env.region,
    account: env.account,
    workloadAccounts: LOCAL_WORKLOAD_ACCOUNTS,
    putEvent: (event) => env.putServiceEvent(event),
    token,
    owner: GITHUB_OWNER,
    webhook: { url: `${env.httpUrl}${WORKFLOW_RUN_WEBHOOK_PATH}`, secret: webhookSecret },
    variables: {
      BBWS_CONTROL_PLANE_WEBHOOK_URL: `${env.httpUrl}${DEPLOY_OUTCOME_WEBHOOK_PATH}`,
      BBWS_AWS_REGION: env.region,
      BBWS_DEPLOY_ROLE_ARN: `arn:aws:iam::${env.account}:role/bbws-deploy`,
    },
    secrets: {},
    environmentSecrets: Object.fromEntries(
      WORKLOAD_ENVIRONMENTS.map((e) => [
        e,
        { BBWS_CONTROL_PLANE_WEBHOOK_SECRET: deployOutcomeSecrets[e] ?? '' },
      ]),
    ),
    log: env.log,
  });
  const { aws, git, albs } = standIns;
  const credentials = { token, webhookSecret, deployOutcomeSecrets };
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
      return [
        e,
        {
          repository: { owner, name, url },
          cluster: standIns.clusterOf(e),
          albUrl: albs[e].url,
          roleArn: roleArns[e],
        },
      ];
    }),
  );
  return {
    standIns,
    environment: {
      GITHUB_API_URL: standIns.githubUrl,
      LOCAL_GITHUB_TOKEN: token,
      LOCAL_GITHUB_WEBHOOK_SECRET: webhookSecret,
      LOCAL_DEPLOY_OUTCOME_SECRETS: JSON.stringify(deployOutcomeSecrets),
      ECS_ENDPOINT: aws.endpoint,
      APPLICATION_AUTOSCALING_ENDPOINT: aws.endpoint,
      SECRETS_MANAGER_ENDPOINT: aws.endpoint,
      WORKLOAD_ENVIRONMENTS: JSON.stringify(environments),
      CONTROL_PLANE_ACCOUNT: env.account,
      // what the stack's WorkloadAccountIds holds locally (the local roles' grant is built on the same list)
      WORKLOAD_ACCOUNT_IDS: WORKLOAD_ENVIRONMENTS.map((e) => LOCAL_WORKLOAD_ACCOUNTS[e]).join(','),
    },
    describe: () => [
      `GitHub API        ${standIns.githubUrl}  (token in LOCAL_GITHUB_TOKEN; workflow_run -> ${env.httpUrl}${WORKFLOW_RUN_WEBHOOK_PATH})`,
      ...WORKLOAD_ENVIRONMENTS.map((e) => `  repository      ${git.repositories[e].url} (${e})`),
      `ECS, autoscaling, Secrets Manager  ${aws.endpoint}  (clusters ${WORKLOAD_ENVIRONMENTS.map((e) => `${standIns.clusterOf(e)} in ${LOCAL_WORKLOAD_ACCOUNTS[e]}`).join(', ')}; events to the default bus)`,
      ...WORKLOAD_ENVIRONMENTS.map(
        (e) => `  role            ${roleArns[e]} (assumed by ecsControl, ecsStateSync)`,
      ),
      ...WORKLOAD_ENVIRONMENTS.map(
        (e) => `ALB (${e.padEnd(4)})        ${albs[e].url}  (X-Tenant-Id or Host -> the tenant's WordPress)`,
      ),
    ],
    stop: () => standIns.stop(),
  };
};
