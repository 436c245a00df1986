import type { BoundedContext } from '#src/platform/context.js';
import type { RouteDeclaration } from '#src/platform/http/route.js';
import { type Json, ref, retention, sub } from '#src/platform/infra/cloudformation.js';
import type { Deployables, Permission, StreamTrigger } from '#src/platform/infra/definitions.js';
import { dataSubjectRoutes } from '#src/platform/privacy/data-subjects/data-subject.routes.js';
import { DATA_SUBJECTS_V1_TABLE } from '#src/platform/privacy/data-subjects/data-subjects.v1.js';

/** The platform's own routes (each context declares its own). */
export const healthRoute: RouteDeclaration = {
  method: 'GET',
  path: '/v1.0/health',
  auth: 'public',
  summary: 'Liveness: no auth, no data',
  response: { status: 200 },
};
export const openApiRoute: RouteDeclaration = {
  method: 'GET',
  path: '/v1.0/openapi.json',
  auth: 'public',
  summary: 'This document',
  response: { status: 200 },
};

/**
 * Personal fields are encrypted with each data subject's data key, wrapped by the stack's KMS key
 * (PersonalDataKey). A function that reads events holding them unwraps keys (Decrypt; the key items themselves
 * are read by Query on the event table); one that appends them may make keys (GenerateDataKey). Every function
 * that loads, reads or decodes events needs the first, every one that appends them the second.
 */
export const readsPersonalData: Permission = { service: 'kms', actions: ['Decrypt'], key: 'PersonalDataKey' };
export const writesPersonalData: Permission = {
  service: 'kms',
  actions: ['GenerateDataKey', 'Decrypt'],
  key: 'PersonalDataKey',
};

/**
 * Both stream consumers retry a failing record until it expires (24 h): Lambda never gives up first. The
 * handlers park what keeps failing well before that (docs/operations.md states the bound), so nothing is
 * dropped; the on-failure queue only ever gets metadata, an alarm source.
 */
const eventStream = (bisect: boolean): StreamTrigger => ({
  kind: 'stream',
  table: 'EventStoreTable',
  batchSize: 100,
  maximumRetryAttempts: -1,
  maximumRecordAgeInSeconds: -1,
  bisectBatchOnFunctionError: bisect,
  onFailureQueue: 'StreamFailuresQueue',
  startingPosition: 'TRIM_HORIZON',
});

