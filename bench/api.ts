/**
 * API benchmark: the tenant routes through the local HTTP API (the whole local runtime, as `npm start` runs it, in
 * a child process of its own on free ports), each beside the HTTP floor (GET /v1.0/health through the same server)
 * and the raw DynamoDB operations the route needs, on the same DynamoDB Local: one block per route and concurrency,
 * in which floor, raw operations and route run interleaved, round by round. Per route and concurrency the figure is
 * `(p50 - floor p50) / raw p50`, target <= 1.5; beside it what the runtime process spent per request and the SDK
 * per raw operation. Run: npm run bench:api [-- --help]. The last line is one JSON object of the figures; the run
 * fails (exit 1) naming any figure that is not a finite number. docs/performance.md, "API".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { projections } from '#src/contexts/projections.js';
import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { tenantStream } from '#src/contexts/tenants/domain/tenant.stream.js';
import { localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { idempotencyId } from '#src/platform/event-store/core.js';
import { IDEMPOTENCY_PREFIX } from '#src/platform/event-store/dynamodb/event-items.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { startLocalRuntime } from '#src/platform/local/runtime.js';
import { HttpClient } from './http-client.js';
import {
  median,
  NonFiniteFigureError,
  parseBenchArgs,
  percentile,
  printFigures,
  type Sample,
  wholeNumber,
} from './measure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const STAGE = 'bench';
const RUNTIME_ROLE = 'BBWS_BENCH_API_RUNTIME';
/** Each route's p50 at most the floor's plus 1.5x its raw operations'. */
const TARGET = 1.5;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Usage: npm run bench:api [-- options]

