import { Logger } from '@aws-lambda-powertools/logger';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { catalogue } from '#src/contexts/catalogue.js';
import { projections } from '#src/contexts/projections.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { requestHandler } from '#src/platform/aws/http-timeouts.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { type Config, configuredTables, eventBusName, loadConfig } from '#src/platform/config/config.js';
import { DynamoEventStore, eventTableKeys } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { projectionDispatcher, recordPublisher } from '#src/platform/handlers/stream-consumers.js';
import { newUlid } from '#src/platform/http/ids.js';
import { CognitoIdentityDirectory } from '#src/platform/identity/cognito.identity-directory.js';
import type { IdentityDirectory } from '#src/platform/identity/identity.port.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { configuredPrivacy } from '#src/platform/privacy/configured.js';
import { personalKeys, redactingReplacer } from '#src/platform/privacy/redaction.js';
import type { Privacy, SubjectKeys } from '#src/platform/privacy/subject-keys.js';
import type { ProjectionDispatcher } from '#src/platform/projection-runtime/dispatcher.js';
import { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { EmfMetrics, RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';
import { EventBridgeBus } from '#src/platform/publishing/eventbridge.bus.js';
import type { RecordPublisher } from '#src/platform/publishing/record-publisher.js';

/** The adapters the entry points use, built from the config (no DI container). */
export interface Wiring {
  config: Config;
  logger: Logger;
  metrics: EmfMetrics | RecordingMetrics;
  client: DynamoDBDocumentClient;
  eventStore: DynamoEventStore;
  /** The master key and subject-index key (KMS and the stack's secret in AWS, `.local/keys` locally). */
  privacy: Privacy;
  /** The event table's data keys (cached): the store's, and the stream-record decoder's (`decodeEventRecords`). */
  keys: SubjectKeys;
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

/*
 * Each adapter is built on first use by a function of its own and kept for the process. A Lambda handler calls
 * only the functions it needs, so its bundle holds only those adapters and their AWS SDK clients: the stream
 * consumers no Cognito client, the projection dispatcher and the tenant API no EventBridge client
 * (docs/performance.md, "Bundles"; `npm run bench:bundles` checks it). `wiring()` builds them all (CLI,
 * benchmarks); a handler that calls it bundles them all.
 */
const made: Partial<Wiring> = {};
function once<K extends keyof Wiring>(key: K, make: () => Wiring[K]): Wiring[K] {
  if (!(key in made)) made[key] = make();
  return made[key] as Wiring[K];
}

export const config = (): Config => once('config', () => loadConfig());
/** The function's tables by logical id, from its environment: never the definitions (they would bundle every context). */
export const table = (): Wiring['table'] => once('table', () => configuredTables());
/** Logs never carry a person's data: personal fields' keys and e-mail shapes are redacted (privacy/redaction.ts). */
export const logger = (): Logger =>
  once(
    'logger',
    () =>
      new Logger({
        serviceName: 'bbws-control-plane',
        logLevel: config().LOG_LEVEL,
        jsonReplacerFn: redactingReplacer(personalKeys(catalogue)),
      }),
  );
export const metrics = (): Wiring['metrics'] =>
  once('metrics', () =>
    config().METRICS_MODE === 'record'
      ? new RecordingMetrics()
      : new EmfMetrics('BBWS/ControlPlane', 'bbws-control-plane'),
  );
export const client = (): DynamoDBDocumentClient =>
  once('client', () => documentClient({ region: config().AWS_REGION, endpoint: config().DYNAMODB_ENDPOINT }));
export const privacy = (): Privacy => once('privacy', () => configuredPrivacy(config()));
export const keys = (): SubjectKeys =>
  once('keys', () => eventTableKeys(client(), table()('EventStoreTable'), privacy()));
export const eventStore = (): DynamoEventStore =>
  once(
    'eventStore',
    () => new DynamoEventStore(client(), table()('EventStoreTable'), catalogue, { keys: keys() }),
  );
export const runner = (): CommandRunner =>
  once(
    'runner',
    () => new CommandRunner({ store: eventStore(), clock: () => new Date(), newEventId: newUlid }),
  );
export const registry = (): ProjectionRegistry =>
  once(
    'registry',
    () => new ProjectionRegistry(client(), table()('ProjectionRegistryTable'), table(), projections),
  );
export const parked = (): DynamoParkedEvents =>
  once('parked', () => new DynamoParkedEvents(client(), table()('ParkedEventsTable')));
export const bus = (): EventBridgeBus =>
  once('bus', () => EventBridgeBus.connect(config().AWS_REGION, config().EVENTBRIDGE_ENDPOINT));
export const busName = (): string => once('busName', () => eventBusName(config()));
export const identity = (): IdentityDirectory => once('identity', () => identityDirectory(config()));
export const dispatcher = (): ProjectionDispatcher =>
  once('dispatcher', () =>
    projectionDispatcher(config(), {
      client: client(),
      eventStore: eventStore(),
      registry: registry(),
      parked: parked(),
      metrics: metrics(),
      logger: logger(),
    }),
  );
export const publisher = (): RecordPublisher =>
  once('publisher', () =>
    recordPublisher(config(), {
      bus: bus(),
      busName: busName(),
      parked: parked(),
      metrics: metrics(),
      logger: logger(),
    }),
  );

let built: Wiring | undefined;

/** Every adapter at once (CLI, benchmarks): a Lambda handler calls the functions above it needs instead. */
export function wiring(): Wiring {
  built ??= {
    config: config(),
    logger: logger(),
    metrics: metrics(),
    client: client(),
    eventStore: eventStore(),
    privacy: privacy(),
    keys: keys(),
    runner: runner(),
    registry: registry(),
    parked: parked(),
    dispatcher: dispatcher(),
    publisher: publisher(),
    bus: bus(),
    busName: busName(),
    identity: identity(),
    table: table(),
  };
  return built;
}

function identityDirectory(config: Config): IdentityDirectory {
  if (config.IDENTITY_MODE === 'local') return new LocalIdentityDirectory(config.LOCAL_IDENTITY_FILE);
  if (!config.COGNITO_USER_POOL_ID) throw new Error('IDENTITY_MODE=cognito needs COGNITO_USER_POOL_ID');
  return new CognitoIdentityDirectory(
    new CognitoIdentityProviderClient({
      region: config.AWS_REGION,
      requestHandler: requestHandler('cognito'),
    }),
    config.COGNITO_USER_POOL_ID,
  );
}
