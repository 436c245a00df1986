import type { InstanceState, Live } from '../domain/instance.state.js';

/** How the instance API shows an instance (from its stream's state, or a read-model row's) and its status. */
export const instancePath = (tenantId: string, instanceId: string): string =>
  `/v1.0/tenants/${tenantId}/instances/${instanceId}`;

function linksOf(state: Live): Record<string, { href: string }> {
  const self = instancePath(state.tenantId, state.instanceId);
  const links: Record<string, { href: string }> = {
    self: { href: self },
    status: { href: `${self}/status` },
    tenant: { href: `/v1.0/tenants/${state.tenantId}` },
  };
  if (state.status === 'ACTIVE' || state.status === 'SCALING') links.scale = { href: `${self}/scale` };
  if (state.status === 'FAILED') links.retry = { href: `${self}/retry` };
  if (state.change.run) links.workflowRun = { href: state.change.run.url };
  return links;
}

export function instanceView(state: Live, version: number) {
  return {
    instanceId: state.instanceId,
    tenantId: state.tenantId,
    environment: state.environment,
    state: state.status,
    planId: state.planId,
    planVersion: state.planVersion,
    tier: state.tier,
    desiredCount: state.desiredCount,
    albSlot: state.albSlot,
    suspended: state.status === 'SUSPENDED',
    createdAt: state.createdAt,
    updatedAt: state.updatedAt,
    version,
    _links: linksOf(state),
  };
}

export function statusView(state: Live, version: number) {
  const { change, ecs } = state;
  const latest = ecs.latest;
  return {
    instanceId: state.instanceId,
    state: state.status,
    desiredCount: state.desiredCount,
    ecsDesiredCount: ecs.desiredCount ?? null,
    runningCount: ecs.runningCount ?? null,
    lastEcsEvent: latest
      ? {
          eventName: latest.eventName,
          eventType: latest.eventType,
          at: latest.at,
          ...(latest.reason ? { reason: latest.reason } : {}),
        }
      : null,
    change: { n: change.n, kind: change.kind, phase: change.phase, commitSha: change.commitSha ?? null },
    workflowRun: change.run ?? null,
    failure: change.failure ?? null,
    updatedAt: state.updatedAt,
    version,
    _links: linksOf(state),
  };
}

/** A read-model row holds the folded state: lists show exactly what a single read shows. */
export function rowView(row: Record<string, unknown>) {
  const state = row.state as InstanceState;
  return state.status === 'NEW' ? undefined : instanceView(state, Number(row.version));
}
