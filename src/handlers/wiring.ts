import { Logger } from '@aws-lambda-powertools/logger';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { CognitoIdentityDirectory } from '../adapters/cognito/cognito.identity-directory.js';
import { documentClient } from '../adapters/dynamodb/client.js';
import { DynamoEventStore } from '../adapters/dynamodb/dynamodb.event-store.js';
import { EventBridgeBus } from '../adapters/eventbridge/eventbridge.bus.js';
import { CommandRunner } from '../application/command-runner.js';
import { localKeys } from '../auth/local-issuer.js';
import type { TokenVerifier } from '../auth/principal.js';
import { cognitoVerifier, localVerifier } from '../auth/verifiers.js';
import { type Config, eventBusName, loadConfig, tableNameFor } from '../config/config.js';
import { catalogue } from '../domain/catalogue.js';
import { Cursors } from '../http/cursor.js';
import type { IdentityDirectory } from '../identity/identity.port.js';
import { LocalIdentityDirectory } from '../identity/local.identity-directory.js';
import { ProjectionDispatcher } from '../projection-runtime/dispatcher.js';
import { DynamoParkedEvents } from '../projection-runtime/dynamodb.parked-events.js';
import { DynamoProjectionWriter } from '../projection-runtime/dynamodb.projection-writer.js';
import { EmfMetrics, RecordingMetrics } from '../projection-runtime/metrics.js';
import { ProjectionRegistry } from '../projection-runtime/registry.js';
import { TenantReadModel } from '../tenants/tenant.read-model.js';
import type { TenantApiDependencies } from '../tenants/tenant.routes.js';

/** The adapters every entry point uses, built once per process from the config (no DI container). */
export interface Wiring {
  config: Config;
  logger: Logger;
  metrics: EmfMetrics | RecordingMetrics;
  client: DynamoDBDocumentClient;
  eventStore: DynamoEventStore;
  runner: CommandRunner;
  registry: ProjectionRegistry;
  dispatcher: ProjectionDispatcher;
  parked: DynamoParkedEvents;
  bus: EventBridgeBus;
  busName: string;
  identity: IdentityDirectory;
  table: (logicalId: string) => string;
}

let built: Wiring | undefined;
let http: HttpWiring | undefined;

/** What the HTTP entry points add: token verification, cursors and the tenant API's dependencies. */
export interface HttpWiring {
  verifier: TokenVerifier;
  tenantApi: TenantApiDependencies;
}

export function httpWiring(): HttpWiring {
  if (http) return http;
  const w = wiring();
  const { config } = w;
  const local = config.AUTH_MODE === 'local' ? localKeys(config.LOCAL_AUTH_DIR) : undefined;
  const verifier = local
    ? localVerifier(local)
    : cognitoVerifier(
        required(config.COGNITO_USER_POOL_ID, 'COGNITO_USER_POOL_ID'),
        required(config.COGNITO_CLIENT_ID, 'COGNITO_CLIENT_ID'),
      );
  const cursorSecret = local?.cursorSecret ?? required(config.CURSOR_SECRET, 'CURSOR_SECRET');
  http = {
    verifier,
    tenantApi: {
      runner: w.runner,
      store: w.eventStore,
      readModel: new TenantReadModel(w.client, async () => (await w.registry.active('tenants')).tableName),
      identity: w.identity,
      cursors: new Cursors(cursorSecret),
      // Sites and instances arrive with their services; until then no tenant can own any.
      ownedResources: async () => ({ sites: 0, instances: 0 }),
    },
  };
  return http;
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

export function wiring(): Wiring {
  built ??= build(loadConfig());
  return built;
}

function build(config: Config): Wiring {
  const table = (logicalId: string) => tableNameFor(config, logicalId);
  const client = documentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT });
  const eventStore = new DynamoEventStore(client, table('EventStoreTable'), catalogue);
  const registry = new ProjectionRegistry(client, table('ProjectionRegistryTable'), table);
  const parked = new DynamoParkedEvents(client, table('ParkedEventsTable'));
  const metrics =
    config.METRICS_MODE === 'record'
      ? new RecordingMetrics()
      : new EmfMetrics('BBWS/ControlPlane', 'bbws-control-plane');
  return {
    config,
    logger: new Logger({ serviceName: 'bbws-control-plane', logLevel: config.LOG_LEVEL }),
    metrics,
    client,
    eventStore,
    runner: new CommandRunner({ store: eventStore, clock: () => new Date(), newEventId: ulid }),
    registry,
    parked,
    dispatcher: new ProjectionDispatcher({
      writer: new DynamoProjectionWriter(client, eventStore),
      parked,
      targets: () => registry.targets(),
      metrics,
      clock: () => new Date(),
      maxAttempts: config.PROJECTION_MAX_ATTEMPTS,
      heartbeat: (target, lastEventAt, lagMs) => registry.heartbeat(target, lastEventAt, lagMs),
    }),
    bus: EventBridgeBus.connect(config.AWS_REGION, config.EVENTBRIDGE_ENDPOINT),
    busName: eventBusName(config),
    identity: identityDirectory(config),
    table,
  };
}

function identityDirectory(config: Config): IdentityDirectory {
  if (config.IDENTITY_MODE === 'local') return new LocalIdentityDirectory(config.LOCAL_IDENTITY_FILE);
  if (!config.COGNITO_USER_POOL_ID) throw new Error('IDENTITY_MODE=cognito needs COGNITO_USER_POOL_ID');
  return new CognitoIdentityDirectory(
    new CognitoIdentityProviderClient({ region: config.AWS_REGION }),
    config.COGNITO_USER_POOL_ID,
  );
}
