import type { BoundedContext } from '#src/platform/context.js';
import { readsPersonalData } from '#src/platform/platform.definition.js';
import { instanceRoutes } from './api/instance.routes.js';
import { ecsDeployables } from './ecs/deployables.js';
import { instances } from './index.js';
import { provisionerDeployables } from './provisioner/deployables.js';

const table = (baseName: string, indexes: readonly string[]) => ({
  baseName,
  attributes: Object.fromEntries(
    ['PK', 'SK', ...indexes.flatMap((i) => [`${i}PK`, `${i}SK`])].map((a) => [a, 'S' as const]),
  ),
  key: { hash: 'PK', range: 'SK' },
  globalIndexes: indexes.map((name) => ({ name, key: { hash: `${name}PK`, range: `${name}SK` } })),
});

/** What instance management registers: its model (index.ts) and what it deploys (src/contexts/index.ts lists it). */
export const instancesRegistration: BoundedContext = {
  ...instances,
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
