import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { eventStore, runner } from '#src/platform/wiring.js';
import type { TenantReactionsDependencies } from '../reactions/tenant-reactions.js';
import { AwsEcsServices, AwsScalableTargets } from './aws.ecs-control.js';
import { loadEcsConfig } from './ecs.config.js';
import { type EcsControlDependencies, namedServices } from './ecs-control.js';
import type { EcsControlPorts, EcsServices, ScalableTargets } from './ecs-control.port.js';
import type { EcsStateSyncDependencies } from './ecs-state-sync.js';

let services: EcsServices | undefined;
let targets: ScalableTargets | undefined;
let control: EcsControlDependencies | undefined;

const localCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const clientOptions = (endpoint: string | undefined) => {
  const { AWS_REGION } = loadEcsConfig();
  return endpoint ? { region: AWS_REGION, endpoint, credentials: localCredentials } : { region: AWS_REGION };
};

/**
 * The ECS and Application Auto Scaling adapters, each built once per process when first used (the state sync needs
 * only ECS). One pair serves every environment here: each service ARN names its cluster, and locally (as in a
 * single-account deployment) all clusters are in one account. The per-environment role of the workload accounts
 * (docs/architecture.md, "Topology: workload environments") is not wired yet.
 */
function ecsServices(): EcsServices {
  services ??= new AwsEcsServices(new ECSClient(clientOptions(loadEcsConfig().ECS_ENDPOINT)));
  return services;
}

function ecsPorts(): EcsControlPorts {
  targets ??= new AwsScalableTargets(
    new ApplicationAutoScalingClient(clientOptions(loadEcsConfig().APPLICATION_AUTOSCALING_ENDPOINT)),
  );
  return { services: ecsServices(), targets };
}

/** Built once per process: a bad ECS_CLUSTER_ARNS fails the first message, not a parse per message. */
export const ecsControlDependencies = (): EcsControlDependencies => {
  if (!control) {
    const clusters = loadEcsConfig().ECS_CLUSTER_ARNS;
    control = {
      store: eventStore(),
      ecs: () => ecsPorts(),
      ...(clusters ? { namedService: namedServices(clusters) } : {}),
    };
  }
  return control;
};

export const ecsStateSyncDependencies = (): EcsStateSyncDependencies => ({
  store: eventStore(),
  runner: runner(),
  services: ecsServices(),
});

/** The reactions to tenant events: the same store and runner (the instances' and the tenants' streams). */
export const tenantReactionsDependencies = (): TenantReactionsDependencies => ({
  store: eventStore(),
  runner: runner(),
});
