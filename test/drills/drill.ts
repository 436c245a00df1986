import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteMessageCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { catalogue } from '#src/contexts/catalogue.js';
import { type LocalKeys, localKeys } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import type { StreamRetrySettings } from '#src/platform/local/stream-poller.js';
import { DynamoParkedEvents } from '#src/platform/projection-runtime/dynamodb.parked-events.js';
import { type FaultProxy, startFaultProxy } from './fault-proxy.js';
import { startLoad } from './load.js';
import { DRILL_OUTAGE_S, scaled, scaledParkAfterSeconds } from './settings.js';
import { projectionDiffs, storedEvents } from './verify.js';

export const STAGE = 'drill';

export interface Drill {
  runtime: RunningRuntime;
  keys: LocalKeys;
  client: ReturnType<typeof documentClient>;
  store: DynamoEventStore;
  parked: DynamoParkedEvents;
  proxy: FaultProxy | undefined;
  /** eventId -> when the local EventBridge first accepted it */
  publishedAt: Map<string, number>;
  readModelTable: string;
  /** Sets every stream consumer's retry settings (packaged, scaled; or the reverted ones). */
  configure(settings: (fn: string) => Partial<StreamRetrySettings>): void;
  /** How many batches the stream pollers gave up on so far (Lambda's on-failure). */
  giveUps(): number;
  /** Takes Lambda's on-failure messages off the queue (each names the records it dropped). */
  drainOnFailure(): Promise<unknown[]>;
  stop(): Promise<void>;
}

/**
 * The whole local runtime for one drill: its own DynamoDB Local, the stream pollers with the packaged
 * template's retry settings scaled (settings.ts), the handlers' park bound scaled likewise and, if asked, the
 * handlers' DynamoDB behind a fault-injecting proxy.
 */
export async function startDrill(options: { proxy: boolean }): Promise<Drill> {
  process.env.STREAM_PARK_AFTER_SECONDS = String(scaledParkAfterSeconds());
  let proxy: FaultProxy | undefined;
  let giveUps = 0;
  const stateDir = mkdtempSync(join(tmpdir(), 'bbws-drill-'));
  const runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir,
    pollMs: 20,
    logLevel: 'ERROR',
    log: (line) => {
      if (line.includes('giving up')) giveUps++;
    },
    streamSettings: (subscription) => scaled(subscription),
    ...(options.proxy
      ? {
          handlerDynamoEndpoint: async (endpoint: string) => {
            proxy = await startFaultProxy(endpoint);
            return proxy;
          },
        }
      : {}),
  });
  const client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  const publishedAt = new Map<string, number>();
  // every entry a PutEvents call gets through (no call fault) and not refused is accepted: note when
  runtime.eventBridge.refuse = (entry) => {
    const eventId = String(JSON.parse(entry.Detail ?? '{}').eventId);
    if (!publishedAt.has(eventId)) publishedAt.set(eventId, Date.now());
    return undefined;
  };
  const sqs = new SQSClient({
    region: 'af-south-1',
    endpoint: process.env.SQS_ENDPOINT,
    credentials: { accessKeyId: 'l', secretAccessKey: 'l' },
  });
  return {
    runtime,
    keys: localKeys(join(stateDir, 'auth')),
    client,
    store: new DynamoEventStore(client, tableName('EventStoreTable', STAGE), catalogue),
    parked: new DynamoParkedEvents(client, tableName('ParkedEventsTable', STAGE)),
    proxy,
    publishedAt,
    readModelTable: tableName('TenantsV1Table', STAGE),
    giveUps: () => giveUps,
    configure: (settings) => {
      for (const { function: fn, poller } of runtime.pollers) poller.configure(settings(fn));
    },
    drainOnFailure: async () => {
      const { QueueUrl } = await sqs.send(
        new GetQueueUrlCommand({ QueueName: `bbws-stream-failures-${STAGE}` }),
      );
      const bodies: unknown[] = [];
      for (;;) {
        const { Messages = [] } = await sqs.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
        );
        if (Messages.length === 0) return bodies;
        for (const m of Messages) {
          bodies.push(JSON.parse(m.Body ?? '{}'));
          await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: m.ReceiptHandle }));
        }
      }
    },
    stop: async () => {
      sqs.destroy();
      client.destroy();
      await runtime.stop();
    },
  };
}

