import { catalogue } from '#src/contexts/catalogue.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { loadConfig, tableNameFor } from '#src/platform/config/config.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { DynamoBulkRowWriter, DynamoProgressStore } from '#src/platform/projection-runtime/dynamodb.bulk.js';
import { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';

const REGISTRY_TTL_MS = 2000;

/** The CLI's adapters: the local runtime's DynamoDB by default (stage local, port 8000), AWS for other stages. */
export function cliWiring() {
  const config = loadConfig();
  const endpoint =
    config.DYNAMODB_ENDPOINT ??
    (config.STAGE === 'local' ? `http://127.0.0.1:${process.env.DYNAMODB_PORT ?? 8000}` : undefined);
  const client = documentClient({ region: config.AWS_REGION, endpoint });
  const table = (id: string) => tableNameFor(config, id);
  const store = new DynamoEventStore(client, table('EventStoreTable'), catalogue);
  const registry = new ProjectionRegistry(client, table('ProjectionRegistryTable'), table, REGISTRY_TTL_MS);
  const writer = new DynamoProjectionWriter(client, store);
  const parked = new DynamoParkedEvents(client, table('ParkedEventsTable'));
  return {
    store,
    registry,
    writer,
    parked,
    registryTtlMs: REGISTRY_TTL_MS,
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
