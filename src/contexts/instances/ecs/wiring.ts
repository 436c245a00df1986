import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { STSClient } from '@aws-sdk/client-sts';
import { eventStore, runner } from '#src/platform/wiring.js';
import type { InstanceEnvironment } from '../domain/instance.events.js';
import type { TenantReactionsDependencies } from '../reactions/tenant-reactions.js';
import { assumedRoleCredentials } from './assumed-role.js';
import { AwsEcsServices, AwsScalableTargets } from './aws.ecs-control.js';
import { type EcsConfig, loadEcsConfig } from './ecs.config.js';
import { type EcsControlDependencies, namedServices } from './ecs-control.js';
import type { EcsControlPorts } from './ecs-control.port.js';
import type { EcsStateSyncDependencies } from './ecs-state-sync.js';

type Caller = 'ecsControl' | 'ecsStateSync';

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * The credentials a function acts with in an environment: its role's, from STS AssumeRole (cached, refreshed 5
 * minutes before they expire), or — no roleArn, a single-account stage — its own (the default chain; locally the
 * stand-ins' key).
 */
function credentialsFor(
  config: EcsConfig,
  environment: InstanceEnvironment,
  caller: Caller,
  sts: () => STSClient,
) {
  const roleArn = config.WORKLOAD_ENVIRONMENTS[environment]?.roleArn;
  if (roleArn === undefined) return config.ECS_ENDPOINT ? { credentials: localCredentials } : {};
  // loadEcsConfig checked the role (bbws-control-<env>, no path: what the functions' grant covers)
  return { credentials: assumedRoleCredentials({ sts: sts(), roleArn, sessionName: `bbws-${caller}` }) };
}

/**
 * One function's ECS and Application Auto Scaling clients per workload environment, each pair built once per
 * process when first used (the state sync needs only ECS), with that environment's credentials, in its region
 * (infrastructure.awsRegion, where its Terraform deploys the services; else AWS_REGION). Per function, not
 * shared: each function's role assumes the environment's role itself, under its own session name (locally, where
 * both run in one process, so each one's own grant is what is checked).
 */
function environmentPorts(caller: Caller): (environment: InstanceEnvironment) => EcsControlPorts {
  const config = loadEcsConfig();
  const ports = new Map<InstanceEnvironment, EcsControlPorts>();
  let sts: STSClient | undefined;
  const stsClient = () => {
    sts ??= new STSClient({
      region: config.AWS_REGION,
      ...(config.STS_ENDPOINT ? { endpoint: config.STS_ENDPOINT, credentials: localCredentials } : {}),
    });
    return sts;
  };
  return (environment) => {
    let found = ports.get(environment);
    if (!found) {
      const options = {
        region: config.placements[environment]?.region ?? config.AWS_REGION,
        ...credentialsFor(config, environment, caller, stsClient),
      };
      const endpoint = (url: string | undefined) => (url ? { endpoint: url } : {});
      let targets: AwsScalableTargets | undefined;
      found = {
        services: new AwsEcsServices(new ECSClient({ ...options, ...endpoint(config.ECS_ENDPOINT) })),
        get targets() {
          targets ??= new AwsScalableTargets(
            new ApplicationAutoScalingClient({
              ...options,
              ...endpoint(config.APPLICATION_AUTOSCALING_ENDPOINT),
            }),
          );
          return targets;
        },
      };
      ports.set(environment, found);
    }
    return found;
  };
}

/**
 * Each environment's cluster ARN (its account: the role's, else the control plane's; its region; its cluster):
 * ECS facts of a service outside it are ignored.
 */
function clusterArns(config: EcsConfig): Partial<Record<InstanceEnvironment, string>> {
  return Object.fromEntries(
    Object.entries(config.placements).flatMap(([environment, placement]) =>
      placement.clusterArn === undefined ? [] : [[environment, placement.clusterArn]],
    ),
  );
}

let control: EcsControlDependencies | undefined;
let sync: EcsStateSyncDependencies | undefined;

/** Built once per process: a bad WORKLOAD_ENVIRONMENTS fails the first message, not a parse per message. */
export const ecsControlDependencies = (): EcsControlDependencies => {
  if (!control) {
    const config = loadEcsConfig();
    control = {
      store: eventStore(),
      ecs: environmentPorts('ecsControl'),
      namedService: namedServices(clusterArns(config)),
    };
  }
  return control;
};

export const ecsStateSyncDependencies = (): EcsStateSyncDependencies => {
  if (!sync) {
    const ports = environmentPorts('ecsStateSync');
    const clusters = clusterArns(loadEcsConfig());
    sync = {
      store: eventStore(),
      runner: runner(),
      services: (environment) => ports(environment).services,
      clusterArnOf: (environment) => clusters[environment],
    };
  }
  return sync;
};

/** The reactions to tenant events: the same store and runner (the instances' and the tenants' streams). */
export const tenantReactionsDependencies = (): TenantReactionsDependencies => ({
  store: eventStore(),
  runner: runner(),
});
