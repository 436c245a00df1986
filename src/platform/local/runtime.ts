import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DynamoDBStreamsClient, ListStreamsCommand } from '@aws-sdk/client-dynamodb-streams';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { requestHandler } from '#src/platform/aws/http-timeouts.js';
import type { BoundedContext, LocalStandIns, LocalStandInsEnvironment } from '#src/platform/context.js';
import { createTables, tableName, tableNames } from '#src/platform/infra/create-tables.js';
import { keyFromFile } from '#src/platform/privacy/key-files.js';
import { LOCAL_KMS_KEY_ID } from '#src/platform/privacy/local.master-key.js';
import { busPutters } from './bus-policies.js';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local.js';
import { LocalEventBridge } from './eventbridge-server.js';
import { LocalHttpApi } from './http-api-server.js';
import {
  cognitoEnvironment,
  LOCAL_TEMPLATE_PARAMETERS,
  type LocalIamOptions,
  PACKAGED_STAGE,
  runtimeRoles,
} from './iam/function-roles.js';
import { packagedTemplate } from './iam/packaged-template.js';
import { LocalKms } from './kms-server.js';
import { LambdaHost } from './lambda-host.js';
import { freePort } from './ports.js';
import type { SqsPoller } from './sqs-poller.js';
import { type LocalSqsRuntime, type PollerOptions, startLocalSqs } from './sqs-runtime.js';
import { retrySettings, StreamPoller, type StreamRetrySettings } from './stream-poller.js';
import { LocalSts } from './sts-server.js';
import { type LocalWiring, loadWiring } from './wiring.js';

export interface LocalRuntimeOptions {
  stage: string;
  /** Repository root (serverless.yml and the handlers); defaults to the current directory. */
  root?: string;
  dynamoPort?: number;
  /** Port of the HTTP API; a free one when absent. */
  httpPort?: number;
  /** TRIM_HORIZON as deployed; tests may start at LATEST. */
  startingPosition?: 'TRIM_HORIZON' | 'LATEST';
  /** Where the local token issuer keeps its keys and the local identity directory its users. */
  stateDir?: string;
  pollMs?: number;
  /** The handlers' log level (their structured JSON logs go to stdout). */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  log?: (line: string) => void;
  /** Drills: retry settings replacing the packaged ones for a stream consumer (scaled down, or reverted). */
  streamSettings?: (subscription: LocalWiring['streams'][number]) => Partial<StreamRetrySettings>;
  /** Port of the SQS API (`npm run bbws -- queues ...` reaches it there); a free one when absent. */
  sqsPort?: number;
  /** Tests and drills: SQS mapping settings replacing the packaged ones. */
  sqsSettings?: PollerOptions['settings'];
  /** Drills: an endpoint in front of DynamoDB Local (a fault-injecting proxy) for the handlers, not the pollers. */
  handlerDynamoEndpoint?: (dynamoEndpoint: string) => Promise<{ endpoint: string; stop(): Promise<void> }>;
  /** Tests: the identity directory is Cognito's SDK adapter against this Cognito-API stand-in, not the JSON file. */
  cognitoEndpoint?: string;
  /**
   * How long the functions keep a plain data key (DATA_KEY_CACHE_SECONDS; default 0). Locally every function runs
   * in this one process and would share one cache, so the first to read a key would hide that the others need KMS
   * too: without a cache, each unwraps what it reads through the KMS stand-in under its own role, as in AWS. (The
   * erasure process waits this long before its markers: none locally.)
   */
  keyCacheSeconds?: number;
  /**
   * Each function's role from the packaged template, enforced on every SDK call its invocations and its event
   * source mappings make (src/platform/local/iam). On unless `{ enforce: false }`.
   */
  iam?: LocalIamOptions;
  /** Whose local stand-ins (`BoundedContext.local`) to start; src/contexts/index.ts's list when absent. */
  contexts?: readonly Pick<BoundedContext, 'name' | 'local'>[];
}

