import type { BoundedContext } from '#src/platform/context.js';
import { readsPersonalData, writesPersonalData } from '#src/platform/platform.definition.js';
import { tenantRoutes } from './api/tenant.routes.js';
import { tenants } from './index.js';

const tenantsTable = (baseName: string, indexes: readonly string[]) => ({
  baseName,
  attributes: Object.fromEntries(
    ['PK', 'SK', ...indexes.flatMap((i) => [`${i}PK`, `${i}SK`])].map((a) => [a, 'S' as const]),
  ),
  key: { hash: 'PK', range: 'SK' },
  globalIndexes: indexes.map((name) => ({ name, key: { hash: `${name}PK`, range: `${name}SK` } })),
});

/** What tenant management registers: its model (index.ts) and what it deploys (src/contexts/index.ts lists it). */
export const tenantsRegistration: BoundedContext = {
  ...tenants,
  tables: {
    // bbws-tenants v1, the design's key patterns (section 4.1). A new projection version is a new table
    // (blue/green rebuilds); readers find the active one in the projection registry.
    TenantsV1Table: tenantsTable('bbws-tenants', ['GSI1', 'GSI2']),
    // v2 (migrations/tenants/read-models/0001): adds contactDomain and GSI3.
    TenantsV2Table: tenantsTable('bbws-tenants-v2', ['GSI1', 'GSI2', 'GSI3']),
  },
  queues: {
    // One FIFO group: Cognito rewrites the whole membership attribute without a condition, so the platform
    // serialises the writes (docs/architecture.md, "Consumers"). 60 s = 6 x identitySync's timeout.
    IdentitySyncQueue: {
      baseName: 'bbws-identity-sync',
      fifo: true,
      visibilityTimeoutSeconds: 60,
      maxReceiveCount: 5,
    },
  },
  rules: {
    IdentitySyncRule: {
      bus: 'platform',
      description: 'Membership changes, for the identity sync (Cognito)',
      pattern: { source: ['bbws.tenant-management'], 'detail-type': ['USER_ASSIGNED', 'USER_REMOVED'] },
      queue: 'IdentitySyncQueue',
      messageGroupId: 'identity-sync',
    },
  },
  functions: [
    {
      name: 'tenantApi',
      handler: 'src/contexts/tenants/handlers/tenant-api.handler',
      description: 'Tenant management REST API',
      routes: tenantRoutes,
      permissions: [
        {
          service: 'dynamodb',
          actions: ['GetItem', 'Query', 'PutItem', 'DeleteItem'],
          tables: ['EventStoreTable'],
        },
        {
          service: 'dynamodb',
          actions: ['GetItem', 'BatchGetItem', 'Query'],
          tables: ['TenantsV1Table', 'TenantsV2Table'],
          indexes: true,
        },
        { service: 'dynamodb', actions: ['GetItem'], tables: ['ProjectionRegistryTable'] },
        { service: 'cognito-idp', actions: ['ListUsers'] },
        // Tenants' contact e-mails and users' e-mails: sealed with their subjects' keys (made for a new person).
        writesPersonalData,
      ],
    },
    {
      name: 'identitySync',
      handler: 'src/contexts/tenants/handlers/identity-sync.handler',
      description:
        "Writes each user's tenant roles, as the tenant streams say, to Cognito's membership attribute",
      timeoutSeconds: 10,
      triggers: [{ kind: 'sqs', queue: 'IdentitySyncQueue', batchSize: 10 }],
      permissions: [
        // The authoritative membership: the tenant's stream, read consistently (its e-mails opened: KMS).
        { service: 'dynamodb', actions: ['Query'], tables: ['EventStoreTable'] },
        readsPersonalData,
        {
          service: 'dynamodb',
          actions: ['PutItem', 'UpdateItem', 'DeleteItem'],
          tables: ['ConsumerLedgerTable'],
        },
        { service: 'cognito-idp', actions: ['AdminGetUser', 'AdminUpdateUserAttributes'] },
      ],
    },
  ],
};
