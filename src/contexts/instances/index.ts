import { tenantResourcesV1 } from '#projections/instances/tenant-resources.v1.js';
import type { BoundedContext } from '#src/platform/context.js';
import { readsPersonalData } from '#src/platform/platform.definition.js';
import { instanceRoutes } from './api/instance.routes.js';
import { instanceDecider } from './domain/instance.decider.js';
import { instanceEventDefinitions } from './domain/instance.events.js';
import { ecsDeployables } from './ecs/deployables.js';
import { provisionerDeployables } from './provisioner/deployables.js';

const table = (baseName: string, indexes: readonly string[]) => ({
  baseName,
  attributes: Object.fromEntries(
    ['PK', 'SK', ...indexes.flatMap((i) => [`${i}PK`, `${i}SK`])].map((a) => [a, 'S' as const]),
  ),
  key: { hash: 'PK', range: 'SK' },
  globalIndexes: indexes.map((name) => ({ name, key: { hash: `${name}PK`, range: `${name}SK` } })),
});

/**
 * Instance management: each tenant's WordPress service per environment on ECS (design sections 1.4, 3.3, 3.4, 4.3,
 * 5.2). The provisioner, ECS control and state sync build on the decider's commands: src/contexts/instances/README.md.
 */
export const instances: BoundedContext = {
  name: 'instances',
  events: instanceEventDefinitions,
  aggregates: { instance: instanceDecider },
  projections: [tenantResourcesV1],
  // `npm start` and runtime tests: the git server, GitHub, ECS/autoscaling/Secrets Manager, ALB stand-ins.
  local: 'src/contexts/instances/local/index.startInstancesLocal',
  tables: {
    // bbws-tenant-resources v1 (design section 4.3, per environment and instance; projections/instances).
    TenantResourcesV1Table: table('bbws-tenant-resources', ['GSI1', 'GSI2', 'GSI3']),
  },
  // Downstream of the stream: rules -> SQS -> consumers (provisioner/, ecs/: each declares its own).
  queues: { ...provisionerDeployables.queues, ...ecsDeployables.queues },
  rules: { ...provisionerDeployables.rules, ...ecsDeployables.rules },
  // The workload accounts' ECS events let onto the default bus (ecs/deployables.ts).
  parameters: ecsDeployables.parameters,
  resources: ecsDeployables.resources,
  functions: [
    ...provisionerDeployables.functions,
    ...ecsDeployables.functions,
    {
      name: 'instanceApi',
      handler: 'src/contexts/instances/handlers/instance-api.handler',
      description: 'Instance management REST API',
      routes: instanceRoutes,
      permissions: [
        // Loads (Query); reservations and idempotency records (GetItem); appends are transactions: the commit,
        // reservations and idempotency record (Put) and the tenant stream's head (ConditionCheck).
        {
          service: 'dynamodb',
          actions: ['GetItem', 'Query', 'PutItem', 'ConditionCheckItem'],
          tables: ['EventStoreTable'],
        },
        {
          service: 'dynamodb',
          actions: ['GetItem', 'Query'],
          tables: ['TenantResourcesV1Table'],
          indexes: true,
        },
        { service: 'dynamodb', actions: ['GetItem'], tables: ['ProjectionRegistryTable'] },
        // The tenant's stream holds its contact's and users' e-mails, opened when it is loaded.
        readsPersonalData,
      ],
    },
  ],
};

/** For the provisioner, ECS control, the ECS state sync and the reactions (README.md: the contract). */
export type { InstanceCommand, PlanTierRef } from './domain/instance.commands.js';
export { instanceDecider } from './domain/instance.decider.js';
export type { EcsFact, InstanceEvent } from './domain/instance.events.js';
export type { InstanceState, InstanceStatus } from './domain/instance.state.js';
export { instanceStream } from './domain/instance.stream.js';
export { instanceKey, serviceKey } from './domain/placement.js';
/** For the tenants context's owned-resources check: a tenant's live instances, read consistently. */
export { instancesOwnedBy } from './ownership.js';