Starts the local runtime (its own DynamoDB Local, free ports) in a child process and measures GET one tenant,
GET /tenants?limit=20, POST /tenants (without and with an Idempotency-Key) and PATCH /tenants/{id} at each
concurrency: one block per route, in which the floor (GET /v1.0/health), the route's raw DynamoDB operations and
the route run interleaved, round by round, after a warm-up. Target: (route p50 - floor p50) / raw p50 <= ${TARGET}.
Exit 1 (naming it) when a figure is not a finite number, 2 for a bad option.

  --iterations N      samples per figure and concurrency (default 300)
  --warmup N          warm-up rounds before the blocks, each the floor and every route with its raw operations
                      (default 800: the runtime's GET costs 1.96 ms of CPU over its first 500 requests and settles
                      at 0.6-0.7 ms after about 3,000, the SDK's code being optimised late)
  --concurrency LIST  comma-separated concurrencies (default 1,8)
  --routes LIST       comma-separated, of getOne, list, create, createIdempotent, update (default all)
  --poll-ms N         how often the runtime's stream pollers read an idle shard (default 250: Lambda reads
                      a DynamoDB stream's shards 4 times a second; npm start polls every 20 ms, which costs the
                      one process serving every request about 15% of a core, a cost no API function has in AWS)
  --iam on|off        the runtime's local IAM enforcement (default on, as npm start runs; off shows its share,
                      a cost of the local runtime only: AWS evaluates IAM inside the service)
  --key-cache-s N     how long the runtime's functions keep a plain data key (default 300, as deployed:
                      config.ts's DATA_KEY_CACHE_SECONDS; 0 is npm start's, where every load unwraps its keys
                      through the KMS stand-in and reads their items, calls a warm Lambda makes once in 5 minutes)
  --cpu-prof DIR      run the runtime process with node --cpu-prof, writing the profile into DIR
  -h, --help          this text`;

interface Options {
  help: boolean;
  iterations: number;
  warmup: number;
  concurrency: number[];
  routes: RouteKey[];
  pollMs: number;
  iam: 'on' | 'off';
  keyCacheS: number;
  cpuProf: string | undefined;
}

const ROUTE_KEYS = ['getOne', 'list', 'create', 'createIdempotent', 'update'] as const;
type RouteKey = (typeof ROUTE_KEYS)[number];

/** A DynamoDB operation or an HTTP request, run by worker `w` of a batch. */
type Operation = (worker: number) => Promise<void>;

interface Route {
  /** For --routes and the figures' names. */
  key: RouteKey;
  name: string;
  /** What the route needs of DynamoDB, for the report. */
  rawDescription: string;
  raw: Operation;
  route: Operation;
}

/** The child process: the local runtime as `npm start` runs it, until the parent says stop. */
async function serveRuntime(): Promise<void> {
  const runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir: process.env.BBWS_BENCH_STATE_DIR ?? join(tmpdir(), 'bbws-bench-api'),
    // As deployed (config.ts's default): one structured log line per request. stdout goes nowhere.
    logLevel: 'INFO',
    pollMs: Number(process.env.BBWS_BENCH_POLL_MS),
    iam: { enforce: process.env.BBWS_BENCH_IAM !== 'off' },
    keyCacheSeconds: Number(process.env.BBWS_BENCH_KEY_CACHE_S),
  });
  const stop = async () => {
    await runtime.stop();
    process.exit(0);
  };
  process.on('message', (message) => {
    if (message === 'stop') void stop();
    // The process's CPU time so far, for the parent's CPU-per-request figures.
    if (message === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send?.({ cpuMs: (user + system) / 1000 });
    }
  });
  process.on('disconnect', () => void stop());
  process.send?.({ httpUrl: runtime.httpUrl, dynamoEndpoint: runtime.dynamoEndpoint });
}

function routeKey(value: string): RouteKey {
  const key = ROUTE_KEYS.find((k) => k === value);
  if (!key) throw new RangeError(`--routes takes ${ROUTE_KEYS.join(', ')}; got "${value}"`);
  return key;
}

function onOff(name: string, value: string): 'on' | 'off' {
  if (value !== 'on' && value !== 'off') throw new RangeError(`--${name} takes on or off; got "${value}"`);
  return value;
}

function options(): Options {
  return parseBenchArgs(USAGE, () => {
    const { values } = parseArgs({
      options: {
        iterations: { type: 'string', default: '300' },
        warmup: { type: 'string', default: '800' },
        concurrency: { type: 'string', default: '1,8' },
        routes: { type: 'string', default: ROUTE_KEYS.join(',') },
        'poll-ms': { type: 'string', default: '250' },
        iam: { type: 'string', default: 'on' },
        'key-cache-s': { type: 'string', default: '300' },
        'cpu-prof': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return {
      help: values.help,
      iterations: wholeNumber('iterations', values.iterations),
      warmup: wholeNumber('warmup', values.warmup, 0),
      concurrency: values.concurrency.split(',').map((c) => wholeNumber('concurrency', c.trim())),
      routes: values.routes.split(',').map((r) => routeKey(r.trim())),
      pollMs: wholeNumber('poll-ms', values['poll-ms']),
      iam: onOff('iam', values.iam),
      keyCacheS: wholeNumber('key-cache-s', values['key-cache-s'], 0),
      cpuProf: values['cpu-prof'],
    };
  });
}

async function main(): Promise<void> {
  const opts = options();
  const stateDir = mkdtempSync(join(tmpdir(), 'bbws-bench-api-'));
  // The parent signs the tokens with the keys the runtime verifies with: made here, before the child reads them.
  const keys = localKeys(join(stateDir, 'auth'));
  const child = await startRuntime(stateDir, opts);
  const doc = documentClient({ region: 'af-south-1', endpoint: child.dynamoEndpoint });
  try {
    const operator = signLocalToken(
      keys,
      { sub: OPERATOR, 'cognito:groups': ['Operator'] },
      { expiresInSeconds: 24 * 3600 },
    );
    const http = new HttpClient(child.httpUrl, operator);
    const loadBefore = loadavg();
    const { routes, floor, nextRound } = await prepare(http, doc);
    const selected = routes.filter((r) => opts.routes.includes(r.key));
    // Both processes' JIT: the runtime's handlers and SDK, this process's SDK and HTTP client.
    for (let i = 0; i < opts.warmup; i++) {
      await floor(0);
      for (const route of selected) {
        await route.raw(0);
        await route.route(0);
      }
      nextRound(1);
    }
    const baseline = await runtimeBaseline(child, floor);
    const figures: Record<string, number> = {
      runtimeIdleCpuMsPerS: round(baseline.idlePerMs * 1000),
      floorRuntimeCpuMs: round(baseline.floorCpu),
    };
    const lines: string[] = [];
    for (const concurrency of opts.concurrency) {
      lines.push(`concurrency ${concurrency}`, HEADER);
      const floors: Sample = [];
      for (const route of selected) {
        // The stream consumers of the previous block's writes (or of the warm-up's) are done first.
        await settle(child);
        const block = await measureBlock(child, baseline, floor, route, concurrency, opts, nextRound);
        floors.push(...block.floorSample);
        Object.assign(figures, block.figures);
        lines.push(block.line);
      }
      figures[`floorC${concurrency}P50Ms`] = round(median(floors));
      figures[`floorC${concurrency}P99Ms`] = round(percentile(floors, 99));
      lines.push(
        `  ${'GET /v1.0/health'.padEnd(24)}${ms(median(floors))}${ms(percentile(floors, 99))}  (the floor, all blocks)`,
      );
    }
    const loadAfter = loadavg();
    console.log(
      [
        '',
        `bench:api, ${new Date().toISOString()}, Node ${process.version}, ${opts.iterations} samples per figure after ${opts.warmup} warm-up rounds (and ${BLOCK_WARMUP} samples per block)`,
        `load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(1)).join(' ')}`,
        `runtime process: ${(baseline.idlePerMs * 1000).toFixed(0)} ms CPU/s idle (stream pollers every ${opts.pollMs} ms), ${baseline.floorCpu.toFixed(2)} ms CPU per floor request; IAM enforcement ${opts.iam}; data keys cached ${opts.keyCacheS} s`,
        `target: (route p50 - floor p50) / raw p50 <= ${TARGET}`,
        ...lines,
        '',
        "CPU: the runtime process's per request of the route (less idle and floor; a write's includes the stream",
        "consumers it sets off in that process), and this process's per raw operation (the SDK's work as a client).",
        ...selected.map((r) => `  ${r.name.padEnd(24)}raw: ${r.rawDescription}`),
        '',
      ].join('\n'),
    );
    figures.loadAverage1m = round(loadAfter[0] ?? Number.NaN);
    printFigures(figures);
  } finally {
    doc.destroy();
    await child.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The runtime in a child process (its CPU is its own, as a Lambda's is; stdout, the handlers' logs, discarded). */
interface RuntimeProcess {
  httpUrl: string;
  dynamoEndpoint: string;
  /** CPU time the runtime process has used so far (user + system), in ms. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

async function startRuntime(
  stateDir: string,
  { pollMs, iam, keyCacheS, cpuProf }: Pick<Options, 'pollMs' | 'iam' | 'keyCacheS' | 'cpuProf'>,
): Promise<RuntimeProcess> {
  const profiling = cpuProf ? ['--cpu-prof', '--cpu-prof-dir', resolve(cpuProf)] : [];
  const child: ChildProcess = spawn(
    process.execPath,
    [...process.execArgv, ...profiling, fileURLToPath(import.meta.url)],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        [RUNTIME_ROLE]: '1',
        BBWS_BENCH_STATE_DIR: stateDir,
        BBWS_BENCH_POLL_MS: String(pollMs),
        BBWS_BENCH_IAM: iam,
        BBWS_BENCH_KEY_CACHE_S: String(keyCacheS),
      },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const ready = await new Promise<{ httpUrl: string; dynamoEndpoint: string }>((done, fail) => {
    child.once('message', (message) => done(message as { httpUrl: string; dynamoEndpoint: string }));
    child.once('exit', (code) => fail(new Error(`the runtime process exited (${code}) before it was ready`)));
  });
  return {
    ...ready,
    cpuMs: () =>
      new Promise<number>((done) => {
        child.once('message', (message) => done((message as { cpuMs: number }).cpuMs));
        child.send('cpu');
      }),
    stop: async () => {
      if (child.exitCode === null && child.connected) child.send('stop');
      const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timeout);
    },
  };
}

const HEADER = `  ${'route'.padEnd(24)}${'p50'.padStart(10)}${'p99'.padStart(10)}${'req/s'.padStart(8)}${'floor p50'.padStart(11)}${'raw p50'.padStart(10)}${'raw p99'.padStart(10)}  (p50-floor)/raw  ${'CPU: runtime'.padStart(12)}${'raw client'.padStart(11)}`;

/**
 * One block: the floor, the route's raw operations and the route, round by round, and what the runtime process
 * spent on the route meanwhile.
 */
async function measureBlock(
  runtime: RuntimeProcess,
  baseline: { idlePerMs: number; floorCpu: number },
  floor: Operation,
  route: Route,
  concurrency: number,
  opts: Options,
  nextRound: (concurrency: number) => void,
) {
  const cpuBefore = await runtime.cpuMs();
  const started = performance.now();
  const [floorStats, raw, ours] = await measure([floor, route.raw, route.route], concurrency, opts, () =>
    nextRound(concurrency),
  );
  if (!floorStats || !raw || !ours) throw new Error(`nothing measured for ${route.name}`);
  const blockCpu = (await runtime.cpuMs()) - cpuBefore - baseline.idlePerMs * (performance.now() - started);
  const rounds = Math.ceil(BLOCK_WARMUP / concurrency) + Math.ceil(opts.iterations / concurrency);
  const routeCpu = blockCpu / (rounds * concurrency) - baseline.floorCpu;
  const ratio = (ours.p50 - floorStats.p50) / raw.p50;
  const key = `${route.key}C${concurrency}`;
  return {
    floorSample: floorStats.sample,
    figures: {
      [`${key}P50Ms`]: round(ours.p50),
      [`${key}P99Ms`]: round(ours.p99),
      [`${key}Rps`]: Math.round(ours.rps),
      [`${key}FloorP50Ms`]: round(floorStats.p50),
      [`${key}RawP50Ms`]: round(raw.p50),
      [`${key}RawP99Ms`]: round(raw.p99),
      [`${key}OverFloorVsRaw`]: round(ratio),
      [`${key}RuntimeCpuMs`]: round(routeCpu),
      [`${key}RawClientCpuMs`]: round(raw.clientCpu),
    },
    line: `  ${route.name.padEnd(24)}${ms(ours.p50)}${ms(ours.p99)}${String(Math.round(ours.rps)).padStart(8)} ${ms(floorStats.p50)}${ms(raw.p50)}${ms(raw.p99)}  ${ratio.toFixed(2).padStart(8)} ${ratio <= TARGET ? 'ok  ' : 'OVER'}  ${ms(routeCpu)} ${ms(raw.clientCpu)}`,
  };
}

const FLOOR_CPU_SAMPLES = 500;
/** Samples of each operation before a block is measured (the concurrency changed, the route changed). */
const BLOCK_WARMUP = 40;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/**
 * What the runtime process spends when no request comes (its stream pollers), per ms, and on one floor request
 * (after a warm-up), so that a block's CPU can be put down to its route. A write's share includes the work its stream
 * records cause in the runtime (the dispatcher's, the publisher's, the local EventBridge's): other functions' and
 * services' in AWS.
 */
async function runtimeBaseline(
  runtime: RuntimeProcess,
  floor: Operation,
): Promise<{ idlePerMs: number; floorCpu: number }> {
  for (let i = 0; i < FLOOR_CPU_SAMPLES; i++) await floor(0);
  await settle(runtime);
  const idleStart = await runtime.cpuMs();
  const idleFrom = performance.now();
  await sleep(2000);
  const idlePerMs = ((await runtime.cpuMs()) - idleStart) / (performance.now() - idleFrom);
  const before = await runtime.cpuMs();
  const from = performance.now();
  for (let i = 0; i < FLOOR_CPU_SAMPLES; i++) await floor(0);
  const spent = (await runtime.cpuMs()) - before - idlePerMs * (performance.now() - from);
  return { idlePerMs, floorCpu: spent / FLOOR_CPU_SAMPLES };
}

/** Busy below this (ms of CPU per second) the runtime is idle but for its pollers (about 20-40 ms/s). */
const SETTLED_CPU_MS_PER_S = 80;

/**
 * Waits until the runtime process is idle: the stream consumers have caught up with the writes so far (the
 * warm-up's 1,600 creates and 800 updates keep them busy for seconds), at most a minute.
 */
async function settle(runtime: RuntimeProcess): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const before = await runtime.cpuMs();
    const from = performance.now();
    await sleep(500);
    const rate = (((await runtime.cpuMs()) - before) / (performance.now() - from)) * 1000;
    if (rate < SETTLED_CPU_MS_PER_S || performance.now() > deadline) return;
  }
}

const GET_POOL = 32;
const PATCH_POOL = 64;
const LIST_LIMIT = 20;
const CONTACTS = ['ops@bench.test', 'it@bench.test'];
const OPERATOR = 'bench-operator';

/**
 * Tenants to read and update (created through the API), the read model caught up with them, and one commit item
 * of each kind the routes write, copied by the raw operations (same attributes, same size).
 */
async function prepare(http: HttpClient, doc: DynamoDBDocumentClient) {
  const eventTable = tableName('EventStoreTable', STAGE);
  const create = async (idempotencyKey?: string) => {
    const reply = await http.call(
      'POST',
      '/v1.0/tenants',
      201,
      { organizationName: `Bench ${ulid()}`, contactEmail: CONTACTS[0], environment: 'dev' },
      idempotencyKey ? { 'idempotency-key': idempotencyKey } : {},
    );
    return (JSON.parse(reply.body) as { tenantId: string }).tenantId;
  };
  const getPool: string[] = [];
  for (let i = 0; i < GET_POOL; i++) getPool.push(await create());
  const patchPool: { id: string; contact: number }[] = [];
  for (let i = 0; i < PATCH_POOL; i++) patchPool.push({ id: await create(), contact: 0 });
  const patch = async (tenant: { id: string; contact: number }) => {
    tenant.contact = 1 - tenant.contact;
    await http.call('PATCH', `/v1.0/tenants/${tenant.id}`, 200, { contactEmail: CONTACTS[tenant.contact] });
  };
  for (const tenant of patchPool.slice(0, 2)) await patch(tenant);

  // The list reads the read model: wait until it holds a full page.
  // A fresh runtime's readers use a projection's first version (the registry's default until a switch).
  const [tenantsV1] = projections.filter((p) => p.name === 'tenants').sort((a, b) => a.version - b.version);
  if (!tenantsV1) throw new Error('no tenants projection');
  const listTable = tableName(tenantsV1.table, STAGE);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const reply = await http.call('GET', `/v1.0/tenants?limit=${LIST_LIMIT}`, 200);
    if ((JSON.parse(reply.body) as { items: unknown[] }).items.length >= LIST_LIMIT) break;
    if (Date.now() > deadline)
      throw new Error('the read model did not show the seeded tenants within 2 minutes');
    await new Promise((done) => setTimeout(done, 100));
  }

  const newest = async (tenantId: string) => {
    const { Items } = await doc.send(new QueryCommand(loadQuery(eventTable, tenantId, 1)));
    const item = Items?.[0];
    if (!item) throw new Error(`no commit item for tenant ${tenantId}`);
    return item;
  };
  const createdItem = await newest(getPool[0] ?? '');
  const key = `bench-${ulid()}`;
  await create(key);
  const { Item: idempotencyItem } = await doc.send(
    new GetCommand({
      TableName: eventTable,
      Key: { pk: IDEMPOTENCY_PREFIX + idempotencyId(OPERATOR, key), sk: 0 },
    }),
  );
  if (!idempotencyItem) throw new Error('the keyed POST left no idempotency record');
  const updatedItem = await newest(patchPool[0]?.id ?? '');
  /** A copy of a commit item under a key no stream consumer reads (`$`: not a commit item, sk kept). */
  const copy = (item: Record<string, unknown>) => ({ ...item, pk: `$bench#${ulid()}` });
  const conditionalPut = (item: Record<string, unknown>) => ({
    TableName: eventTable,
    Item: copy(item),
    ConditionExpression: 'attribute_not_exists(pk)',
  });
  /** The reservation of a new organisation name, as the store claims it. */
  const reservation = () => {
    const owner = `tenant-${ulid()}`;
    return {
      Put: {
        TableName: eventTable,
        Item: { pk: `$bench#res#org:bench ${ulid().toLowerCase()}`, sk: 0, owner },
        ConditionExpression: 'attribute_not_exists(pk) OR #owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner' },
        ExpressionAttributeValues: { ':owner': owner },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
      },
    };
  };

  const window = tenantDecider.snapshotEvery ?? 25;
  let nextGet = 0;
  let nextPatch = 0;
  /** Each batch's worker w reads or writes its own tenant; the raw operation of a round uses the same ones. */
  const pick = <T>(pool: T[], at: number, worker: number): T => pool[(at + worker) % pool.length] as T;
  const routes: Route[] = [
    {
      key: 'getOne',
      name: 'GET /tenants/{id}',
      rawDescription: 'consistent Query of the tenant stream (newest first)',
      raw: async (w) => {
        await doc.send(new QueryCommand(loadQuery(eventTable, pick(getPool, nextGet, w), window)));
      },
      route: async (w) => {
        await http.call('GET', `/v1.0/tenants/${pick(getPool, nextGet, w)}`, 200);
      },
    },
    {
      key: 'list',
      name: 'GET /tenants?limit=20',
      rawDescription: `GSI2 Query (TENANTS, newest first, Limit ${LIST_LIMIT})`,
      raw: async () => {
        await doc.send(
          new QueryCommand({
            TableName: listTable,
            IndexName: 'GSI2',
            KeyConditionExpression: 'GSI2PK = :pk',
            ExpressionAttributeValues: { ':pk': 'TENANTS' },
            ScanIndexForward: false,
            Limit: LIST_LIMIT,
          }),
        );
      },
      route: async () => {
        await http.call('GET', `/v1.0/tenants?limit=${LIST_LIMIT}`, 200);
      },
    },
    {
      key: 'create',
      name: 'POST /tenants',
      rawDescription: 'TransactWriteItems: commit + reservation',
      raw: async () => {
        await doc.send(
          new TransactWriteCommand({ TransactItems: [{ Put: conditionalPut(createdItem) }, reservation()] }),
        );
      },
      route: async () => {
        await create();
      },
    },
    {
      key: 'createIdempotent',
      name: 'POST + Idempotency-Key',
      rawDescription: 'TransactWriteItems: commit + reservation + idempotency record',
      raw: async () => {
        const now = Math.floor(Date.now() / 1000);
        await doc.send(
          new TransactWriteCommand({
            TransactItems: [
              { Put: conditionalPut(createdItem) },
              reservation(),
              {
                Put: {
                  TableName: eventTable,
                  Item: { ...idempotencyItem, pk: `$bench#idem#${ulid()}`, expiresAt: now + 86_400 },
                  ConditionExpression: 'attribute_not_exists(pk) OR expiresAt <= :now',
                  ExpressionAttributeValues: { ':now': now },
                  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                },
              },
            ],
          }),
        );
      },
      route: async () => {
        await create(`bench-${ulid()}`);
      },
    },
    {
      key: 'update',
      name: 'PATCH /tenants/{id}',
      rawDescription: 'consistent Query of the tenant stream + conditional PutItem',
      raw: async (w) => {
        // Another tenant than the route's of this round: the same stream lengths, no queueing behind it.
        const tenant = pick(patchPool, nextPatch + PATCH_POOL / 2, w);
        await doc.send(new QueryCommand(loadQuery(eventTable, tenant.id, window)));
        await doc.send(new PutCommand(conditionalPut(updatedItem)));
      },
      route: async (w) => {
        await patch(pick(patchPool, nextPatch, w));
      },
    },
  ];
  const floor: Operation = async () => {
    await http.call('GET', '/v1.0/health', 200);
  };
  // After each round the next tenants: a round's raw operation and route use the same ones, the next round others.
  const nextRound = (concurrency: number) => {
    nextGet += concurrency;
    nextPatch += concurrency;
  };
  return { routes, floor, nextRound };
}

