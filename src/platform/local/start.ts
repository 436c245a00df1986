import { isPortFree } from './ports.js';
import { startLocalRuntime } from './runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** `npm start`: the whole system locally, until Ctrl-C. PORT and DYNAMODB_PORT override the defaults. */
async function main(): Promise<void> {
  const httpPort = Number(process.env.PORT ?? 3000);
  const dynamoPort = Number(process.env.DYNAMODB_PORT ?? 8000);
  // The CLI (`bbws queues ...`) finds the SQS API here unless SQS_ENDPOINT says otherwise.
  const sqsPort = Number(process.env.SQS_PORT ?? 9324);
  if (!(await isPortFree(httpPort))) throw new Error(`port ${httpPort} is in use: set PORT to another one`);
  const runtime = await startLocalRuntime({
    stage: 'local',
    httpPort,
    ...((await isPortFree(dynamoPort)) ? { dynamoPort } : {}),
    ...((await isPortFree(sqsPort)) ? { sqsPort } : {}),
    log: (line) => console.log(`[runtime] ${line}`),
  });
  console.log(
    [
      '',
      'BBWS control plane is running locally:',
      ...runtime.describe(),
      '',
      'Ctrl-C stops everything.',
    ].join('\n'),
  );
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    await runtime.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