/** What the platform deploys: the event table and its two stream consumers, the bus, the user pool, HTTP edges. */
export function platformDeployables(contexts: readonly BoundedContext[]): Deployables {
  const projectionTables = [
    ...contexts.flatMap((c) => c.projections.map((p) => p.table)),
    DATA_SUBJECTS_V1_TABLE,
  ];
  // What each context's personal-data handler needs: to export for the privacy API, to erase for the process.
  const handlers = contexts.flatMap((c) => (c.personalData ? [c.personalData.permissions] : []));
  return {
    tables: {
      EventStoreTable: {
        baseName: 'bbws-event-store',
        attributes: { pk: 'S', sk: 'N' },
        key: { hash: 'pk', range: 'sk' },
        stream: 'NEW_IMAGE',
        ttlAttribute: 'expiresAt',
        globalIndexes: [],
      },
      // Events a consumer could not apply or publish after its bound, and the attempt counters before that.
      ParkedEventsTable: {
        baseName: 'bbws-parked-events',
        attributes: { pk: 'S', sk: 'N' },
        key: { hash: 'pk', range: 'sk' },
        ttlAttribute: 'expiresAt',
        globalIndexes: [],
      },
      // Which version of each projection readers use, and the progress of rebuilds.
      ProjectionRegistryTable: {
        baseName: 'bbws-projection-registry',
        attributes: { pk: 'S', sk: 'S' },
        key: { hash: 'pk', range: 'sk' },
        globalIndexes: [],
      },
      // The index of data subjects (projection data-subjects v1): which streams hold whose personal data, by
      // subject id only (src/platform/privacy/data-subjects/data-subjects.v1.ts).
      [DATA_SUBJECTS_V1_TABLE]: {
        baseName: 'bbws-data-subjects',
        attributes: { PK: 'S', SK: 'S', GSI1PK: 'S', GSI1SK: 'S' },
        key: { hash: 'PK', range: 'SK' },
        globalIndexes: [{ name: 'GSI1', key: { hash: 'GSI1PK', range: 'GSI1SK' } }],
      },
      // The consumers' deduplication ledger: one item per (consumer, eventId), TTL'd (src/platform/consumers).
      ConsumerLedgerTable: {
        baseName: 'bbws-consumer-ledger',
        attributes: { pk: 'S' },
        key: { hash: 'pk' },
        ttlAttribute: 'expiresAt',
        globalIndexes: [],
      },
    },
    queues: {
      // Lambda's on-failure destination of the stream consumers: record metadata only, an alarm source.
      StreamFailuresQueue: { baseName: 'bbws-stream-failures' },
      // ERASURE_REQUESTED, for the erasure process: 5400 s = 6 x its timeout; three tries, then the DLQ (alarm,
      // `queues redrive ErasureQueue`: the process resumes from the streams it marked).
      ErasureQueue: { baseName: 'bbws-erasure', visibilityTimeoutSeconds: 5400, maxReceiveCount: 3 },
    },
    rules: {
      ErasureRule: {
        bus: 'platform',
        description: 'Erasure requests, for the erasure process (markers on every stream, downstream copies)',
        pattern: { source: ['bbws.privacy'], 'detail-type': ['ERASURE_REQUESTED'] },
        queue: 'ErasureQueue',
      },
    },
    functions: [
      {
        name: 'projectionDispatcher',
        handler: 'src/platform/handlers/projection-dispatcher.handler',
        description:
          'Runs every read-model projection (and a shadow being rebuilt) over the event table stream',
        timeoutSeconds: 60,
        triggers: [eventStream(false)],
        permissions: [
          { service: 'dynamodb', actions: ['Query'], tables: ['EventStoreTable'] },
          // rows and checkpoints are read with BatchGetItem and written in one transaction (Put, Delete; Update marks
          // a stream parked; ConditionCheck: an event parks behind a stream only while it is marked); single GetItem
          // (checkpoint) and deleting parked events are the CLI's (redrive, recover)
          {
            service: 'dynamodb',
            actions: ['BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem'],
            tables: projectionTables,
          },
          { service: 'dynamodb', actions: ['PutItem', 'UpdateItem'], tables: ['ParkedEventsTable'] },
          { service: 'dynamodb', actions: ['GetItem', 'PutItem'], tables: ['ProjectionRegistryTable'] },
          readsPersonalData,
        ],
      },
      {
        name: 'eventPublisher',
        handler: 'src/platform/handlers/event-publisher.handler',
        description: 'Publishes every event to the bbws-events bus (at least once)',
        timeoutSeconds: 60,
        triggers: [eventStream(true)],
        permissions: [
          { service: 'events', actions: ['PutEvents'], bus: 'platform' },
          { service: 'dynamodb', actions: ['PutItem', 'UpdateItem'], tables: ['ParkedEventsTable'] },
          // Decoding stream records decrypts personal fields: the subjects' key items, and KMS to unwrap them.
          { service: 'dynamodb', actions: ['Query'], tables: ['EventStoreTable'] },
          readsPersonalData,
        ],
      },
      {
        name: 'privacyApi',
        handler: 'src/platform/handlers/privacy-api.handler',
        description:
          'Data subjects: find by e-mail, export what the platform holds (access), request erasure',
        routes: dataSubjectRoutes,
        // finds people by e-mail: their subject ids are HMACs under the subject-index key
        secrets: ['SubjectIndexKey'],
        permissions: [
          // streams and their keys read (Query), findIdempotent (GetItem); an erasure request is one transaction:
          // the event on the subject's stream (Put) and their key item deleted (Delete)
          {
            service: 'dynamodb',
            actions: ['GetItem', 'Query', 'PutItem', 'DeleteItem'],
            tables: ['EventStoreTable'],
          },
          { service: 'dynamodb', actions: ['Query'], tables: [DATA_SUBJECTS_V1_TABLE], indexes: true },
          { service: 'dynamodb', actions: ['GetItem'], tables: ['ProjectionRegistryTable'] },
          readsPersonalData,
          ...handlers.flatMap((h) => h.export),
        ],
      },
      {
        name: 'erasureProcess',
        handler: 'src/platform/handlers/erasure-process.handler',
        description:
          "Marks every stream holding an erased person's data (PERSONAL_DATA_ERASED) and erases the contexts' copies",
        // waits out the data-key cache (5 minutes) before the markers, then marks stream after stream
        timeoutSeconds: 900,
        triggers: [{ kind: 'sqs', queue: 'ErasureQueue', batchSize: 1 }],
        permissions: [
          // Scan: the streams naming the subject, from the table itself; Query: streams and keys; GetItem: the
          // marker's idempotency record; PutItem: markers (with their idempotency record) and progress
          {
            service: 'dynamodb',
            actions: ['Scan', 'Query', 'GetItem', 'PutItem'],
            tables: ['EventStoreTable'],
          },
          {
            service: 'dynamodb',
            actions: ['PutItem', 'UpdateItem', 'DeleteItem'],
            tables: ['ConsumerLedgerTable'],
          },
          readsPersonalData,
          ...handlers.flatMap((h) => h.erase),
        ],
      },
      {
        name: 'health',
        handler: 'src/platform/handlers/health.handler',
        description: 'Liveness, and 404 problem+json for every undeclared route ($default)',
        routes: [healthRoute],
        catchAll: true,
        permissions: [],
        // The first thing a probe calls, and free of dependencies: a tenth of the default zip budget.
        bundleBudget: { zipBytes: 100 * 1024, importMs: 100 },
      },
      {
        name: 'openApi',
        handler: 'src/platform/handlers/openapi.handler',
        description: 'The OpenAPI document of every declared route',
        routes: [openApiRoute],
        permissions: [],
      },
    ],
    resources: platformResources,
  };
}

