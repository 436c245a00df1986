import { randomInt } from 'node:crypto';
import {
  ApplicationAutoScalingClient,
  DeregisterScalableTargetCommand,
  RegisterScalableTargetCommand,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CreateServiceCommand,
  DeleteServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
  UpdateServiceCommand,
} from '@aws-sdk/client-ecs';
import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  PLATFORM_WORDPRESS_USER,
  readTenantSettings,
  type TerraformEnvironment,
} from '../../terraform/index.js';
import type { LocalLoadBalancer } from '../alb/load-balancer.js';

/** What `terraform apply` reaches: the environment's AWS (SDK clients on the stand-ins) and its ALB. */
export interface ApplyTarget {
  environment: TerraformEnvironment;
  cluster: string;
  ecs: ECSClient;
  autoscaling: ApplicationAutoScalingClient;
  secrets: SecretsManagerClient;
  alb: LocalLoadBalancer;
}

export function applyClients(
  endpoint: string,
  region: string,
  credentials: { accessKeyId: string; secretAccessKey: string } = {
    accessKeyId: 'deploy',
    secretAccessKey: 'deploy',
  },
) {
  const config = { region, endpoint, credentials };
  return {
    ecs: new ECSClient(config),
    autoscaling: new ApplicationAutoScalingClient(config),
    secrets: new SecretsManagerClient(config),
  };
}

type Locals = Record<string, unknown>;
const localsOf = (files: Record<string, string>): Locals =>
  (JSON.parse(files['tenant.tf.json'] ?? '{}') as { locals?: Locals }).locals ?? {};

/** The service file's lifecycle `ignore_changes` and circuit breaker, as the pushed Terraform says. */
function serviceBlock(files: Record<string, string>) {
  const file = JSON.parse(files['service.tf.json'] ?? '{}') as {
    resource?: {
      aws_ecs_service?: Record<
        string,
        {
          lifecycle?: { ignore_changes?: string[] };
          deployment_circuit_breaker?: { enable?: boolean; rollback?: boolean };
        }
      >;
    };
  };
  const service = Object.values(file.resource?.aws_ecs_service ?? {})[0];
  return {
    ignoresDesiredCount: service?.lifecycle?.ignore_changes?.includes('desired_count') === true,
    circuitBreaker: {
      enable: service?.deployment_circuit_breaker?.enable === true,
      rollback: service?.deployment_circuit_breaker?.rollback === true,
    },
  };
}

const alphanumeric = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** random_password { length = 24, special = false } */
const appPassword = () =>
  Array.from({ length: 24 }, () => alphanumeric[randomInt(alphanumeric.length)]).join('');

/**
 * `terraform apply` of a pushed tenant folder against the stand-ins, from what the files say (task size, counts,
 * autoscaling bounds, domains, secret names), never from the dispatch: task definition (a new revision when the
 * size changes), the application password secret (generated once, as random_password), target group and listener
 * rules, the service (desired count only at creation while `ignore_changes` holds it) and its scalable target.
 * Returns the folder's outputs.
 */
