import { LocalApplicationAutoScaling } from './application-autoscaling.js';
import { startAwsJsonServer } from './aws-json-server.js';
import { type EcsTiming, LocalEcs } from './ecs.js';
import { ecsOperations } from './ecs-api.js';
import { type EcsEvent, EcsEventDelivery } from './ecs-events.js';
import { LocalSecretsManager } from './secrets-manager.js';

export interface AwsStandInsOptions {
  region: string;
  account: string;
  clusters: readonly string[];
  /** A cluster's account when it is not `account` (each workload environment has its own). */
  clusterAccounts?: Readonly<Record<string, string>>;
  /** Where ECS sends its events: the account's default bus. */
  putEvent: (event: EcsEvent) => void;
  ecsTiming?: Partial<EcsTiming>;
  /** How often Application Auto Scaling brings desired counts back within bounds (default 1 s). */
  autoscalingEnforceMs?: number;
  port?: number;
}

export interface AwsStandIns {
  /** One endpoint for ECS, Application Auto Scaling and Secrets Manager (each SDK client by endpoint override). */
  endpoint: string;
  ecs: LocalEcs;
  events: EcsEventDelivery;
  autoscaling: LocalApplicationAutoScaling;
  secrets: LocalSecretsManager;
  stop(): Promise<void>;
}

/** ECS, Application Auto Scaling and Secrets Manager of the workload environments, on one AWS JSON 1.1 server. */
export async function startAwsStandIns(options: AwsStandInsOptions): Promise<AwsStandIns> {
  const { region, account } = options;
  const events = new EcsEventDelivery(options.putEvent);
  const ecs = new LocalEcs({
    region,
    account,
    clusters: options.clusters,
    ...(options.clusterAccounts ? { clusterAccounts: options.clusterAccounts } : {}),
    events,
    ...(options.ecsTiming ? { timing: options.ecsTiming } : {}),
  });
  const autoscaling = new LocalApplicationAutoScaling(ecs, {
    region,
    account,
    enforceMs: options.autoscalingEnforceMs ?? 1000,
  });
  const secrets = new LocalSecretsManager({ region, account });
  const server = await startAwsJsonServer(
    {
      AmazonEC2ContainerServiceV20141113: ecsOperations(ecs),
      AnyScaleFrontendService: autoscaling.operations,
      secretsmanager: secrets.operations,
    },
    options.port,
  );
  return {
    endpoint: server.endpoint,
    ecs,
    events,
    autoscaling,
    secrets,
    async stop() {
      autoscaling.stop();
      ecs.stop();
      await server.close();
    },
  };
}
