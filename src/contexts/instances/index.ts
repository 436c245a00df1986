import { tenantResourcesV1 } from '#projections/instances/tenant-resources.v1.js';
import type { BoundedContext } from '#src/platform/context.js';
import { instanceDecider } from './domain/instance.decider.js';
import { instanceEventDefinitions } from './domain/instance.events.js';

/**
 * Instance management: each tenant's WordPress service per environment on ECS (design sections 1.4, 3.3, 3.4, 4.3,
 * 5.2). The provisioner, ECS control and state sync build on the decider's commands: src/contexts/instances/README.md.
 * The front door holds what every function may need of the context (events, aggregates, projections), not its
 * routes, consumers or deployables: those are in registration.ts, which only src/contexts/index.ts imports.
 */
export const instances = {
  name: 'instances',
  events: instanceEventDefinitions,
  aggregates: { instance: instanceDecider },
  projections: [tenantResourcesV1],
} satisfies Pick<BoundedContext, 'name' | 'events' | 'aggregates' | 'projections'>;

/** For the provisioner, ECS control, the ECS state sync and the reactions (README.md: the contract). */
export type { InstanceCommand, PlanTierRef } from './domain/instance.commands.js';
export { instanceDecider } from './domain/instance.decider.js';
export type { EcsFact, InstanceEvent } from './domain/instance.events.js';
export type { InstanceState, InstanceStatus } from './domain/instance.state.js';
export { instanceStream } from './domain/instance.stream.js';
export { instanceKey, serviceKey } from './domain/placement.js';
/** For the tenants context's owned-resources check: a tenant's live instances, read consistently. */
export { instancesOwnedBy } from './ownership.js';
