import { catalogue } from '#src/contexts/catalogue.js';
import { projections } from '#src/contexts/projections.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { defaultRetryPolicy } from '#src/platform/command/retry.js';
import { eventBusName, loadConfig } from '#src/platform/config/config.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { newUlid } from '#src/platform/http/ids.js';
import { tableName } from '#src/platform/infra/app.js';
import { configuredPrivacy } from '#src/platform/privacy/configured.js';
import { DynamoBulkRowWriter, DynamoProgressStore } from '#src/platform/projection-runtime/dynamodb.bulk.js';
import { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';
import { EventBridgeBus } from '#src/platform/publishing/eventbridge.bus.js';

const REGISTRY_TTL_MS = 2000;

/** The CLI's adapters: the local runtime's DynamoDB by default (stage local, port 8000), AWS for other stages. */
export function cliWiring() {
  const config = loadConfig();
  const endpoint =
    config.DYNAMODB_ENDPOINT ??
    (config.STAGE === 'local' ? `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}` : undefined);
  const client = documentClient({ region: config.AWS_REGION, endpoint });
  const table = (id: string) => tableName(id, config.STAGE);
  // The same keys as the functions of the stage: KMS and the stack's secret in AWS, `.local/keys` locally.
  const privacy = configuredPrivacy(config);
  const store = new DynamoEventStore(client, table('EventStoreTable'), catalogue, { privacy });
  const registry = new ProjectionRegistry(
    client,
    table('ProjectionRegistryTable'),
    table,
    projections,
    REGISTRY_TTL_MS,
  );
  const writer = new DynamoProjectionWriter(client, store);
  const parked = new DynamoParkedEvents(client, table('ParkedEventsTable'));
  return {
    store,
    registry,
    writer,
    parked,
    registryTtlMs: REGISTRY_TTL_MS,
    /** `erase`: the same command as the API's (the key deleted by this process, with the stage's keys). */
    eraseDeps: {
      store,
      keys: store.keys,
      runner: new CommandRunner({ store, clock: () => new Date(), newEventId: newUlid }),
      storeOf: (name: string) => new DynamoEventStore(client, name, catalogue, { privacy }),
    },
    /** The publisher's re-drive and recovery (EVENTBRIDGE_ENDPOINT: the local runtime's, printed by npm start). */
    republishDeps: {
      store,
      parked,
      bus: EventBridgeBus.connect(config.AWS_REGION, config.EVENTBRIDGE_ENDPOINT),
      busName: eventBusName(config),
      catalogue,
      retry: { ...defaultRetryPolicy, attempts: 5 },
      maxRequestBytes: config.EVENTBRIDGE_MAX_REQUEST_BYTES,
    },
    rebuildDeps: {
      store,
      registry,
      writer,
      bulk: new DynamoBulkRowWriter(client),
      progress: new DynamoProgressStore(client, table('ProjectionRegistryTable')),
      clock: () => new Date(),
      sleep: (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)),
      registryTtlMs: REGISTRY_TTL_MS,
    },
  };
}
