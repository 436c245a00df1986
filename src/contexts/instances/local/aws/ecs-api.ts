import { AwsApiError, type CallerAccount, int, type Operation, str } from './aws-json-server.js';
import type { LocalEcs } from './ecs.js';
import { type Service, serviceView, type TaskDefinition, taskDefinitionView } from './ecs-service.js';

/** The ECS API operations the platform and the workflow stand-in call, over the engine's state. */
export function ecsOperations(ecs: LocalEcs): Record<string, Operation> {
  return {
    RegisterTaskDefinition: (input, caller) => ({
      taskDefinition: taskDefinitionView(register(ecs, input, caller)),
    }),
    DescribeTaskDefinition: (input, caller) => ({
      taskDefinition: taskDefinitionView(taskDefinition(ecs, str(input, 'taskDefinition'), caller)),
    }),
    CreateService: (input, caller) => ({ service: serviceView(create(ecs, input, caller), false) }),
    UpdateService: (input, caller) => ({ service: serviceView(update(ecs, input, caller), false) }),
    DeleteService: (input, caller) => ({ service: serviceView(remove(ecs, input, caller), false) }),
    DescribeServices: (input, caller) => describe(ecs, input, caller),
    ListServices: (input, caller) => ({
      serviceArns: ecs
        .list()
        .filter((s) => s.cluster === clusterOf(ecs, input, caller) && s.status === 'ACTIVE')
        .map((s) => s.arn),
    }),
  };
}

function register(ecs: LocalEcs, input: Record<string, unknown>, caller: CallerAccount): TaskDefinition {
  const family = str(input, 'family');
  const key = familyKey(caller, family);
  const revisions = ecs.taskDefinitions.get(key) ?? [];
  const revision = revisions.length + 1;
  const definition: TaskDefinition = {
    arn: `arn:aws:ecs:${ecs.options.region}:${caller.account}:task-definition/${family}:${revision}`,
    family,
    revision,
    cpu: str(input, 'cpu'),
    memory: str(input, 'memory'),
    input,
    registeredAt: Date.now(),
  };
  ecs.taskDefinitions.set(key, [...revisions, definition]);
  return definition;
}

/** Task definitions are an account's own, as in AWS: each account's families and revisions apart. */
const familyKey = (caller: CallerAccount, family: string) => `${caller.account}/${family}`;