export async function applyTenant(
  target: ApplyTarget,
  files: Record<string, string>,
): Promise<Record<string, string>> {
  const settings = readTenantSettings(files);
  const locals = localsOf(files);
  const { ecs, autoscaling, cluster } = target;
  const family = settings.serviceName;
  const current = await ecs
    .send(new DescribeTaskDefinitionCommand({ taskDefinition: family }))
    .catch(() => undefined);
  const cpu = String(settings.task.cpu);
  const memory = String(settings.task.memoryMiB);
  const same = current?.taskDefinition?.cpu === cpu && current.taskDefinition.memory === memory;
  const taskDefinition = same
    ? current?.taskDefinition
    : (
        await ecs.send(
          new RegisterTaskDefinitionCommand({
            family,
            cpu,
            memory,
            requiresCompatibilities: ['FARGATE'],
            networkMode: 'awsvpc',
            containerDefinitions: [{ name: 'wordpress', image: String(locals.image ?? '') }],
          }),
        )
      ).taskDefinition;
  const secretArn = await ensureAppPassword(
    target.secrets,
    String(locals.app_password_secret_name),
    String(locals.site_url),
  );
  const targetGroupArn = target.alb.targetGroup(
    String(locals.target_group_name ?? `bbws-${settings.tenantId}`),
  );
  target.alb.putTenantRules(settings.tenantId, {
    priority: settings.priority,
    hosts: settings.domains,
    targetGroupArn,
  });
  const described = await ecs.send(new DescribeServicesCommand({ cluster, services: [family] }));
  const existing = described.services?.find((s) => s.status === 'ACTIVE');
  const { ignoresDesiredCount, circuitBreaker } = serviceBlock(files);
  const service = existing
    ? (
        await ecs.send(
          new UpdateServiceCommand({
            cluster,
            service: family,
            ...(taskDefinition?.taskDefinitionArn === existing.taskDefinition
              ? {}
              : { taskDefinition: taskDefinition?.taskDefinitionArn }),
            ...(ignoresDesiredCount ? {} : { desiredCount: settings.scaling.desiredCount }),
          }),
        )
      ).service
    : (
        await ecs.send(
          new CreateServiceCommand({
            cluster,
            serviceName: family,
            taskDefinition: taskDefinition?.taskDefinitionArn,
            desiredCount: settings.scaling.desiredCount,
            launchType: 'FARGATE',
            loadBalancers: [{ targetGroupArn, containerName: 'wordpress', containerPort: 80 }],
            deploymentConfiguration: { deploymentCircuitBreaker: circuitBreaker },
            enableECSManagedTags: true,
            propagateTags: 'SERVICE',
            tags: Object.entries((locals.tags as Record<string, string> | undefined) ?? {}).map(
              ([key, value]) => ({ key, value }),
            ),
          }),
        )
      ).service;
  await autoscaling.send(
    new RegisterScalableTargetCommand({
      ServiceNamespace: 'ecs',
      ResourceId: `service/${cluster}/${family}`,
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: settings.scaling.minCount,
      MaxCapacity: settings.scaling.maxCount,
    }),
  );
  return {
    service_arn: service?.serviceArn ?? '',
    service_name: family,
    task_definition_arn: taskDefinition?.taskDefinitionArn ?? '',
    target_group_arn: targetGroupArn,
    app_password_secret_arn: secretArn,
    tenant_id: settings.tenantId,
    environment: settings.environment,
  };
}

async function ensureAppPassword(
  secrets: SecretsManagerClient,
  name: string,
  siteUrl: string,
): Promise<string> {
  const existing = await secrets
    .send(new GetSecretValueCommand({ SecretId: name }))
    .catch((error: { name?: string }) => {
      if (error.name === 'ResourceNotFoundException') return undefined;
      throw error;
    });
  if (!existing) {
    const value = { username: PLATFORM_WORDPRESS_USER, password: appPassword(), site_url: siteUrl };
    return (
      (await secrets.send(new CreateSecretCommand({ Name: name, SecretString: JSON.stringify(value) })))
        .ARN ?? ''
    );
  }
  const value = JSON.parse(existing.SecretString ?? '{}') as Record<string, string>;
  if (value.site_url !== siteUrl)
    await secrets.send(
      new PutSecretValueCommand({
        SecretId: name,
        SecretString: JSON.stringify({ ...value, site_url: siteUrl }),
      }),
    );
  return existing.ARN ?? '';
}

/** `terraform destroy`: the scalable target, the service, the ALB rules and target group, the secret. */
export async function destroyTenant(target: ApplyTarget, files: Record<string, string>): Promise<void> {
  const settings = readTenantSettings(files);
  const locals = localsOf(files);
  const { cluster } = target;
  const missing = (error: { name?: string }) => {
    if (
      ![
        'ObjectNotFoundException',
        'ServiceNotFoundException',
        'ResourceNotFoundException',
        'ValidationException',
      ].includes(error.name ?? '')
    )
      throw error;
  };
  await target.autoscaling
    .send(
      new DeregisterScalableTargetCommand({
        ServiceNamespace: 'ecs',
        ResourceId: `service/${cluster}/${settings.serviceName}`,
        ScalableDimension: 'ecs:service:DesiredCount',
      }),
    )
    .catch(missing);
  await target.ecs
    .send(new DeleteServiceCommand({ cluster, service: settings.serviceName, force: true }))
    .catch(missing);
  const rules = target.alb;
  rules.removeTenantRules(settings.tenantId);
  rules.deleteTargetGroup(rules.targetGroup(String(locals.target_group_name ?? `bbws-${settings.tenantId}`)));
  const window = Number(locals.secret_recovery_window_days ?? 0);
  await target.secrets
    .send(
      new DeleteSecretCommand({
        SecretId: String(locals.app_password_secret_name),
        ...(window === 0 ? { ForceDeleteWithoutRecovery: true } : { RecoveryWindowInDays: window }),
      }),
    )
    .catch(missing);
}