/** The store's load of a tenant stream: newest first, consistent, one window (the decider's snapshot interval). */
function loadQuery(table: string, tenantId: string, limit: number): QueryCommandInput {
  return {
    TableName: table,
    KeyConditionExpression: 'pk = :pk AND sk >= :one',
    ExpressionAttributeValues: { ':pk': tenantStream.id(tenantId), ':one': 1 },
    ScanIndexForward: false,
    ConsistentRead: true,
    Limit: limit,
  };
}

interface Stats {
  sample: Sample;
  p50: number;
  p99: number;
  /** Operations per second while its batches ran. */
  rps: number;
  /** This process's CPU per operation: the SDK's work for a raw one, the HTTP client's for a request. */
  clientCpu: number;
}

/**
 * Rounds of every operation in turn, `concurrency` at a time (worker w of a batch on its own tenant), so machine
 * noise hits all alike; warm-up rounds first, then enough rounds for `iterations` samples of each.
 */
async function measure(
  ops: Operation[],
  concurrency: number,
  opts: Options,
  nextRound: () => void,
): Promise<Stats[]> {
  const samples = ops.map(() => [] as Sample);
  const busy = ops.map(() => 0);
  const cpu = ops.map(() => 0);
  const round = async (record: boolean) => {
    for (const [i, op] of ops.entries()) {
      const started = process.hrtime.bigint();
      const cpuBefore = process.cpuUsage();
      const times = await Promise.all(
        Array.from({ length: concurrency }, async (_, w) => {
          const start = process.hrtime.bigint();
          await op(w);
          return Number(process.hrtime.bigint() - start) / 1e6;
        }),
      );
      if (record) {
        samples[i]?.push(...times);
        busy[i] = (busy[i] ?? 0) + Number(process.hrtime.bigint() - started) / 1e6;
        const { user, system } = process.cpuUsage(cpuBefore);
        cpu[i] = (cpu[i] ?? 0) + (user + system) / 1000;
      }
    }
    nextRound();
  };
  for (let i = 0; i < Math.ceil(BLOCK_WARMUP / concurrency); i++) await round(false);
  for (let i = 0; i < Math.ceil(opts.iterations / concurrency); i++) await round(true);
  return samples.map((sample, i) => ({
    sample,
    p50: median(sample),
    p99: percentile(sample, 99),
    rps: (sample.length / (busy[i] ?? Number.NaN)) * 1000,
    clientCpu: (cpu[i] ?? Number.NaN) / sample.length,
  }));
}

const round = (x: number) => Math.round(x * 100) / 100;
const ms = (x: number) => `${x.toFixed(2)} ms`.padStart(10);

// Last: the classes and constants above are initialised by now.
if (process.env[RUNTIME_ROLE] === '1') {
  await serveRuntime();
} else {
  await main().catch((error: unknown) => {
    console.error(error instanceof NonFiniteFigureError ? error.message : error);
    process.exitCode = 1;
  });
}
