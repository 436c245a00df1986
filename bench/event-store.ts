/**
 * Event-store benchmark against DynamoDB Local, in one process: every figure of ours is a ratio to the raw
 * DynamoDB operation it stands on, measured interleaved in the same run on a raw table of the same key shape
 * (stream on, created before the store's tables: late stream tables are slow in DynamoDB Local).
 * Run: npm run bench:event-store [-- --iterations 400]. The last line is one JSON object of the figures; the
 * run fails (exit 1) if any figure is not a finite number.
 */
import { parseArgs } from 'node:util';
import { CreateTableCommand } from '@aws-sdk/client-dynamodb';
import {
  BatchWriteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { z } from 'zod';
import { documentClient, dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { personal } from '#src/platform/domain/personal-data.js';
import { EventCatalogue, type EventDefinition } from '#src/platform/event-store/catalogue.js';
import { prepareBatch } from '#src/platform/event-store/core.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import type { CommitItem } from '#src/platform/event-store/dynamodb/event-items.js';
import type { AppendOptions, LoadToken, NewEvent } from '#src/platform/event-store/event-store.port.js';
import { createTables, tableName } from '#src/platform/infra/create-tables.js';
import { startDynamoDbLocal } from '#src/platform/local/dynamodb-local.js';
import { counterCatalogue, counterDecider } from '#test/counter.decider.js';
import {
  median,
  parseBenchArgs,
  percentile,
  printFigures,
  runInterleaved,
  type Sample,
  wholeNumber,
} from './measure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const USAGE = `Usage: npm run bench:event-store [-- --iterations N]

  --iterations N   samples per figure (default 400; the 10,000-event loads take N / 10, at least 20)
  -h, --help       this text`;
const { iterations } = parseBenchArgs(USAGE, () => {
  const { values } = parseArgs({
    options: {
      iterations: { type: 'string', default: '400' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  return { help: values.help, iterations: wholeNumber('iterations', values.iterations) };
});
const RAW = 'bench-raw';
type AppendKind = 'plain' | 'reserved' | 'conditioned';
const SNAPSHOT_EVERY = 10;

/** The same event twice: with its e-mail marked personal (sealed by the store) and without (stored as is). */
const Email = z.email().max(254);
const benchCatalogue = new EventCatalogue([
  ...counterCatalogue.definitions,
  ...(['CONTACT_NOTED', 'CONTACT_NOTED_PLAIN'] as const).map(
    (type): EventDefinition => ({
      type,
      context: 'tenant-management' as const,
      schemas: [
        z.strictObject({
          contactEmail:
            type === 'CONTACT_NOTED'
              ? personal(Email, { subject: 'tenantContact', identifiedBy: 'self' })
              : Email,
        }),
      ],
      upcasters: [],
      description: 'bench: a contact e-mail',
    }),
  ),
]);
const contactEvent = (type: 'CONTACT_NOTED' | 'CONTACT_NOTED_PLAIN', contactEmail: string): NewEvent => ({
  eventId: ulid(),
  type,
  occurredAt: new Date().toISOString(),
  data: { contactEmail },
  metadata: { correlationId: ulid(), actor: 'bench', tenantId: 'tenant-bench' },
});

const event = (): NewEvent => ({
  eventId: ulid(),
  type: 'COUNTER_ADDED',
  occurredAt: new Date().toISOString(),
  data: { amount: 1 },
  metadata: { correlationId: ulid(), actor: 'bench', tenantId: 'tenant-bench' },
});
/** A raw item of exactly the store's shape and size: the same attributes, events as one JSON string. */
const rawItem = (pk: string, events: number) => {
  const ev = Array.from({ length: events }, (_, i) => {
    const e = event();
    return {
      id: e.eventId,
      v: i + 1,
      t: e.type,
      sv: 1,
      at: e.occurredAt,
      d: JSON.stringify(e.data),
      m: e.metadata,
    };
  });
  return { pk, sk: 1, n: events, ev: JSON.stringify(ev) };
};

async function main(): Promise<void> {
  const dynamo = await startDynamoDbLocal();
  const raw = dynamoClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
  await raw.send(
    new CreateTableCommand({
      TableName: RAW,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'N' },
      ],
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_IMAGE' },
    }),
  );
  await createTables(raw, 'bench');
  const doc = documentClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
  const store = new DynamoEventStore(doc, tableName('EventStoreTable', 'bench'), benchCatalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const decider = counterDecider(SNAPSHOT_EVERY);

  const rawPut = (events: number) => async () => {
    await doc.send(
      new PutCommand({
        TableName: RAW,
        Item: rawItem(`raw-${ulid()}`, events),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  };
  const rawTransaction = async () => {
    const pk = `raw-${ulid()}`;
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: RAW,
              Item: rawItem(pk, 1),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: RAW,
              Item: { pk: `${pk}-res`, sk: 0, owner: pk },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            Put: {
              TableName: RAW,
              Item: { pk: `${pk}-idem`, sk: 0, hash: 'h', result: '{}', expiresAt: 1 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  };
  // The raw shape of an append conditioned on one other stream: the commit Put and a ConditionCheck on the
  // other stream's next key, which is absent (the other stream has not moved).
  const rawConditioned = async () => {
    const pk = `raw-${ulid()}`;
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: RAW,
              Item: rawItem(pk, 1),
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
          {
            ConditionCheck: {
              TableName: RAW,
              Key: { pk: `${pk}-other`, sk: 2 },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  };
  // Read the worker's previous item (consistently), write the next: the raw shape of load + append.
  const previous = new Map<number, string>();
  const rawReadPut = async (worker = 0) => {
    const before = previous.get(worker);
    if (before)
      await doc.send(new GetCommand({ TableName: RAW, Key: { pk: before, sk: 1 }, ConsistentRead: true }));
    const pk = `raw-${ulid()}`;
    await doc.send(
      new PutCommand({
        TableName: RAW,
        Item: rawItem(pk, 1),
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    previous.set(worker, pk);
  };
  // Ours: each worker appends to its own stream, passing on the token of its previous append, as a writer
  // that knows its head does (the command runner passes the token of its load).
  // A conditioned append is conditioned on the token of the worker's own "authorising" stream, which never moves.
  const heads = new Map<string, LoadToken>();
  const authoriser = async (worker: number): Promise<LoadToken> => {
    const stream = `counter-bench-auth-${worker}`;
    const known = heads.get(stream);
    if (known) return known;
    const { token } = await store.append(stream, 'no_stream', [event()]);
    heads.set(stream, token);
    return token;
  };
  // What an append carries besides its events, by kind: nothing, a reservation and an idempotency key, or a
  // condition on the worker's authorising stream.
  const extras = async (kind: AppendKind, worker: number): Promise<AppendOptions> => {
    if (kind === 'conditioned') return { conditions: [await authoriser(worker)] };
    if (kind === 'plain') return {};
    return {
      reservations: { claim: [`bench:${ulid()}`] },
      idempotency: { scope: 'bench', key: ulid(), requestHash: 'h', result: {} },
    };
  };
  const appendTo =
    (events: number, kind: AppendKind = 'plain') =>
    async (worker: number) => {
      const stream = `counter-bench-${events}-${kind.slice(0, 1)}-${worker}`;
      const token = heads.get(stream);
      const result = await store.append(stream, token?.version ?? 0, Array.from({ length: events }, event), {
        ...(token ? { token } : {}),
        ...(await extras(kind, worker)),
      });
      heads.set(stream, result.token);
    };
  // Personal data: each worker appends to its own stream with its token; the same worker's e-mail every time
  // (its key is cached after the first append: warm), or a new person every time (the key is made and written in
  // the same transaction as the event).
  const contactAppend = (kind: 'personal' | 'plain' | 'newSubject') => async (worker: number) => {
    const stream = `counter-bench-contact-${kind}-${worker}`;
    const token = heads.get(stream);
    const email =
      kind === 'newSubject' ? `new.${ulid().toLowerCase()}@bench.test` : `worker${worker}@bench.test`;
    const type = kind === 'plain' ? 'CONTACT_NOTED_PLAIN' : 'CONTACT_NOTED';
    const result = await store.append(stream, token?.version ?? 0, [contactEvent(type, email)], {
      ...(token ? { token } : {}),
    });
    heads.set(stream, result.token);
  };
  // A raw commit Put beside a key-item Put: the write the first append of a new subject makes.
  const rawCommitAndKey = async () => {
    const pk = `raw-${ulid()}`;
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: RAW, Item: rawItem(pk, 1), ConditionExpression: 'attribute_not_exists(pk)' } },
          {
            Put: {
              TableName: RAW,
              Item: {
                pk: `$key#${pk}`,
                sk: 0,
                kid: 'abcdefgh',
                wk: 'x'.repeat(80),
                mk: 'local:0123456789abcdef',
              },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        ],
      }),
    );
  };
  const command = async (worker: number) => {
    await runner.run({
      decider,
      streamId: `counter-bench-cmd-${worker}`,
      command: { type: 'Add', amount: 1 },
      metadata: { correlationId: ulid(), actor: 'bench' },
      result: ({ version }) => version,
    });
  };

  // DynamoDB Local is a JVM: let the JIT settle before anything is measured.
  for (let i = 0; i < 1500; i++) await Promise.all([rawPut(1)(), appendTo(1)(100), rawReadPut()]);

  const figures: Record<string, number> = {};
  const report: string[] = [];
  const compare = async (
    name: string,
    rawFn: (w: number) => Promise<void>,
    ours: (w: number) => Promise<void>,
  ) => {
    for (const concurrency of [1, 8]) {
      const { raw: r, ours: o } = await runInterleaved(rawFn, ours, { iterations, concurrency });
      const ratio = round(median(o) / median(r));
      report.push(line(`${name} c=${concurrency}`, r, o, ratio));
      figures[`${name}C${concurrency}`] = ratio;
    }
  };

  await compare('appendVsRawPut', rawPut(1), appendTo(1));
  await compare('append5VsRawPut', rawPut(5), appendTo(5));
  await compare('reservedAppendVsRawTx', rawTransaction, appendTo(1, 'reserved'));
  await compare('conditionedAppendVsRawTx', rawConditioned, appendTo(1, 'conditioned'));
  await compare('commandVsRawReadPut', rawReadPut, command);
  await compare('personalVsPlainAppend', contactAppend('plain'), contactAppend('personal'));
  await compare('newSubjectAppendVsRawTx', rawCommitAndKey, contactAppend('newSubject'));

  // Load at the worst offset from the last snapshot (N-1 events after it), long stream vs short stream.
  const long = await buildStream(store, 'counter-bench-long', 10_000);
  const short = await buildStream(store, 'counter-bench-short', 10);
  const loadOf = (stream: string) => async () => {
    const loaded = await store.load(stream, {
      deciderVersion: decider.version,
      snapshotEvery: SNAPSHOT_EVERY,
    });
    if (loaded.events.length !== SNAPSHOT_EVERY - 1)
      throw new Error(`expected ${SNAPSHOT_EVERY - 1} events after the snapshot`);
  };
  const { raw: shortLoads, ours: longLoads } = await runInterleaved(loadOf(short), loadOf(long), {
    iterations,
    concurrency: 1,
  });
  figures.load10kVs10 = round(median(longLoads) / median(shortLoads));
  report.push(
    line('load 10,009 vs 19 events (N=10, 9 after snapshot)', shortLoads, longLoads, figures.load10kVs10),
  );

  // load() where no snapshot helps, against readStream of the same stream (the same events decoded).
  const loadVsReadStream = async (
    name: string,
    stream: string,
    runs: { iterations: number; warmup?: number },
  ) => {
    const { raw: reads, ours: loads } = await runInterleaved(
      async () => {
        await store.readStream(stream);
      },
      async () => {
        await store.load(stream, { deciderVersion: decider.version, snapshotEvery: SNAPSHOT_EVERY });
      },
      { ...runs, concurrency: 1 },
    );
    figures[name] = round(median(loads) / median(reads));
    return { reads, loads };
  };
  const unsnapshotted = await writeOneEventCommits(doc, tableName('EventStoreTable', 'bench'), 10_000);
  const big = await loadVsReadStream('load10kNoSnapshotVsReadStream', unsnapshotted, {
    iterations: Math.max(20, Math.ceil(iterations / 10)),
    warmup: 3,
  });
  report.push(
    line(
      'load vs readStream, 10,000 1-event items, no snapshot',
      big.reads,
      big.loads,
      figures.load10kNoSnapshotVsReadStream ?? Number.NaN,
    ),
  );
  const ten = `counter-bench-ten-${ulid()}`;
  for (let version = 0; version < 10; ) version = (await store.append(ten, version, [event()])).version;
  const small = await loadVsReadStream('load10VsReadStream', ten, { iterations });
  report.push(
    line(
      'load vs readStream, 10 1-event items, no snapshot',
      small.reads,
      small.loads,
      figures.load10VsReadStream ?? Number.NaN,
    ),
  );

  console.log(
    `event-store benchmark, ${iterations} iterations per figure, DynamoDB Local ${dynamo.endpoint}`,
  );
  console.log(
    'figure                                                raw p50   ours p50   raw p99   ours p99   ratio',
  );
  for (const row of report) console.log(row);
  const summary = {
    appendVsRawPut: figures.appendVsRawPutC1,
    append5VsRawPut: figures.append5VsRawPutC1,
    reservedAppendVsRawTx: figures.reservedAppendVsRawTxC1,
    commandVsRawReadPut: figures.commandVsRawReadPutC1,
    appendVsRawPutC8: figures.appendVsRawPutC8,
    append5VsRawPutC8: figures.append5VsRawPutC8,
    reservedAppendVsRawTxC8: figures.reservedAppendVsRawTxC8,
    commandVsRawReadPutC8: figures.commandVsRawReadPutC8,
    load10kVs10: figures.load10kVs10,
    conditionedAppendVsRawTx: figures.conditionedAppendVsRawTxC1,
    conditionedAppendVsRawTxC8: figures.conditionedAppendVsRawTxC8,
    personalVsPlainAppend: figures.personalVsPlainAppendC1,
    personalVsPlainAppendC8: figures.personalVsPlainAppendC8,
    newSubjectAppendVsRawTx: figures.newSubjectAppendVsRawTxC1,
    newSubjectAppendVsRawTxC8: figures.newSubjectAppendVsRawTxC8,
    load10kNoSnapshotVsReadStream: figures.load10kNoSnapshotVsReadStream,
    load10VsReadStream: figures.load10VsReadStream,
  };
  doc.destroy();
  raw.destroy();
  await dynamo.stop();
  printFigures(summary);
}

