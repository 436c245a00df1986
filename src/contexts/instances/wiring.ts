import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { tenantAccess } from '#src/contexts/tenants/index.js';
import { requestHandler } from '#src/platform/aws/http-timeouts.js';
import { httpWiring } from '#src/platform/http/http-wiring.js';
import { client, eventStore, logger, registry, runner } from '#src/platform/wiring.js';
import type { InstanceApiDependencies } from './api/instance.routes.js';
import type { InstanceEnvironment } from './domain/instance.events.js';
import { workloadPlacements } from './ecs/workloads.js';
import { IsomorphicGitEnvironmentRepository } from './git/isomorphic-git.environment-repository.js';
import { githubSecretName, secretsManagerCredentials } from './provisioner/credentials.js';
import { followQueue } from './provisioner/deployables.js';
import { DEFAULT_WORDPRESS_IMAGE } from './provisioner/folder.js';
import { OctokitDeployWorkflow } from './provisioner/octokit.github.js';
import type { CredentialsProvider, WorkloadEnvironment } from './provisioner/ports.js';
import type { ProvisionerDependencies } from './provisioner/provisioner.js';
import { provisionerSettings } from './provisioner/settings.js';
import { sqsFollowUps } from './provisioner/sqs.follow-ups.js';
import type { WebhookDependencies } from './provisioner/webhook.routes.js';
import { InstanceReadModel } from './read-model/instance.read-model.js';

let built: InstanceApiDependencies | undefined;

/** The instance API's adapters, built once per process from the platform's. */
export function instanceApiDependencies(): InstanceApiDependencies {
  built ??= {
    runner: runner(),
    store: eventStore(),
    tenantAccess: tenantAccess(eventStore()),
    readModel: new InstanceReadModel(
      client(),
      async () => (await registry().active('tenant-resources')).tableName,
    ),
    cursors: httpWiring().cursors,
  };
  return built;
}

let credentials: CredentialsProvider | undefined;
/** The GitHub credentials (secret `bbws/<stage>/github`), cached for GITHUB_CREDENTIALS_TTL_SECONDS. */
function githubCredentials(): CredentialsProvider {
  if (credentials) return credentials;
  const settings = provisionerSettings();
  const endpoint = settings.SECRETS_MANAGER_ENDPOINT;
  const secrets = new SecretsManagerClient({
    region: settings.AWS_REGION,
    ...(endpoint ? { endpoint } : {}),
    requestHandler: requestHandler('secretsmanager', { local: endpoint !== undefined }),
  });
  credentials = secretsManagerCredentials(secrets, githubSecretName(settings.STAGE), {
    ttlMs: settings.GITHUB_CREDENTIALS_TTL_SECONDS * 1000,
  });
  return credentials;
}

let provisioner: ProvisionerDependencies | undefined;
/** The provisioner's adapters: the environment repositories (cached clones), GitHub Actions, the follow-up queue. */
export function provisionerDependencies(): ProvisionerDependencies {
  if (provisioner) return provisioner;
  const settings = provisionerSettings();
  const token = async () => (await githubCredentials()()).token;
  const workloads = new Map<InstanceEnvironment, WorkloadEnvironment>();
  const sqs = new SQSClient({
    region: settings.AWS_REGION,
    ...(settings.SQS_ENDPOINT ? { endpoint: settings.SQS_ENDPOINT } : {}),
    requestHandler: requestHandler('sqs', { local: settings.SQS_ENDPOINT !== undefined }),
  });
  provisioner = {
    runner: runner(),
    store: eventStore(),
    environments: (environment) => {
      const known = workloads.get(environment);
      if (known) return known;
      const workload = settings.WORKLOAD_ENVIRONMENTS[environment];
      if (!workload) throw new Error(`WORKLOAD_ENVIRONMENTS has no ${environment}`);
      const made = {
        repository: { owner: workload.repository.owner, name: workload.repository.name },
        git: new IsomorphicGitEnvironmentRepository({ url: workload.repository.url, token }),
      };
      workloads.set(environment, made);
      return made;
    },
    workflow: new OctokitDeployWorkflow(token, settings.GITHUB_API_URL),
    schedule: sqsFollowUps(sqs, `${followQueue.baseName}-${settings.STAGE}`),
    folders: {
      region: settings.AWS_REGION,
      image: settings.WORDPRESS_IMAGE ?? DEFAULT_WORDPRESS_IMAGE,
      siteBaseDomain: settings.SITE_BASE_DOMAIN,
      adminEmail: settings.PLATFORM_ADMIN_EMAIL,
      infrastructure: Object.fromEntries(
        Object.entries(settings.WORKLOAD_ENVIRONMENTS).flatMap(([e, w]) =>
          w.infrastructure ? [[e, w.infrastructure]] : [],
        ),
      ),
    },
  };
  return provisioner;
}

/**
 * Each environment's account and cluster, as ECS control and the state sync read them (ecs/workloads.ts): a bad
 * roleArn or a cluster ARN outside the environment's account and region is refused here, at the first request.
 */
function webhookPlacements(
  settings: ReturnType<typeof provisionerSettings>,
): WebhookDependencies['placements'] {
  try {
    return workloadPlacements(settings.WORKLOAD_ENVIRONMENTS, {
      account: settings.CONTROL_PLANE_ACCOUNT,
      region: settings.AWS_REGION,
    });
  } catch (error) {
    throw new Error(`invalid environment for the webhooks: ${(error as Error).message}`, { cause: error });
  }
}

let webhooks: WebhookDependencies | undefined;
/** The webhook routes' adapters. */
export function webhookDependencies(): WebhookDependencies {
  if (webhooks) return webhooks;
  const settings = provisionerSettings();
  webhooks = {
    runner: runner(),
    store: eventStore(),
    credentials: githubCredentials(),
    repositories: Object.fromEntries(
      Object.entries(settings.WORKLOAD_ENVIRONMENTS).map(([e, w]) => [
        e,
        { owner: w.repository.owner, name: w.repository.name },
      ]),
    ),
    placements: webhookPlacements(settings),
    logger: logger(),
  };
  return webhooks;
}