/** The caller's task definition a reference names (family, family:revision or ARN); another account's: denied. */
function taskDefinition(ecs: LocalEcs, ref: string, caller: CallerAccount): TaskDefinition {
  if (ref.startsWith('arn:') && ref.split(':')[4] !== caller.account) throw denied(caller, ref);
  const [family = '', revision] = ref.replace(/^arn:[^/]*task-definition\//, '').split(':');
  const revisions = ecs.taskDefinitions.get(familyKey(caller, family)) ?? [];
  const found = revision === undefined ? revisions.at(-1) : revisions[Number(revision) - 1];
  if (!found) throw new AwsApiError('ClientException', 'Unable to describe task definition.');
  return found;
}

/**
 * The cluster a request names, in the caller's account: a name is looked up there (another account's cluster of
 * that name is not found), an ARN of another account is refused (ECS has no resource policies to allow it).
 */
function clusterOf(ecs: LocalEcs, input: Record<string, unknown>, caller: CallerAccount): string {
  const ref = str(input, 'cluster', true) ?? 'default';
  const name = ref.replace(/^arn:.*:cluster\//, '');
  const named = ref.startsWith('arn:') ? ref.split(':')[4] : caller.account;
  if (named !== caller.account) throw denied(caller, ref);
  if (!ecs.options.clusters.includes(name) || ecs.accountOf(name) !== caller.account)
    throw new AwsApiError('ClusterNotFoundException', 'Cluster not found.');
  return name;
}

/** A service ARN of another account than the caller's. */
function checkServiceAccount(ref: string, caller: CallerAccount): void {
  if (ref.startsWith('arn:') && ref.split(':')[4] !== caller.account) throw denied(caller, ref);
}

const denied = (caller: CallerAccount, resource: string) =>
  new AwsApiError(
    'AccessDeniedException',
    `User: arn:aws:sts::${caller.account}:assumed-role/(caller) is not authorized to perform this action on resource: ` +
      `${resource} because no resource-based policy allows it`,
  );

function find(ecs: LocalEcs, input: Record<string, unknown>, key: string, caller: CallerAccount): Service {
  const cluster = clusterOf(ecs, input, caller);
  const ref = str(input, key);
  checkServiceAccount(ref, caller);
  const service = ecs.services.get(ref.startsWith('arn:') ? ref : ecs.serviceArn(cluster, ref));
  if (!service || service.status === 'INACTIVE')
    throw new AwsApiError('ServiceNotFoundException', 'Service not found.');
  if (service.status === 'DRAINING')
    throw new AwsApiError('ServiceNotActiveException', 'Service was not ACTIVE.');
  return service;
}

function create(ecs: LocalEcs, input: Record<string, unknown>, caller: CallerAccount): Service {
  const cluster = clusterOf(ecs, input, caller);
  const name = str(input, 'serviceName');
  const arn = ecs.serviceArn(cluster, name);
  const existing = ecs.services.get(arn);
  if (existing && existing.status !== 'INACTIVE')
    throw new AwsApiError('InvalidParameterException', 'Creation of service was not idempotent.');
  const desiredCount = int(input, 'desiredCount');
  if (desiredCount === undefined)
    throw new AwsApiError('InvalidParameterException', 'desiredCount is required');
  const definition = taskDefinition(ecs, str(input, 'taskDefinition'), caller);
  const breaker = (input.deploymentConfiguration as { deploymentCircuitBreaker?: Service['circuitBreaker'] })
    ?.deploymentCircuitBreaker;
  const service: Service = {
    arn,
    name,
    cluster,
    clusterArn: `arn:aws:ecs:${ecs.options.region}:${caller.account}:cluster/${cluster}`,
    status: 'ACTIVE',
    desiredCount,
    runningCount: 0,
    taskDefinition: definition.arn,
    deployments: [],
    steady: false,
    circuitBreaker: { enable: breaker?.enable === true, rollback: breaker?.rollback === true },
    loadBalancers: (input.loadBalancers as unknown[] | undefined) ?? [],
    tags: (input.tags as Service['tags'] | undefined) ?? [],
    input,
    createdAt: Date.now(),
    messages: [],
  };
  ecs.services.set(arn, service);
  ecs.deploy(service, definition.arn);
  return service;
}

function update(ecs: LocalEcs, input: Record<string, unknown>, caller: CallerAccount): Service {
  const service = find(ecs, input, 'service', caller);
  const definition =
    input.taskDefinition === undefined
      ? undefined
      : taskDefinition(ecs, str(input, 'taskDefinition'), caller);
  const desiredCount = int(input, 'desiredCount');
  if (desiredCount !== undefined) ecs.setDesiredCount(service, desiredCount, 'user');
  if ((definition && definition.arn !== service.taskDefinition) || input.forceNewDeployment === true)
    ecs.deploy(service, definition?.arn ?? service.taskDefinition);
  return service;
}

function remove(ecs: LocalEcs, input: Record<string, unknown>, caller: CallerAccount): Service {
  const service = find(ecs, input, 'service', caller);
  if (service.desiredCount > 0 && input.force !== true)
    throw new AwsApiError(
      'InvalidParameterException',
      'The service cannot be stopped while it is scaled above 0.',
    );
  service.status = 'DRAINING';
  service.desiredCount = 0;
  ecs.notify(service);
  ecs.schedule(
    service,
    () => {
      service.status = 'INACTIVE';
      service.runningCount = 0;
      service.deployments = [];
      service.steady = false;
      ecs.notify(service);
    },
    ecs.timing.taskStopMs,
  );
  return service;
}

function describe(
  ecs: LocalEcs,
  input: Record<string, unknown>,
  caller: CallerAccount,
): Record<string, unknown> {
  const cluster = clusterOf(ecs, input, caller);
  const refs = Array.isArray(input.services) ? input.services.map(String) : [];
  for (const ref of refs) checkServiceAccount(ref, caller);
  if (refs.length === 0 || refs.length > 10)
    throw new AwsApiError('InvalidParameterException', 'services must name 1 to 10 services');
  const withTags = Array.isArray(input.include) && input.include.includes('TAGS');
  const found = refs.map((ref) => ({
    ref,
    service: ecs.services.get(ref.startsWith('arn:') ? ref : ecs.serviceArn(cluster, ref)),
  }));
  return {
    services: found.flatMap(({ service }) => (service ? [serviceView(service, withTags)] : [])),
    failures: found
      .filter(({ service }) => !service)
      .map(({ ref }) => ({
        arn: ref.startsWith('arn:') ? ref : ecs.serviceArn(cluster, ref),
        reason: 'MISSING',
      })),
  };
}