/**
 * A stream of `events` one-event commits, the shape a stream written command by command has, with no snapshot.
 * Written with BatchWriteItem in the store's item shape (validated by the store's own prepareBatch): appending
 * 10,000 times one after another would take most of a minute.
 */
async function writeOneEventCommits(doc: DynamoDBDocumentClient, table: string, events: number) {
  const stream = `counter-bench-flat-${ulid()}`;
  const items: CommitItem[] = Array.from({ length: events }, (_, i) => {
    const stored = prepareBatch(counterCatalogue, stream, i, [event()]);
    return { pk: stream, sk: i + 1, n: 1, ev: JSON.stringify(stored), ts: Date.now() };
  });
  for (let start = 0; start < items.length; start += 25) {
    let pending = items.slice(start, start + 25).map((Item) => ({ PutRequest: { Item } }));
    while (pending.length > 0) {
      const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table]: pending } }));
      pending = (out.UnprocessedItems?.[table] ?? []) as typeof pending;
    }
  }
  return stream;
}

/** A stream of `snapshotAt + N - 1` events whose last snapshot is at `snapshotAt`, as the runner writes it. */
async function buildStream(store: DynamoEventStore, prefix: string, snapshotAt: number): Promise<string> {
  const stream = `${prefix}-${ulid()}`;
  let version = 0;
  while (version < snapshotAt - 1) {
    const n = Math.min(100, snapshotAt - 1 - version);
    version = (await store.append(stream, version, Array.from({ length: n }, event))).version;
  }
  const state = { total: snapshotAt, adds: snapshotAt };
  version = (
    await store.append(stream, version, [event()], {
      snapshot: { deciderVersion: 'counter-1', version: snapshotAt, state },
    })
  ).version;
  for (let i = 1; i < SNAPSHOT_EVERY; i++) version = (await store.append(stream, version, [event()])).version;
  return stream;
}

const round = (x: number) => Math.round(x * 100) / 100;
const ms = (x: number) => `${x.toFixed(2)} ms`.padStart(10);
function line(name: string, raw: Sample, ours: Sample, ratio: number): string {
  return `${name.padEnd(52)}${ms(median(raw))} ${ms(median(ours))} ${ms(percentile(raw, 99))} ${ms(percentile(ours, 99))}   ${ratio.toFixed(2)}x`;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
