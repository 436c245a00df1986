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

/**
 * The functions' log lines, kept for a test to search: the local runtime runs every function in this process, and
 * their loggers (Powertools JSON) write to its stdout, ERROR lines to stderr. Call it before the runtime starts (a
 * logger holds on to the stream it found). Their JSON lines are kept and not printed; anything else passes through,
 * and with `keep: 'all'` is kept too (a test that searches everything written for a leak). `restore` puts the
 * streams back.
 */
export function captureLogs(options: { keep?: 'json' | 'all' } = {}): {
  lines: string[];
  restore(): void;
} {
  const lines: string[] = [];
  const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
  const capture = (stream: 'stdout' | 'stderr') =>
    ((chunk: unknown, ...rest: unknown[]) => {
      const text = String(chunk);
      const json = text.startsWith('{"level"');
      if (json || options.keep === 'all') lines.push(text);
      if (json) return true;
      return (writes[stream] as (...a: unknown[]) => boolean).call(process[stream], chunk, ...rest);
    }) as typeof process.stdout.write;
  process.stdout.write = capture('stdout');
  process.stderr.write = capture('stderr');
  return {
    lines,
    restore: () => {
      process.stdout.write = writes.stdout;
      process.stderr.write = writes.stderr;
    },
  };
}
