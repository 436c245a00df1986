/**
 * Parking drill: shows a poison event being parked and re-driven with the real CLI. Starts its own DynamoDB
 * Local (stage "drill"), appends a tenant's events, runs them through the dispatcher with a projection that
 * has a bug on TENANT_PARKED (three deliveries, as Lambda would redeliver), then waits. In another shell:
 *   STAGE=drill DYNAMODB_ENDPOINT=<printed endpoint> npm run bbws -- parked list
 *   STAGE=drill DYNAMODB_ENDPOINT=<printed endpoint> npm run bbws -- parked redrive   (the real projection: the fix)
 * Ctrl-C stops it. Run: npx tsx scripts/parking-drill.ts
 */
import { ulid } from 'ulid';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { documentClient, dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { createTables, tableName } from '#src/platform/infra/create-tables.js';
import { startDynamoDbLocal } from '#src/platform/local/dynamodb-local.js';
import { fromEventRecords, ProjectionDispatcher } from '#src/platform/projection-runtime/dispatcher.js';
import { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const STAGE = 'drill';
const dynamo = await startDynamoDbLocal();
await createTables(dynamoClient({ region: 'af-south-1', endpoint: dynamo.endpoint }), STAGE);
const client = documentClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
const store = new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const tenantId = ulid();
const commands: TenantCommand[] = [
  {
    type: 'CreateTenant',
    tenantId,
    organizationName: 'Drill Org',
    contactEmail: 'ops@drill.test',
    environment: 'dev',
  },
  { type: 'ParkTenant', reason: 'drill' },
  { type: 'AssignUser', userId: 'drill-user', role: 'TenantMember' },
];
const records = [];
for (const command of commands) {
  const { events } = await runner.run({
    decider: tenantDecider,
    streamId: `tenant-${tenantId}`,
    command,
    metadata: { correlationId: ulid(), actor: 'drill', tenantId },
    result: () => null,
  });
  records.push({ sequenceNumber: String(records.length + 1).padStart(21, '0'), events });
}
const buggy = {
  ...tenantsV1,
  apply: (rows: Parameters<typeof tenantsV1.apply>[0], event: Parameters<typeof tenantsV1.apply>[1]) => {
    if (event.type === 'TENANT_PARKED')
      throw new TypeError("Cannot read properties of undefined (reading 'reason')");
    return tenantsV1.apply(rows, event);
  },
};
const metrics = new RecordingMetrics();
const dispatcher = new ProjectionDispatcher({
  writer: new DynamoProjectionWriter(client, store),
  parked: new DynamoParkedEvents(client, tableName('ParkedEventsTable', STAGE)),
  targets: async () => [{ projection: buggy, tableName: tableName('TenantsV1Table', STAGE) }],
  metrics,
  clock: () => new Date(),
  policy: { maxAttempts: 3, parkAfterMs: 3_600_000 },
});
let pending = records;
for (let delivery = 1; pending.length > 0; delivery++) {
  const failed = await dispatcher.handle(fromEventRecords(pending));
  console.log(
    `delivery ${delivery}: ${failed ? `failed at record ${failed}, redelivering from there` : 'done'}`,
  );
  pending = failed ? pending.slice(pending.findIndex((r) => r.sequenceNumber === failed)) : [];
}
console.log(`ParkedEvents metric: ${metrics.total('ParkedEvents')}`);
console.log(`\nDynamoDB Local for the drill: ${dynamo.endpoint} (stage ${STAGE}); Ctrl-C stops it.`);
process.on('SIGINT', () => void dynamo.stop().then(() => process.exit(0)));
process.on('SIGTERM', () => void dynamo.stop().then(() => process.exit(0)));
