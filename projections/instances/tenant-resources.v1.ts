import { instanceDecider } from '#src/contexts/instances/domain/instance.decider.js';
import { type InstanceEvent, instanceEvents } from '#src/contexts/instances/domain/instance.events.js';
import type { InstanceState, Live } from '#src/contexts/instances/domain/instance.state.js';
import { instanceStream } from '#src/contexts/instances/domain/instance.stream.js';
import type { Envelope } from '#src/platform/domain/events.js';
import type { Row, RowChange, RowKey, Rows } from '#src/platform/domain/projection.js';
import { projectionOf, rowId } from '#src/platform/domain/projection.js';

/**
 * bbws-tenant-resources, version 1: the key patterns of design section 4.3, extended per environment and instance.
 *
 * | row | PK | SK | GSI1 | GSI2 | GSI3 |
 * | instance | TENANT#{tenantId} | INSTANCE#{environment}#{instanceId} | TENANT#{tenantId}#STATE / {state}#{updatedAt} | STATE#{state} / {environment}#{updatedAt}#{instanceId} | ALB#{environment} / {alb}#{priority}#{instanceId} (live only) |
 * | resource | TENANT#{tenantId}#INSTANCE#{environment}#{instanceId} | RESOURCE#{type} | — | — | — |
 * | locator | INSTANCE#{instanceId} | LOCATOR | — | — | — |
 *
 * The design's `TENANT#{id}|INSTANCE` held one instance per tenant; a tenant has one per environment, and a
 * re-created instance is a new stream, so the instanceId ends the key: every row belongs to exactly one stream
 * (what the writer's per-stream checkpoint and in-memory rebuilds rely on), and a deleted instance's row stays
 * (state DELETED) beside its successor's. Events after the first carry no tenant id: the locator row gives it.
 * The instance row keeps the decider's state (`state`), folded with the decider's own `evolve`, and flattens the
 * fields lists show. The design's `cognitoUserPoolId` is dropped: tenant users sign in through the platform's one
 * pool (memberships), and a site's WordPress users live in WordPress; an instance has no pool of its own.
 */
export const tenantPK = (tenantId: string): string => `TENANT#${tenantId}`;
export const instanceSK = (environment: string, instanceId: string): string =>
  `INSTANCE#${environment}#${instanceId}`;
export const resourcesPK = (tenantId: string, environment: string, instanceId: string): string =>
  `TENANT#${tenantId}#INSTANCE#${environment}#${instanceId}`;
const locatorKey = (instanceId: string): RowKey => ({ PK: `INSTANCE#${instanceId}`, SK: 'LOCATOR' });
const pad = (n: number, width: number) => String(n).padStart(width, '0');

type InstanceEnvelope = Envelope<InstanceEvent>;

/** The resource rows: one per AWS resource the provisioner recorded (design: RESOURCE#{type}). */
const RESOURCE_TYPES = {
  serviceArn: 'ecs-service',
  taskDefinitionArn: 'task-definition',
  targetGroupArn: 'target-group',
  efsAccessPointId: 'efs-access-point',
  databaseSecretArn: 'database-secret',
  appPasswordSecretArn: 'app-password-secret',
} as const;

function instanceKeyOf(rows: Rows, event: InstanceEnvelope): RowKey | undefined {
  if (event.type === 'INSTANCE_PROVISIONING_REQUESTED') {
    return {
      PK: tenantPK(event.data.tenantId),
      SK: instanceSK(event.data.environment, event.data.instanceId),
    };
  }
  const locator = rows.get(rowId(locatorKey(instanceStream.parse(event.streamId))));
  return locator && { PK: String(locator.tenantPK), SK: String(locator.instanceSK) };
}