export interface RunningRuntime {
  stage: string;
  dynamoEndpoint: string;
  httpUrl: string;
  eventBridge: LocalEventBridge;
  wiring: LocalWiring;
  /** The stream consumers' event source mappings. */
  pollers: { function: string; poller: StreamPoller }[];
  /** Queues, their rules and the SQS event source mappings (sqs-runtime.ts). */
  sqs: LocalSqsRuntime;
  queuePollers: { function: string; poller: SqsPoller }[];
  /** Each context's running stand-ins, by context name. */
  standIns: ReadonlyMap<string, LocalStandIns>;
  /** Runs `body` with a function's role, as its invocations run (tests: `expectDenials` marks denials expected). */
  runAs<T>(functionName: string, body: () => T, options?: { expectDenials?: boolean }): T;
  /** Lines saying what runs where. */
  describe(): string[];
  stop(): Promise<void>;
}

/**
 * The whole system on this machine, wired from serverless.yml: DynamoDB Local with every table, an SQS-API
 * server, an EventBridge-API server routing by the declared rules, stream pollers feeding the stream
 * functions, and the HTTP API — all calling the same handlers as Lambda.
 */
export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<RunningRuntime> {
  const root = resolve(options.root ?? process.cwd());
  const log = options.log ?? (() => {});
  const wiring = loadWiring(root);
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const dynamo: RunningDynamoDb = await startDynamoDbLocal(
      options.dynamoPort === undefined ? {} : { port: options.dynamoPort },
    );
    stops.push(() => dynamo.stop());
    const ddb = dynamoClient({ region: 'af-south-1', endpoint: dynamo.endpoint });
    stops.push(async () => ddb.destroy());
    const created = await createTables(ddb, options.stage);

    // Queues, rules with queue targets and SQS mappings, from the template (sqs-runtime.ts).
    const localSqs = await startLocalSqs(wiring, options.stage, options.sqsPort);
    stops.push(() => localSqs.stop());
    const { endpoint: sqsEndpoint, client: sqs, queueUrls } = localSqs;

    const { roles, busPolicies } = localPermissions(root, options, wiring);
    const host = new LambdaHost(root, wiring, roles);
    const busName = (id: string) => (id === 'default' ? id : `${wiring.buses[id] ?? id}-${options.stage}`);
    const eventBridge = new LocalEventBridge(
      [
        ...wiring.rules.map((rule, i) => ({
          name: `${rule.function}-rule-${i + 1}`,
          bus: busName(rule.bus),
          pattern: rule.pattern,
          invoke: host.invoker(rule.function),
        })),
        ...localSqs.rules,
        ...wiring.busRules.map((r) => ({ ...r, bus: busName(r.bus), targetBus: busName(r.targetBus) })),
      ],
      log,
    );
    eventBridge.busPolicies = busPolicies;
    const eventBridgeEndpoint = await eventBridge.listen(await freePort());
    stops.push(() => eventBridge.close());

    const stateDir = resolve(root, options.stateDir ?? '.local');
    const httpPort = options.httpPort ?? (await freePort());
    // Contexts' stand-ins (the ECS API, a git server, ...) start before any handler loads: their endpoints are
    // part of the functions' environment.
    const standIns = await startStandIns(root, options.contexts, stops, {
      stage: options.stage,
      region: 'af-south-1',
      account: '000000000000',
      stateDir,
      httpUrl: `http://127.0.0.1:${httpPort}`,
      putServiceEvent: (event) => void eventBridge.putServiceEvent(event),
      log,
    });
    const handlerDynamo = await handlerEndpoint(options, dynamo.endpoint, stops);
    const kms = await startKms(root, stops);
    // STS: the roles the contexts' stand-ins define (iam/sessions.ts) are assumed through it.
    const sts = new LocalSts();
    const stsEndpoint = await sts.listen();
    stops.push(() => sts.close());
    Object.assign(process.env, wiring.environment, ...wiring.functions.map((f) => f.environment));
    // every table's TABLE_<logical id>, as the template gives a function those it uses (Refs: not in the wiring's
    // literals); each function sees only its own (function-environment.ts)
    Object.assign(process.env, tableNames(options.stage));
    Object.assign(process.env, standInEnvironment(standIns), {
      STAGE: options.stage,
      AWS_REGION: 'af-south-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      DYNAMODB_ENDPOINT: handlerDynamo,
      EVENTBRIDGE_ENDPOINT: eventBridgeEndpoint,
      SQS_ENDPOINT: sqsEndpoint,
      STS_ENDPOINT: stsEndpoint,
      AUTH_MODE: 'local',
      LOCAL_AUTH_DIR: join(stateDir, 'auth'),
      IDENTITY_MODE: 'local',
      LOCAL_IDENTITY_FILE: join(stateDir, 'identity', 'users.json'),
      // Personal data: the KMS stand-in, serving the development master key of the checkout (not of stateDir) as
      // the stack's PersonalDataKey, so every function's KMS calls are checked against its role; the CLI and every
      // event store a test builds without keys use that key file directly, and all of them read each other's data.
      ...kms.environment,
      DATA_KEY_CACHE_SECONDS: String(options.keyCacheSeconds ?? 0),
      METRICS_MODE: 'record',
      LOG_LEVEL: options.logLevel ?? 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    if (options.cognitoEndpoint) Object.assign(process.env, cognitoEnvironment(options.cognitoEndpoint));

    const streams = new DynamoDBStreamsClient({
      region: 'af-south-1',
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: requestHandler('dynamodbStreams', { local: true }),
    });
    stops.push(async () => streams.destroy());
    const pollers: RunningRuntime['pollers'] = [];
    for (const subscription of wiring.streams) {
      const table = tableName(subscription.table, options.stage);
      // Lambda's mapping needs ListStreams, DescribeStream, GetShardIterator and GetRecords on the function's role
      // (AWS's AWSLambdaDynamoDBExecutionRole): the local mapping finds its stream and reads it with that role.
      const streamArn = await host.runAs(subscription.function, () => latestStreamArn(streams, table));
      const queueUrl = subscription.onFailureQueue ? queueUrls[subscription.onFailureQueue] : undefined;
      const poller = new StreamPoller(streams, {
        streamArn,
        functionName: subscription.function,
        ...retrySettings(subscription, options.streamSettings),
        startingPosition: options.startingPosition ?? 'TRIM_HORIZON',
        invoke: host.invoker(subscription.function),
        pollMs: options.pollMs ?? 20,
        log: (line) => log(`${subscription.function}: ${line}`),
        onFailure: onFailureSender(sqs, queueUrl),
      });
      host.runAs(subscription.function, () => poller.start());
      pollers.push({ function: subscription.function, poller });
      stops.push(() => poller.stop());
    }
    const queuePollers = localSqs.startPollers(host, {
      log,
      ...(options.sqsSettings ? { settings: options.sqsSettings } : {}),
    });

    const http = new LocalHttpApi(
      wiring.routes.map((route) => ({
        method: route.method,
        path: route.path,
        invoke: host.invoker(route.function),
      })),
    );
    const httpUrl = await http.listen(httpPort);
    stops.push(() => http.close());

    return {
      stage: options.stage,
      dynamoEndpoint: dynamo.endpoint,
      httpUrl,
      eventBridge,
      wiring,
      pollers,
      sqs: localSqs,
      queuePollers,
      standIns,
      runAs: (functionName, body, runOptions) => host.runAs(functionName, body, runOptions),
      describe: () => [
        `HTTP API          ${httpUrl}/v1.0  (${wiring.routes.length} routes; OpenAPI at ${httpUrl}/v1.0/openapi.json)`,
        `DynamoDB Local    ${dynamo.endpoint}  (in memory, stage "${options.stage}")`,
        ...created.map((table) => `  table           ${table}`),
        `EventBridge API   ${eventBridgeEndpoint}  (${wiring.rules.length} rules from serverless.yml${eventBridge.busPolicies ? "; other accounts' events as the buses' policies allow" : ''})`,
        ...localSqs.describe(),
        ...wiring.streams.map(
          (s) => `stream consumer   ${s.function} <- ${s.table} stream (batch ${s.batchSize})`,
        ),
        ...wiring.rules.map((r) => `rule              ${JSON.stringify(r.pattern)} -> ${r.function}`),
        `IAM               ${roles ? "each function's role from the packaged template, enforced" : 'not enforced'}`,
        `local auth        keys in ${join(stateDir, 'auth')}; tokens: npm run -s token -- --role Operator`,
        `KMS API           ${kms.endpoint}  (the development master key as PersonalDataKey; no data-key cache)`,
        `STS API           ${stsEndpoint}  (AssumeRole of the workload accounts' roles: trust policy and duration enforced)`,
        ...[...standIns.values()].flatMap((s) => s.describe()),
      ],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Starts each context's stand-ins (`BoundedContext.local`: `<module>.<export>`, loaded from the checkout). */
async function startStandIns(
  root: string,
  given: LocalRuntimeOptions['contexts'],
  stops: (() => Promise<void>)[],
  environment: LocalStandInsEnvironment,
): Promise<Map<string, LocalStandIns>> {
  const contexts = given ?? (await import('#src/contexts/index.js')).contexts;
  const started = new Map<string, LocalStandIns>();
  for (const context of contexts) {
    if (context.local === undefined) continue;
    const dot = context.local.lastIndexOf('.');
    const module = await import(pathToFileURL(join(root, `${context.local.slice(0, dot)}.ts`)).href);
    const start = module[context.local.slice(dot + 1)];
    if (typeof start !== 'function') throw new Error(`${context.name}: ${context.local} is not a function`);
    const standIns = (await start({
      ...environment,
      log: (line: string) => environment.log(`${context.name}: ${line}`),
    })) as LocalStandIns;
    stops.push(() => standIns.stop());
    started.set(context.name, standIns);
  }
  return started;
}

/**
 * With IAM enforced (the default), what the packaged template grants holds, read once: each function's role, and
 * each bus's resource policy (another account's events reach a bus only as it allows, as in AWS).
 */
function localPermissions(root: string, options: LocalRuntimeOptions, wiring: LocalWiring) {
  if (options.iam?.enforce === false) return { roles: undefined, busPolicies: undefined };
  const template = packagedTemplate({ root, stage: PACKAGED_STAGE });
  const functions = wiring.functions.map((f) => f.name);
  return {
    roles: runtimeRoles(root, options.stage, functions, options.iam, template),
    busPolicies: busPutters(template, LOCAL_TEMPLATE_PARAMETERS),
  };
}

/** The stand-ins' environment; two contexts setting one variable is a mistake, not an override. */
function standInEnvironment(standIns: ReadonlyMap<string, LocalStandIns>): Record<string, string> {
  const merged: Record<string, string> = {};
  for (const [name, s] of standIns) {
    for (const [key, value] of Object.entries(s.environment)) {
      if (key in merged) throw new Error(`${name}'s stand-ins set ${key}, which another context's set too`);
      merged[key] = value;
    }
  }
  return merged;
}

/**
 * The KMS stand-in with the checkout's development master key under the id the local roles give the stack's
 * PersonalDataKey (blobs of the two interoperate), and the subject-index key file's text as the secret.
 */
async function startKms(root: string, stops: (() => Promise<void>)[]) {
  const keysDir = join(root, '.local', 'keys');
  const kms = new LocalKms({ [LOCAL_KMS_KEY_ID]: keyFromFile(join(keysDir, 'master.key')) });
  const endpoint = await kms.listen();
  stops.push(() => kms.close());
  return {
    endpoint,
    environment: {
      MASTER_KEY_MODE: 'kms',
      PERSONAL_DATA_KEY_ID: kms.arnOf(LOCAL_KMS_KEY_ID),
      KMS_ENDPOINT: endpoint,
      SUBJECT_INDEX_KEY: keyFromFile(join(keysDir, 'subject-index.key')).toString('base64'),
      LOCAL_KEYS_DIR: keysDir,
    },
  };
}

/** The handlers' DynamoDB endpoint: DynamoDB Local, or a drill's proxy in front of it. */
async function handlerEndpoint(
  options: LocalRuntimeOptions,
  endpoint: string,
  stops: (() => Promise<void>)[],
): Promise<string> {
  const proxy = await options.handlerDynamoEndpoint?.(endpoint);
  if (!proxy) return endpoint;
  stops.push(() => proxy.stop());
  return proxy.endpoint;
}

/** Lambda's on-failure destination: the batch's metadata as one SQS message. */
function onFailureSender(sqs: SQSClient, queueUrl: string | undefined) {
  return async (failure: Record<string, unknown>) => {
    if (queueUrl)
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(failure) }));
  };
}

/** The table's newest stream (a recreated table keeps its old streams for 24 hours). */
async function latestStreamArn(streams: DynamoDBStreamsClient, table: string): Promise<string> {
  const { Streams = [] } = await streams.send(new ListStreamsCommand({ TableName: table }));
  const newest = Streams.map((s) => s.StreamArn ?? '')
    .filter((arn) => arn !== '')
    .sort()
    .at(-1);
  if (!newest) throw new Error(`table ${table} has no stream`);
  return newest;
}
