/**
 * Where a GET's CPU goes, in one process: the local runtime started here (not in a child, as bench/api.ts does),
 * so a raw DynamoDB Query, the tenant API's handler called directly, the same handler through the Lambda host, the
 * route through the local HTTP API and the HTTP floor are each measured as this process's CPU per operation, at
 * the same concurrency, interleaved round by round. It answers one question of bench/api.ts's concurrency-8
 * figure: how much of a route's cost over its raw Query is the handler's, and how much is that eight raw Queries
 * started in one event-loop turn share the turn's fixed costs, where a route's Query, issued as its own request
 * arrives, cannot. Run: npm run bench:api-cpu [-- --help]. The last line is one JSON object of the figures; the
 * run fails (exit 1) naming any figure that is not a finite number. docs/performance.md, "API".
 */
import { mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { tenantStream } from '#src/contexts/tenants/domain/tenant.stream.js';
import { localKeys, signLocalToken } from '#src/platform/auth/local-issuer.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { runtimeRoles } from '#src/platform/local/iam/function-roles.js';
import { LambdaHost } from '#src/platform/local/lambda-host.js';
import { startLocalRuntime } from '#src/platform/local/runtime.js';
import { HttpClient } from './http-client.js';
import { median, parseBenchArgs, printFigures, wholeNumber } from './measure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const STAGE = 'benchcpu';
const FUNCTION = 'tenantApi';
const ROUTE_KEY = 'GET /v1.0/tenants/{id}';

const USAGE = `Usage: npm run bench:api-cpu [-- options]

Starts the local runtime in this process (its own DynamoDB Local, free ports; handlers logging at INFO to
/dev/null, data keys cached 300 s, IAM enforced, as bench:api runs it) and measures this process's CPU per
operation, at one concurrency, in interleaved rounds after a warm-up:

  raw burst      the consistent Query GET /tenants/{id} needs, the round's queries started in one turn
                 (as bench:api's raw operations are)
  raw per turn   the same Query, each of the round's started in an event-loop turn of its own
                 (as a route's is: it is sent when its request has arrived)
  handler        the tenant API's handler called directly with an API Gateway event (no HTTP, no Lambda host)
  host           the handler through a Lambda host (its own module scope, IAM enforced), no HTTP
  route          GET /v1.0/tenants/{id} through the local HTTP API (the client's CPU included: same process)
  floor          GET /v1.0/health through the local HTTP API (the client's CPU included)

  --concurrency N   operations at a time (default 8)
  --rounds N        measured rounds of every operation (default 5), each of --per-round operations
  --per-round N     operations per operation kind and round (default 2000)
  --warmup N        warm-up operations of each kind (default 4000)
  -h, --help        this text`;

interface Options {
  help: boolean;
  concurrency: number;
  rounds: number;
  perRound: number;
  warmup: number;
}

function options(): Options {
  return parseBenchArgs(USAGE, () => {
    const { values } = parseArgs({
      options: {
        concurrency: { type: 'string', default: '8' },
        rounds: { type: 'string', default: '5' },
        'per-round': { type: 'string', default: '2000' },
        warmup: { type: 'string', default: '4000' },
        help: { type: 'boolean', short: 'h', default: false },
      },
      strict: true,
      allowPositionals: false,
    });
    return {
      help: values.help,
      concurrency: wholeNumber('concurrency', values.concurrency),
      rounds: wholeNumber('rounds', values.rounds),
      perRound: wholeNumber('per-round', values['per-round']),
      warmup: wholeNumber('warmup', values.warmup, 0),
    };
  });
}

/** The handlers' log lines (and the runtime's) go to /dev/null while it runs, as bench:api's child's stdout does. */
function quietStdout(): () => void {
  const devNull = openSync('/dev/null', 'w');
  const write = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === 'string') writeSync(devNull, chunk);
    else writeSync(devNull, chunk);
    const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    callback?.();
    return true;
  }) as typeof process.stdout.write;
  return () => {
    process.stdout.write = write;
  };
}

