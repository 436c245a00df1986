import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import type { AwsEventConsumer, AwsServiceEvent } from '#src/platform/consumers/aws-event-consumer.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { instanceDecider } from '../domain/instance.decider.js';
import type { InstanceEnvironment } from '../domain/instance.events.js';
import { EcsFact } from '../domain/instance.events.js';
import { instanceKey, serviceKey } from '../domain/placement.js';
import { tenantOfService } from '../terraform/naming.js';
import type { EcsServices, ServiceCounts } from './ecs-control.port.js';
import { accountOfArn, inCluster } from './workloads.js';

/** What the sync reads of an ECS event's detail (both detail-types); anything else in it is ignored. */
const EcsDetail = z.object({
  eventName: z.string(),
  eventType: z.string(),
  createdAt: z.string().optional(),
  updatedAt: z.string().optional(),
  desiredCount: z.number().optional(),
  reason: z.string().optional(),
  deploymentId: z.string().optional(),
});

/**
 * The fact the README's contract names, or why the event is none (another source, an event name AWS added since
 * domain/ecs-events.ts was written, a detail without a time).
 */
export function factOf(event: AwsServiceEvent): { fact: EcsFact } | { ignored: string } {
  if (event.source !== 'aws.ecs') return { ignored: `not an ECS event (${event.source})` };
  const detail = EcsDetail.safeParse(event.detail);
  if (!detail.success) return { ignored: 'detail without eventName/eventType' };
  const { eventName, eventType, createdAt, updatedAt, desiredCount, reason, deploymentId } = detail.data;
  const fact = EcsFact.safeParse({
    ecsEventId: event.id,
    detailType: event['detail-type'],
    eventName,
    eventType,
    at: createdAt ?? updatedAt,
    serviceArn: event.resources[0],
    ...(desiredCount === undefined ? {} : { desiredCount }),
    ...(reason === undefined ? {} : { reason: reason.slice(0, 2000) }),
    ...(deploymentId === undefined ? {} : { deploymentId }),
  });
  if (!fact.success)
    return {
      ignored: `not a fact the instance records: ${fact.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    };
  return { fact: fact.data };
}

/**
 * The instance stream of a service: the `ecs-service:<arn>` reservation (recorded at provisioning), else the
 * tenant and environment its name carries (the ARN not recorded yet), else none (not a managed service).
 */
export async function instanceOfService(
  store: Pick<EventStore, 'reservationHolder'>,
  serviceArn: string,
): Promise<{ streamId: string; tenantId?: string } | undefined> {
  const named = tenantOfService(serviceArn);
  const tenant = named ? { tenantId: named.tenantId } : {};
  const byArn = await store.reservationHolder(serviceKey(serviceArn));
  if (byArn) return { streamId: byArn, ...tenant };
  if (!named) return undefined;
  const byName = await store.reservationHolder(instanceKey(named.tenantId, named.environment));
  return byName ? { streamId: byName, ...tenant } : undefined;
}

export interface EcsStateSyncDependencies {
  store: Pick<EventStore, 'reservationHolder'>;
  runner: Pick<CommandRunner, 'run'>;
  /**
   * The service's counts and creation time, read with each fact (ECS's events carry none, or only a desired
   * count), in the service's environment (its account, through its role).
   */
  services: (environment: InstanceEnvironment) => Pick<EcsServices, 'describe'>;
  /**
   * Each environment's cluster ARN (`arn:<p>:ecs:<region>:<account>:cluster/<name>`, wiring.ts): a fact from any
   * other account, or of a service outside that cluster (another cluster, or the same name in another region), is
   * not the instance's.
   */
  clusterArnOf: (environment: InstanceEnvironment) => string | undefined;
  /** How long the counts are waited for before the fact is recorded without them (default 2 s). */
  describeDeadlineMs?: number;
}

export const DESCRIBE_DEADLINE_MS = 2000;

/**
 * The service's counts now (DescribeServices), or why there are none: the service is gone (deleted), or the call
 * failed (throttled, denied, ...) or did not answer within the deadline. Never throws: the fact is recorded either
 * way.
 */
export async function countsOf(
  services: Pick<EcsServices, 'describe'>,
  serviceArn: string,
  deadlineMs: number,
): Promise<{ counts: ServiceCounts } | { missing: string }> {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new Error(`no answer within ${deadlineMs} ms`);
      error.name = 'DeadlineExceeded';
      abort.abort(error);
      reject(error);
    }, deadlineMs);
  });
  try {
    const counts = await Promise.race([services.describe(serviceArn, { signal: abort.signal }), deadline]);
    return counts ? { counts } : { missing: 'no such service (deleted, or never created)' };
  } catch (error) {
    return { missing: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The ECS state sync (README, "The ECS state sync's contract"): each aws.ecs event becomes RecordEcsEvent on its
 * instance, with the service's desired and running counts read by DescribeServices when the event arrives (ECS's
 * events carry none: a fact without them would leave the status's counts empty). The counts replace an event's own
 * desiredCount (they are read later, as one pair); the service's `createdAt` goes in as `serviceCreatedAt`, by which
 * the decider drops a late fact of a deleted predecessor of the same ARN. Counts that cannot be read (the service gone, a throttled or
 * failed call) leave the fact without them, logged at WARN: the fact is never lost over its counts. A repeat or a
 * late arrival is the decider's no-op (ordered by ECS's clock and event id, so an older fact's counts never replace
 * a newer one's), so neither a ledger nor any order of delivery is needed.
 */
export function ecsStateSync(deps: () => EcsStateSyncDependencies): AwsEventConsumer {
  return {
    name: 'ecsStateSync',
    async handle(event, { logger }) {
      const found = factOf(event);
      if ('ignored' in found) return ignore(logger, found.ignored, event);
      const { store, runner, services, clusterArnOf, describeDeadlineMs } = deps();
      const elsewhere = outsideCluster(event, clusterArnOf);
      if (elsewhere) return ignore(logger, elsewhere, event);
      const instance = await instanceOfService(store, found.fact.serviceArn);
      if (!instance) return ignore(logger, 'not a managed service', event);
      const environment = tenantOfService(found.fact.serviceArn)?.environment;
      if (!environment) return ignore(logger, 'the service name names no environment', event);
      const read = await countsOf(
        services(environment),
        found.fact.serviceArn,
        describeDeadlineMs ?? DESCRIBE_DEADLINE_MS,
      );
      if ('missing' in read)
        logger.warn('ECS fact recorded without the service counts', {
          why: read.missing,
          serviceArn: found.fact.serviceArn,
          ecsEventId: event.id,
        });
      const fact = 'counts' in read ? withService(found.fact, read.counts) : found.fact;
      const outcome = await runner.run({
        decider: instanceDecider,
        streamId: instance.streamId,
        command: { type: 'RecordEcsEvent', fact },
        metadata: {
          correlationId: event.id,
          causationId: event.id,
          actor: 'ecs-state-sync',
          ...(instance.tenantId ? { tenantId: instance.tenantId } : {}),
        },
        result: ({ version }) => version,
      });
      logger.info('ECS fact recorded', {
        streamId: instance.streamId,
        eventName: fact.eventName,
        at: fact.at,
        desiredCount: fact.desiredCount,
        runningCount: fact.runningCount,
        appended: outcome.events.length,
      });
    },
  };
}

/**
 * Why the event is not of its environment's cluster, if it is not: the event's `account` must be the account of the
 * environment the service's name gives, and its service ARN must be under that environment's cluster
 * (`arn:<p>:ecs:<region>:<account>:service/<cluster>/`). A same-named service in another account, another cluster
 * or another region, whose events reached this bus, is not the instance's: before its ARN is recorded, the
 * fallback by name would take it for the instance's.
 */
function outsideCluster(
  event: AwsServiceEvent,
  clusterArnOf: EcsStateSyncDependencies['clusterArnOf'],
): string | undefined {
  const serviceArn = event.resources[0] ?? '';
  const environment = tenantOfService(serviceArn)?.environment;
  if (!environment) return undefined; // not a tenant's service: instanceOfService finds none
  const cluster = clusterArnOf(environment);
  if (!cluster) return `the cluster of ${environment} is not known`;
  const expected = accountOfArn(cluster);
  if (event.account !== expected)
    return `from account ${event.account ?? '(none)'}, not ${environment}'s (${expected})`;
  const arnAccount = accountOfArn(serviceArn);
  if (arnAccount !== expected)
    return `a service of account ${arnAccount ?? '(none)'}, not ${environment}'s (${expected})`;
  if (!inCluster(serviceArn, cluster))
    return `a service outside ${environment}'s cluster ${cluster} (another cluster or region)`;
  return undefined;
}

/**
 * The fact with what DescribeServices said: the counts, and the service's creation (`serviceCreatedAt`: the decider
 * drops a fact dated before it, a deleted predecessor's of the same ARN).
 */
function withService(fact: EcsFact, counts: ServiceCounts): EcsFact {
  const createdAt = isoTime(counts.createdAt);
  return {
    ...fact,
    desiredCount: counts.desiredCount,
    runningCount: counts.runningCount,
    ...(createdAt === undefined ? {} : { serviceCreatedAt: createdAt }),
  };
}

/** DescribeServices' `createdAt` as the ISO 8601 time a fact holds (undefined: absent, or not a time). */
function isoTime(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = new Date(value).getTime();
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

function ignore(logger: Logger, why: string, event: AwsServiceEvent): void {
  logger.info('ECS event ignored', {
    why,
    serviceArn: event.resources[0],
    account: event.account,
    ecsEventId: event.id,
  });
}
