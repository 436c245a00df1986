import { isPortFree } from './ports.js';
import { startLocalRuntime } from './runtime.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

/** `npm start`: the whole system locally, until Ctrl-C. */
async function main(): Promise<void> {
  const wanted = Number(process.env.DYNAMODB_PORT ?? 8000);
  const runtime = await startLocalRuntime({
    stage: 'local',
    ...((await isPortFree(wanted)) ? { dynamoPort: wanted } : {}),
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
