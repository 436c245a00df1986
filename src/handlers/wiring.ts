import { Logger } from '@aws-lambda-powertools/logger';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { CognitoIdentityDirectory } from '../adapters/cognito/cognito.identity-directory.js';
import { documentClient } from '../adapters/dynamodb/client.js';
import { DynamoEventStore } from '../adapters/dynamodb/dynamodb.event-store.js';
import { EventBridgeBus } from '../adapters/eventbridge/eventbridge.bus.js';
import { CommandRunner } from '../application/command-runner.js';
import { type Config, eventBusName, loadConfig, tableNameFor } from '../config/config.js';
import { catalogue } from '../domain/catalogue.js';
import type { IdentityDirectory } from '../identity/identity.port.js';
import { LocalIdentityDirectory } from '../identity/local.identity-directory.js';
import { ProjectionDispatcher } from '../projection-runtime/dispatcher.js';
import { DynamoParkedEvents } from '../projection-runtime/dynamodb.parked-events.js';
import { DynamoProjectionWriter } from '../projection-runtime/dynamodb.projection-writer.js';
import { EmfMetrics, RecordingMetrics } from '../projection-runtime/metrics.js';
import { ProjectionRegistry } from '../projection-runtime/registry.js';

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
