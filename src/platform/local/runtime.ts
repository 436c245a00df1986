import { join, resolve } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { createSqsServer } from 'local-aws-sqs';
import { dynamoClient } from '#src/platform/aws/dynamodb-client.js';
import { createTables, tableName } from '#src/platform/infra/create-tables.js';
import type tables from '#src/platform/infra/tables.cjs';
import { type RunningDynamoDb, startDynamoDbLocal } from './dynamodb-local.js';
import { LocalEventBridge } from './eventbridge-server.js';
import { LocalHttpApi } from './http-api-server.js';
import { LambdaHost } from './lambda-host.js';
import { freePort } from './ports.js';
import { StreamPoller } from './stream-poller.js';
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
}

export interface RunningRuntime {
  stage: string;
  dynamoEndpoint: string;
  httpUrl: string;
  eventBridge: LocalEventBridge;
  wiring: LocalWiring;
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

    const sqsPort = await freePort();
    const sqsServer = await createSqsServer({
      port: sqsPort,
      hostname: '127.0.0.1',
      emulateQueueCreationLifecycle: false,
    });
    stops.push(() => new Promise<void>((done) => sqsServer.close(() => done())));
    const sqsEndpoint = `http://127.0.0.1:${sqsPort}`;
    const sqs = new SQSClient({
      region: 'af-south-1',
      endpoint: sqsEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const queueUrls: Record<string, string> = {};
    for (const [id, base] of Object.entries(wiring.queues)) {
      queueUrls[id] =
        (await sqs.send(new CreateQueueCommand({ QueueName: `${base}-${options.stage}` }))).QueueUrl ?? '';
    }

    const host = new LambdaHost(root, wiring);
    const eventBridge = new LocalEventBridge(
      wiring.rules.map((rule, i) => ({
        name: `${rule.function}-rule-${i + 1}`,
        bus: `${wiring.buses[rule.bus] ?? rule.bus}-${options.stage}`,
        pattern: rule.pattern,
        invoke: host.invoker(rule.function),
      })),
      log,
    );
    const eventBridgeEndpoint = await eventBridge.listen(await freePort());
    stops.push(() => eventBridge.close());

    const stateDir = resolve(root, options.stateDir ?? '.local');
    Object.assign(process.env, wiring.environment, ...wiring.functions.map((f) => f.environment), {
      STAGE: options.stage,
      AWS_REGION: 'af-south-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      EVENTBRIDGE_ENDPOINT: eventBridgeEndpoint,
      SQS_ENDPOINT: sqsEndpoint,
      AUTH_MODE: 'local',
      LOCAL_AUTH_DIR: join(stateDir, 'auth'),
      IDENTITY_MODE: 'local',
      LOCAL_IDENTITY_FILE: join(stateDir, 'identity', 'users.json'),
      METRICS_MODE: 'record',
      LOG_LEVEL: options.logLevel ?? 'INFO',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });

    const streams = new DynamoDBStreamsClient({
      region: 'af-south-1',
      endpoint: dynamo.endpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    stops.push(async () => streams.destroy());
    for (const subscription of wiring.streams) {
      const table = tableName(subscription.table as tables.LogicalTableId, options.stage);
      const { Table } = await ddb.send(new DescribeTableCommand({ TableName: table }));
      const queueUrl = subscription.onFailureQueue ? queueUrls[subscription.onFailureQueue] : undefined;
      const poller = new StreamPoller(streams, {
        streamArn: Table?.LatestStreamArn ?? '',
        batchSize: subscription.batchSize,
        maximumRetryAttempts: subscription.maximumRetryAttempts,
        bisect: subscription.bisect,
        reportBatchItemFailures: subscription.reportBatchItemFailures,
        startingPosition: options.startingPosition ?? 'TRIM_HORIZON',
        invoke: host.invoker(subscription.function),
        pollMs: options.pollMs ?? 20,
        log: (line) => log(`${subscription.function}: ${line}`),
        onFailure: onFailureSender(sqs, queueUrl),
      });
      poller.start();
      stops.push(() => poller.stop());
    }
    stops.push(async () => sqs.destroy());

    const http = new LocalHttpApi(
      wiring.routes.map((route) => ({
        method: route.method,
        path: route.path,
        invoke: host.invoker(route.function),
      })),
    );
    const httpUrl = await http.listen(options.httpPort ?? (await freePort()));
    stops.push(() => http.close());

    return {
      stage: options.stage,
      dynamoEndpoint: dynamo.endpoint,
      httpUrl,
      eventBridge,
      wiring,
      describe: () => [
        `HTTP API          ${httpUrl}/v1.0  (${wiring.routes.length} routes; OpenAPI at ${httpUrl}/v1.0/openapi.json)`,
        `DynamoDB Local    ${dynamo.endpoint}  (in memory, stage "${options.stage}")`,
        ...created.map((table) => `  table           ${table}`),
        `EventBridge API   ${eventBridgeEndpoint}  (${wiring.rules.length} rules from serverless.yml)`,
        `SQS API           ${sqsEndpoint}  (${Object.values(wiring.queues).join(', ') || 'no queues'})`,
        ...wiring.streams.map(
          (s) => `stream consumer   ${s.function} <- ${s.table} stream (batch ${s.batchSize})`,
        ),
        ...wiring.rules.map((r) => `rule              ${JSON.stringify(r.pattern)} -> ${r.function}`),
        `local auth        keys in ${join(stateDir, 'auth')}; tokens: npm run -s token -- --role Operator`,
      ],
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Lambda's on-failure destination: the batch's metadata as one SQS message. */
function onFailureSender(sqs: SQSClient, queueUrl: string | undefined) {
  return async (failure: Record<string, unknown>) => {
    if (queueUrl)
      await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: JSON.stringify(failure) }));
  };
}