export interface OutageFigures {
  label: string;
  commands: number;
  failedCommands: number;
  events: number;
  /** events appended while the fault lasted: none could be published or applied before it ended */
  appendedDuringOutage: number;
  outageMs: number;
  /** from the end of the fault until every event was published and every projection equal to a rebuild */
  recoveryMs: number | undefined;
  maxPublishDelayMs: number;
  unpublished: string[];
  differing: string[];
  parked: number;
}

export interface OutageOptions {
  /**
   * Hold the fault until the pollers gave up on this many batches (at least DRILL_OUTAGE_S, at most 60 s):
   * with the fix reverted, how long Lambda's retries last depends on the machine, not on the drill.
   */
  untilGiveUps?: number;
  /** Wait for full recovery (the fix), or only until nothing changes any more (the fix reverted). */
  expectRecovery: boolean;
}

/**
 * One outage under steady load: load for a while, the fault for DRILL_OUTAGE_S, load a little longer, then
 * wait until everything is published and projected (recovered) or, with the fix reverted, nothing changes.
 */
export async function runOutage(
  drill: Drill,
  fault: { on(): void; off(): void },
  label: string,
  options: OutageOptions,
): Promise<OutageFigures> {
  const load = startLoad(drill.runtime.httpUrl, drill.keys, { workers: 2, pauseMs: 40 });
  await sleep(1500);
  const on = Date.now();
  const giveUpsBefore = drill.giveUps();
  fault.on();
  await sleep(DRILL_OUTAGE_S * 1000);
  while (drill.giveUps() - giveUpsBefore < (options.untilGiveUps ?? 0) && Date.now() - on < 60_000)
    await sleep(100);
  fault.off();
  const off = Date.now();
  await sleep(1500);
  const report = await load.stop();
  const events = await storedEvents(drill.store, report.tenants);
  const settled = await waitForRecovery(drill, events, report.tenants, options.expectRecovery);
  const delays = events.flatMap((e) => {
    const at = drill.publishedAt.get(e.eventId);
    return at === undefined ? [] : [at - Date.parse(e.occurredAt)];
  });
  return {
    label,
    commands: report.commands,
    failedCommands: report.failed.length,
    events: events.length,
    appendedDuringOutage: events.filter(
      (e) => Date.parse(e.occurredAt) >= on && Date.parse(e.occurredAt) <= off,
    ).length,
    outageMs: off - on,
    recoveryMs: settled.recoveredAt === undefined ? undefined : settled.recoveredAt - off,
    maxPublishDelayMs: Math.max(0, ...delays),
    unpublished: settled.unpublished,
    differing: settled.differing,
    parked: (await drill.parked.list()).length,
  };
}

async function waitForRecovery(
  drill: Drill,
  events: EventEnvelope[],
  tenants: string[],
  expectRecovery: boolean,
) {
  const state = async () => ({
    unpublished: events
      .filter((e) => !drill.publishedAt.has(e.eventId))
      .map((e) => `${e.streamId}@${e.version}`),
    differing: await projectionDiffs(drill.client, drill.readModelTable, drill.store, tenants),
  });
  let current = await state();
  let lastChange = Date.now();
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (current.unpublished.length === 0 && current.differing.length === 0)
      return { ...current, recoveredAt: Date.now() };
    // the fix reverted: what is missing once nothing changes for a while stays missing
    if (!expectRecovery && Date.now() - lastChange > 5000) break;
    await sleep(250);
    const next = await state();
    if (JSON.stringify(next) !== JSON.stringify(current)) lastChange = Date.now();
    current = next;
  }
  return { ...current, recoveredAt: undefined };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Alternates the two shapes an outage takes: throttling (400) and internal errors (500). */
export function flaky<T>(throttled: T, failing: T): () => T {
  let n = 0;
  return () => (n++ % 2 === 0 ? throttled : failing);
}