/** The instance row: the fields lists show, the index keys, and the folded state. */
function instanceRow(key: RowKey, state: Live, event: InstanceEnvelope): Row {
  const { change, ecs, resources } = state;
  const updatedAt = state.updatedAt ?? event.occurredAt;
  const row: Row = {
    ...key,
    instanceId: state.instanceId,
    tenantId: state.tenantId,
    environment: state.environment,
    provisioningState: state.status,
    planId: state.planId,
    planVersion: state.planVersion,
    tier: state.tier,
    desiredCount: state.desiredCount,
    albSlot: state.albSlot,
    commitSha: change.commitSha ?? null,
    workflowRunId: change.run?.id ?? null,
    workflowRunUrl: change.run?.url ?? null,
    lastEcsEvent: ecs.latest?.eventName ?? null,
    lastEcsEventAt: ecs.latest?.at ?? null,
    ecsDesiredCount: ecs.desiredCount ?? null,
    runningCount: ecs.runningCount ?? null,
    ecsServiceArn: resources?.serviceArn ?? null,
    efsAccessPointId: resources?.efsAccessPointId ?? null,
    albTargetGroupArn: resources?.targetGroupArn ?? null,
    createdAt: state.createdAt,
    updatedAt,
    version: event.version,
    state,
    GSI1PK: `${tenantPK(state.tenantId)}#STATE`,
    GSI1SK: `${state.status}#${updatedAt}`,
    GSI2PK: `STATE#${state.status}`,
    GSI2SK: `${state.environment}#${updatedAt}#${state.instanceId}`,
  };
  if (state.status !== 'DELETED') {
    row.GSI3PK = `ALB#${state.environment}`;
    row.GSI3SK = `${pad(state.albSlot.alb, 2)}#${pad(state.albSlot.priority, 5)}#${state.instanceId}`;
  }
  return row;
}

function resourceChanges(before: Live | undefined, after: Live, event: InstanceEnvelope): RowChange[] {
  const pk = resourcesPK(after.tenantId, after.environment, after.instanceId);
  const gone = after.status === 'DELETED';
  return Object.entries(RESOURCE_TYPES).flatMap(([field, type]): RowChange[] => {
    const was = before?.resources?.[field as keyof typeof RESOURCE_TYPES];
    const now = gone ? undefined : after.resources?.[field as keyof typeof RESOURCE_TYPES];
    if (was === now) return [];
    const key = { PK: pk, SK: `RESOURCE#${type}` };
    if (now === undefined) return [{ delete: key }];
    return [
      { put: { ...key, type, value: now, instanceId: after.instanceId, recordedAt: event.occurredAt } },
    ];
  });
}

export const tenantResourcesV1 = projectionOf(instanceEvents, {
  name: 'tenant-resources',
  version: 1,
  table: 'TenantResourcesV1Table',
  categories: [instanceStream.category],
  reads(event: InstanceEnvelope, rows?: Rows): RowKey[] {
    if (event.type === 'INSTANCE_PROVISIONING_REQUESTED') return [];
    const locator = locatorKey(instanceStream.parse(event.streamId));
    const key = rows && instanceKeyOf(rows, event);
    return key ? [locator, key] : [locator];
  },
  apply(rows: Rows, event: InstanceEnvelope): RowChange[] {
    const key = instanceKeyOf(rows, event);
    if (!key) throw new Error(`no locator for ${event.streamId}: its first event was never applied`);
    const before =
      (rows.get(rowId(key))?.state as InstanceState | undefined) ?? instanceDecider.initialState();
    const after = instanceDecider.evolve(before, {
      type: event.type,
      data: event.data,
      occurredAt: event.occurredAt,
    } as never);
    if (after.status === 'NEW') return [];
    const changes: RowChange[] = [
      { put: instanceRow(key, after, event) },
      ...resourceChanges(before.status === 'NEW' ? undefined : before, after, event),
    ];
    if (event.type === 'INSTANCE_PROVISIONING_REQUESTED') {
      changes.push({ put: { ...locatorKey(after.instanceId), tenantPK: key.PK, instanceSK: key.SK } });
    }
    return changes;
  },
});