/** The bus and the Cognito user pool the code assumes (groups Admin and Operator, the membership attribute). */
function platformResources(stage: string): Record<string, Json> {
  return {
    EventBus: { Type: 'AWS::Events::EventBus', Properties: { Name: `bbws-events-${stage}` } },
    UserPool: {
      Type: 'AWS::Cognito::UserPool',
      DeletionPolicy: stage === 'dev' ? 'Delete' : 'Retain',
      UpdateReplacePolicy: stage === 'dev' ? 'Delete' : 'Retain',
      Properties: {
        UserPoolName: `bbws-users-${stage}`,
        UsernameAttributes: ['email'],
        // Cognito verifies every e-mail address (a code sent to it), and a user's change of address stays pending
        // until the new one is verified: until then the user signs in, and tokens carry, the old, verified one.
        // Without it a user could set any address (the app client writes `email`) and be taken for its owner:
        // matched by e-mail (privacy API, memberships), sent its resets.
        AutoVerifiedAttributes: ['email'],
        UserAttributeUpdateSettings: { AttributesRequireVerificationBeforeUpdate: ['email'] },
        VerificationMessageTemplate: { DefaultEmailOption: 'CONFIRM_WITH_CODE' },
        // A forgotten password is reset only through a verified e-mail address (never an SMS, never unverified).
        AccountRecoverySetting: { RecoveryMechanisms: [{ Name: 'verified_email', Priority: 1 }] },
        AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
        Policies: {
          PasswordPolicy: {
            MinimumLength: 12,
            RequireLowercase: true,
            RequireUppercase: true,
            RequireNumbers: true,
            RequireSymbols: false,
          },
        },
        MfaConfiguration: 'OPTIONAL',
        EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
        // Tenant memberships: JSON {tenantId: {role, version}} kept by the identity sync (2048 characters max).
        Schema: [
          {
            Name: 'tenants',
            AttributeDataType: 'String',
            Mutable: true,
            StringAttributeConstraints: { MaxLength: '2048' },
          },
        ],
        DeletionProtection: stage === 'dev' ? 'INACTIVE' : 'ACTIVE',
      },
    },
    AdminGroup: {
      Type: 'AWS::Cognito::UserPoolGroup',
      Properties: { GroupName: 'Admin', UserPoolId: ref('UserPool'), Description: 'Platform administrators' },
    },
    OperatorGroup: {
      Type: 'AWS::Cognito::UserPoolGroup',
      Properties: { GroupName: 'Operator', UserPoolId: ref('UserPool'), Description: 'Platform operators' },
    },
    UserPoolClient: {
      Type: 'AWS::Cognito::UserPoolClient',
      Properties: {
        ClientName: `bbws-portal-${stage}`,
        UserPoolId: ref('UserPool'),
        GenerateSecret: false,
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
        PreventUserExistenceErrors: 'ENABLED',
        // The membership attribute is the platform's to write: clients may read it, never set it.
        ReadAttributes: ['email', 'email_verified', 'custom:tenants'],
        WriteAttributes: ['email'],
        AccessTokenValidity: 60,
        IdTokenValidity: 60,
        TokenValidityUnits: { AccessToken: 'minutes', IdToken: 'minutes' },
      },
    },
    // Wraps the data key of every data subject (docs/architecture.md, "Personal data: encryption per data
    // subject"). Without it no personal field of the event table, or of its backups, can be read again: it
    // outlives the stack outside dev.
    PersonalDataKey: {
      Type: 'AWS::KMS::Key',
      ...retention(stage),
      Properties: {
        Description: `bbws-${stage}: wraps the data keys of personal data in the event table`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AccountAdministersThroughIam',
              Effect: 'Allow',
              Principal: { AWS: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
              Action: 'kms:*',
              Resource: '*',
            },
          ],
        },
      },
    },
    PersonalDataKeyAlias: {
      Type: 'AWS::KMS::Alias',
      Properties: { AliasName: `alias/bbws-personal-data-${stage}`, TargetKeyId: ref('PersonalDataKey') },
    },
    // The HMAC key of the subject index (subject ids are keyed hashes of e-mails): generated, never in git. The
    // ids in the event table and the index of data subjects are its hashes: without it no one can be found by
    // e-mail again (access, erasure), so it is kept as long as the event table, through a deletion or replacement.
    SubjectIndexKey: {
      Type: 'AWS::SecretsManager::Secret',
      ...retention(stage),
      Properties: {
        Name: `bbws-subject-index-key-${stage}`,
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
    },
    // The key that signs pagination cursors: generated, never in git or in the template.
    CursorSecret: {
      Type: 'AWS::SecretsManager::Secret',
      Properties: {
        Name: `bbws-cursor-secret-${stage}`,
        GenerateSecretString: { PasswordLength: 64, ExcludePunctuation: true },
      },
    },
  };
}
