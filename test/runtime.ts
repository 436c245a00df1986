import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';

/**
 * A whole local runtime for one test file: its own DynamoDB Local (tables created first, so it stays fast),
 * free ports, and a temporary state folder for the local issuer and identity directory.
 */
export async function startTestRuntime(): Promise<RunningRuntime & { stateDir: string }> {
  const stateDir = mkdtempSync(join(tmpdir(), 'bbws-runtime-'));
  const runtime = await startLocalRuntime({ stage: 'rt', stateDir, pollMs: 10, logLevel: 'ERROR' });
  return Object.assign(runtime, { stateDir });
}

/** Polls until `check` stops throwing (projections and deliveries are asynchronous). */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
