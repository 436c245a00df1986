import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Logger } from '@aws-lambda-powertools/logger';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { loadConfig } from '#src/platform/config/config.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { projectionDispatcher, recordPublisher } from '#src/platform/handlers/stream-consumers.js';
import { type ConsumedRecord, deadlineOf } from '#src/platform/projection-runtime/consumed-records.js';
import { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { UNFINISHED } from '#src/platform/projection-runtime/failure-handler.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import type { ProjectionRegistry } from '#src/platform/projection-runtime/registry.js';
import { EventBridgeBus } from '#src/platform/publishing/eventbridge.bus.js';
import { PUBLISHER } from '#src/platform/publishing/record-publisher.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';

/**
 * Review 7, finding 1: a dependency that accepts the connection and never answers. Each SDK call then fails as a
 * TimeoutError (http-timeouts.ts), and the stream consumers stop at the deadline the Lambda context gives them:
 * an event past the park bound is parked (transient) and the invocation answers in time, instead of waiting on
 * the SDK until Lambda's timeout (a function error: the whole batch retried, nothing parked, for 24 hours).
 */
const INVOCATION_MS = 8_000;
const direct = testDocumentClient();
const store = new DynamoEventStore(direct, testTable('EventStoreTable'), catalogue);
const parked = new DynamoParkedEvents(direct, testTable('ParkedEventsTable'));
const logger = new Logger({ serviceName: 'drill', logLevel: 'ERROR' });
const config = loadConfig({ STAGE: 'test' }); // packaged defaults: park after 3600 s

/** Forwards to DynamoDB Local, holding without an answer every request that names `table`. */
async function hangOn(upstream: string, table: string): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      if (body.toString('utf8').includes(table)) return; // held: never answered
      const headers = Object.entries(req.headers).filter(([k]) => !['host', 'content-length'].includes(k));
      const answer = await fetch(`${upstream}${req.url ?? '/'}`, {
        method: 'POST',
        headers: Object.fromEntries(headers) as Record<string, string>,
        body,
      });
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? '' });
      res.end(Buffer.from(await answer.arrayBuffer()));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

const servers: Server[] = [];
let readModelHangs: string;
beforeAll(async () => {
  const proxy = await hangOn(inject('dynamoEndpoint'), testTable('TenantsV1Table'));
  servers.push(proxy.server);
  readModelHangs = proxy.endpoint;
});
afterAll(async () => {
  for (const server of servers) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A tenant's first event, read from the stream two hours after it was written (past the 1 h park bound). */
async function twoHourOldRecord(): Promise<{ record: ConsumedRecord; streamId: string }> {
  const tenantId = ulid();
  const streamId = `tenant-${tenantId}`;
  const outcome = await new CommandRunner({ store, clock: () => new Date(), newEventId: ulid }).run({
    decider: tenantDecider,
    streamId,
    command: {
      type: 'CreateTenant',
      tenantId,
      organizationName: `Hung ${tenantId}`,
      contactEmail: 'hung@drill.test',
      environment: 'sit',
    },
    metadata: metadata({ tenantId }),
    result: () => null,
  });
  const events = outcome.events.map((event) => ({ event }));
  return {
    record: { sequenceNumber: '000000000000000000001', arrivedAt: Date.now() - 7_200_000, events },
    streamId,
  };
}

describe('drill: a dependency that never answers', () => {
  it('projection dispatcher: answers before its deadline, the old event parked, nothing reported', async () => {
    const client = documentClient({ region: 'af-south-1', endpoint: readModelHangs });
    const dispatcher = projectionDispatcher(config, {
      client,
      eventStore: store,
      registry: {
        targets: async () => [{ projection: tenantsV1, tableName: testTable('TenantsV1Table') }],
        heartbeat: async () => {},
      } as unknown as ProjectionRegistry,
      parked: new DynamoParkedEvents(client, testTable('ParkedEventsTable')),
      metrics: new RecordingMetrics(),
      logger,
    });
    const { record, streamId } = await twoHourOldRecord();
    const started = Date.now();
    const failed = await dispatcher.handle([record], { deadline: deadlineOf(INVOCATION_MS, started) });
    expect(Date.now() - started).toBeLessThan(INVOCATION_MS);
    expect(failed).toBeUndefined();
    const [one, ...more] = await parked.list({ streamId });
    expect(more).toEqual([]);
    expect(one).toMatchObject({ consumer: 'tenants.v1', kind: 'transient' });
    expect(one?.error).toContain(UNFINISHED);
    client.destroy();
  }, 30_000);

  it('publisher: EventBridge accepts the connection and never answers; the old event is parked in time', async () => {
    const blackHole = createServer(() => {});
    servers.push(blackHole);
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const port = (blackHole.address() as AddressInfo).port;
    const publisher = recordPublisher(config, {
      bus: EventBridgeBus.connect('af-south-1', `http://127.0.0.1:${port}`),
      busName: 'bbws-events-test',
      parked,
      metrics: new RecordingMetrics(),
      logger,
    });
    const { record, streamId } = await twoHourOldRecord();
    const started = Date.now();
    const failed = await publisher.handle([record], { deadline: deadlineOf(INVOCATION_MS, started) });
    expect(Date.now() - started).toBeLessThan(INVOCATION_MS);
    expect(failed).toBeUndefined();
    expect((await parked.list({ consumer: PUBLISHER, streamId })).map((p) => p.kind)).toEqual(['transient']);
  }, 30_000);

  it("fails each SDK call that gets no answer as a TimeoutError, within the client's request timeout", async () => {
    const blackHole = createServer(() => {});
    servers.push(blackHole);
    await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
    const endpoint = `http://127.0.0.1:${(blackHole.address() as AddressInfo).port}`;
    const bus = EventBridgeBus.connect('af-south-1', endpoint, { requestMs: 300 });
    const client = documentClient({ region: 'af-south-1', endpoint, timeouts: { requestMs: 300 } });
    const started = Date.now();
    const errors = await Promise.all([
      bus
        .putEvents([{ Source: 's', DetailType: 'd', Detail: '{}', EventBusName: 'b' }])
        .catch((e: unknown) => e),
      client.send(new GetCommand({ TableName: 't', Key: { pk: 'x' } })).catch((e: unknown) => e),
    ]);
    // three attempts of 300 ms each, with the SDK's backoff between them
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(errors.map((e) => (e as Error).name)).toEqual(['TimeoutError', 'TimeoutError']);
    client.destroy();
  });
});
