import { Logger } from '@aws-lambda-powertools/logger';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { catalogue } from '#src/contexts/catalogue.js';
import { localKeys } from '#src/platform/auth/local-issuer.js';
import type { TokenVerifier } from '#src/platform/auth/principal.js';
import { cognitoVerifier, localVerifier } from '#src/platform/auth/verifiers.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { type Config, eventBusName, loadConfig } from '#src/platform/config/config.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { streamConsumers } from '#src/platform/handlers/stream-consumers.js';
import { Cursors } from '#src/platform/http/cursor.js';
import { CognitoIdentityDirectory } from '#src/platform/identity/cognito.identity-directory.js';
import type { IdentityDirectory } from '#src/platform/identity/identity.port.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { tableName } from '#src/platform/infra/app.js';
import type { ProjectionDispatcher } from '#src/platform/projection-runtime/dispatcher.js';
import { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { EmfMetrics, RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';
import { EventBridgeBus } from '#src/platform/publishing/eventbridge.bus.js';
import type { RecordPublisher } from '#src/platform/publishing/record-publisher.js';

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
  publisher: RecordPublisher;
  parked: DynamoParkedEvents;
  bus: EventBridgeBus;
  busName: string;
  identity: IdentityDirectory;
  table: (logicalId: string) => string;
}

let built: Wiring | undefined;
let http: HttpWiring | undefined;

/** What the HTTP entry points add: token verification and pagination cursors. */
export interface HttpWiring {
  verifier: TokenVerifier;
  cursors: Cursors;
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
  http = { verifier, cursors: new Cursors(cursorSecret) };
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
  const table = (logicalId: string) => tableName(logicalId, config.STAGE);
  const client = documentClient({ region: config.AWS_REGION, endpoint: config.DYNAMODB_ENDPOINT });
  const eventStore = new DynamoEventStore(client, table('EventStoreTable'), catalogue);
  const registry = new ProjectionRegistry(client, table('ProjectionRegistryTable'), table);
  const parked = new DynamoParkedEvents(client, table('ParkedEventsTable'));
  const metrics =
    config.METRICS_MODE === 'record'
      ? new RecordingMetrics()
      : new EmfMetrics('BBWS/ControlPlane', 'bbws-control-plane');
  const logger = new Logger({ serviceName: 'bbws-control-plane', logLevel: config.LOG_LEVEL });
  const bus = EventBridgeBus.connect(config.AWS_REGION, config.EVENTBRIDGE_ENDPOINT);
  const busName = eventBusName(config);
  return {
    config,
    logger,
    metrics,
    client,
    eventStore,
    runner: new CommandRunner({ store: eventStore, clock: () => new Date(), newEventId: ulid }),
    registry,
    parked,
    ...streamConsumers(config, { client, eventStore, registry, parked, metrics, bus, busName, logger }),
    bus,
    busName,
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