async function main(): Promise<void> {
  const opts = options();
  const stateDir = mkdtempSync(join(tmpdir(), 'bbws-bench-api-cpu-'));
  const keys = localKeys(join(stateDir, 'auth'));
  const loud = quietStdout();
  const runtime = await startLocalRuntime({
    stage: STAGE,
    stateDir,
    logLevel: 'INFO',
    pollMs: 250,
    keyCacheSeconds: 300,
  });
  const token = signLocalToken(
    keys,
    { sub: 'bench-operator', 'cognito:groups': ['Operator'] },
    { expiresInSeconds: 24 * 3600 },
  );
  const http = new HttpClient(runtime.httpUrl, token);
  try {
    const base = new URL(runtime.httpUrl);
    // tenants to read, one per worker of a round
    const ids: string[] = [];
    for (let i = 0; i < opts.concurrency; i++) {
      const created = await http.call('POST', '/v1.0/tenants', 201, {
        organizationName: `Bench CPU ${Date.now()} ${i}`,
        contactEmail: 'ops@bench.test',
        environment: 'dev',
      });
      ids.push((JSON.parse(created.body) as { tenantId: string }).tenantId);
    }

    const doc = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
    const eventTable = tableName('EventStoreTable', STAGE);
    const query = (id: string) =>
      doc.send(
        new QueryCommand({
          TableName: eventTable,
          KeyConditionExpression: 'pk = :pk AND sk >= :one',
          ExpressionAttributeValues: { ':pk': tenantStream.id(id), ':one': 1 },
          ScanIndexForward: false,
          ConsistentRead: true,
          Limit: tenantDecider.snapshotEvery ?? 25,
        }),
      );
    const event = (id: string) => ({
      version: '2.0',
      routeKey: ROUTE_KEY,
      rawPath: `/v1.0/tenants/${id}`,
      rawQueryString: '',
      headers: { authorization: `Bearer ${token}`, host: base.host, 'user-agent': 'bench-api-cpu' },
      pathParameters: { id },
      requestContext: {
        accountId: '000000000000',
        apiId: 'local',
        domainName: base.host,
        http: {
          method: 'GET',
          path: `/v1.0/tenants/${id}`,
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'bench-api-cpu',
        },
        requestId: 'bench',
        routeKey: ROUTE_KEY,
        stage: '$default',
        time: new Date().toISOString(),
        timeEpoch: Date.now(),
      },
      isBase64Encoded: false,
    });
    // The handler as this process's module instance (the process's environment: the runtime set it), no IAM scope.
    const { handler } = await import('#src/contexts/tenants/handlers/tenant-api.js');
    // A Lambda host of its own, as the runtime's: the function's modules in their scope, its role enforced.
    const root = process.cwd();
    const host = new LambdaHost(
      root,
      runtime.wiring,
      runtimeRoles(
        root,
        STAGE,
        runtime.wiring.functions.map((f) => f.name),
      ),
    );
    const invoke = host.invoker(FUNCTION);
    const ok = (result: unknown, what: string) => {
      const { statusCode, body } = result as { statusCode?: number; body?: string };
      if (statusCode !== 200) throw new Error(`${what}: ${statusCode}: ${String(body).slice(0, 300)}`);
    };

    /** Worker w of a round: its own tenant; `turn` of them wait w event-loop turns before they start. */
    const kinds: { key: string; name: string; op: (w: number) => Promise<void>; turn?: boolean }[] = [
      { key: 'rawBurst', name: 'raw burst', op: async (w) => void (await query(ids[w] ?? '')) },
      {
        key: 'rawPerTurn',
        name: 'raw per turn',
        op: async (w) => void (await query(ids[w] ?? '')),
        turn: true,
      },
      {
        key: 'handler',
        name: 'handler',
        op: async (w) => ok(await handler(event(ids[w] ?? '') as never), 'handler'),
      },
      { key: 'host', name: 'host', op: async (w) => ok(await invoke(event(ids[w] ?? '')), 'host') },
      {
        key: 'route',
        name: 'route',
        op: async (w) => void (await http.call('GET', `/v1.0/tenants/${ids[w]}`, 200)),
      },
      {
        key: 'floor',
        name: 'floor',
        op: async () => void (await http.call('GET', '/v1.0/health', 200)),
      },
    ];
    const batch = (kind: (typeof kinds)[number], operations: number) => {
      const rounds = Math.ceil(operations / opts.concurrency);
      return (async () => {
        for (let r = 0; r < rounds; r++) {
          await Promise.all(
            Array.from({ length: opts.concurrency }, async (_, w) => {
              if (kind.turn) for (let t = 0; t < w; t++) await nextTurn();
              await kind.op(w);
            }),
          );
        }
        return rounds * opts.concurrency;
      })();
    };
    for (const kind of kinds) await batch(kind, opts.warmup);
    // the per-turn kind's own turns, to take off its figure (a setImmediate each, no I/O)
    const turnsOnly = { key: 'turns', name: 'turns', op: async () => {}, turn: true };
    await batch(turnsOnly, opts.warmup);
    const cpu: Record<string, number[]> = {};
    for (let r = 0; r < opts.rounds; r++) {
      for (const kind of [...kinds, turnsOnly]) {
        const before = process.cpuUsage();
        const done = await batch(kind, opts.perRound);
        const used = process.cpuUsage(before);
        const samples = cpu[kind.key] ?? [];
        samples.push((used.user + used.system) / done);
        cpu[kind.key] = samples;
      }
    }
    const us = (key: string) => median(cpu[key] ?? []);
    const turns = us('turns');
    const figures = {
      rawBurstUs: round(us('rawBurst')),
      rawPerTurnUs: round(us('rawPerTurn') - turns),
      handlerUs: round(us('handler')),
      hostUs: round(us('host')),
      routeUs: round(us('route')),
      floorUs: round(us('floor')),
      turnUs: round(turns),
    };
    const ratios = {
      rawPerTurnVsBurst: ratio(figures.rawPerTurnUs, figures.rawBurstUs),
      handlerOverRawBurst: ratio(figures.handlerUs - figures.rawBurstUs, figures.rawBurstUs),
      routeOverFloorVsRawBurst: ratio(figures.routeUs - figures.floorUs, figures.rawBurstUs),
      routeOverFloorVsRawPerTurn: ratio(figures.routeUs - figures.floorUs, figures.rawPerTurnUs),
    };
    loud();
    console.log(
      `concurrency ${opts.concurrency}: this process's CPU per operation, median of ${opts.rounds} rounds`,
    );
    for (const kind of kinds) {
      const value = kind.key === 'rawPerTurn' ? figures.rawPerTurnUs : round(us(kind.key));
      console.log(`  ${kind.name.padEnd(14)} ${value.toFixed(0).padStart(6)} µs`);
    }
    console.log(`  (an empty turn: ${figures.turnUs} µs, taken off "raw per turn")`);
    console.log(`raw per turn / raw burst                    ${ratios.rawPerTurnVsBurst}`);
    console.log(`(handler - raw burst) / raw burst            ${ratios.handlerOverRawBurst}`);
    console.log(`(route - floor) / raw burst                  ${ratios.routeOverFloorVsRawBurst}`);
    console.log(`(route - floor) / raw per turn               ${ratios.routeOverFloorVsRawPerTurn}`);
    printFigures({ ...figures, ...ratios, loadAverage1m: round(loadavg()[0] ?? Number.NaN) });
  } finally {
    loud();
    http.destroy();
    await runtime.stop();
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;
const ratio = (a: number, b: number) => round(a / b);

await main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
