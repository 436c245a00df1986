import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { ECSClient } from '@aws-sdk/client-ecs';
import { eventStore, runner } from '#src/platform/wiring.js';
import type { TenantReactionsDependencies } from '../reactions/tenant-reactions.js';
import { AwsEcsServices, AwsScalableTargets } from './aws.ecs-control.js';
import { loadEcsConfig } from './ecs.config.js';
import type { EcsControlDependencies } from './ecs-control.js';
import type { EcsControlPorts } from './ecs-control.port.js';
import type { EcsStateSyncDependencies } from './ecs-state-sync.js';

let ports: EcsControlPorts | undefined;

/**
 * The ECS and Application Auto Scaling adapters, built once per process. One pair serves every environment here:
 * each service ARN names its cluster, and locally (as in a single-account deployment) all clusters are in one
 * account. The per-environment role of the workload accounts (docs/architecture.md, "Topology: workload
 * environments") is not wired yet.
 */
function ecsPorts(): EcsControlPorts {
  if (ports) return ports;
  const config = loadEcsConfig();
  const local = { accessKeyId: 'local', secretAccessKey: 'local' };
  const options = (endpoint: string | undefined) =>
    endpoint ? { region: config.AWS_REGION, endpoint, credentials: local } : { region: config.AWS_REGION };
  ports = {
    services: new AwsEcsServices(new ECSClient(options(config.ECS_ENDPOINT))),
    targets: new AwsScalableTargets(
      new ApplicationAutoScalingClient(options(config.APPLICATION_AUTOSCALING_ENDPOINT)),
    ),
  };
  return ports;
}

export const ecsControlDependencies = (): EcsControlDependencies => ({
  store: eventStore(),
  ecs: () => ecsPorts(),
});

export const ecsStateSyncDependencies = (): EcsStateSyncDependencies => ({
  store: eventStore(),
  runner: runner(),
});

/** The reactions to tenant events: the same store and runner (the instances' and the tenants' streams). */
export const tenantReactionsDependencies = (): TenantReactionsDependencies => ({
  store: eventStore(),
  runner: runner(),
});
