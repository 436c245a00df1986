import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FunctionTimeoutError, LambdaHost } from './lambda-host.js';
import type { LocalWiring } from './wiring.js';

/** A repository of one handler module: it answers with what the context says of the time left, or hangs. */
function host(timeoutSeconds: number): LambdaHost {
  const root = mkdtempSync(join(tmpdir(), 'bbws-lambda-host-'));
  mkdirSync(join(root, 'src'));
  writeFileSync(
    join(root, 'src', 'handler.mjs'),
    `export const handler = async (event, context) => {
       const first = context.getRemainingTimeInMillis();
       await new Promise((resolve) => setTimeout(resolve, event.waitMs));
       return { first, later: context.getRemainingTimeInMillis() };
     };`,
  );
  const fn = {
    name: 'fn',
    module: 'src/handler.mjs',
    exportName: 'handler',
    environment: {},
    timeoutSeconds,
  };
  const wiring: LocalWiring = {
    functions: [fn],
    ...{ streams: [], routes: [], rules: [], queueRules: [], busRules: [], sqs: [] },
    ...{ queues: {}, buses: {}, environment: {} },
  };
  return new LambdaHost(root, wiring);
}

describe('LambdaHost: the time an invocation has, as Lambda gives it', () => {
  it("counts getRemainingTimeInMillis down from the function's timeout", async () => {
    const answer = (await host(3).invoker('fn')({ waitMs: 300 })) as { first: number; later: number };
    expect(answer.first).toBeLessThanOrEqual(3000);
    expect(answer.first).toBeGreaterThan(2500);
    expect(answer.first - answer.later).toBeGreaterThanOrEqual(290);
  });

  it('ends an invocation still running at the timeout with an error, as Lambda does', async () => {
    const invoke = host(1).invoker('fn');
    const started = Date.now();
    const error = await invoke({ waitMs: 5000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FunctionTimeoutError);
    expect(String(error)).toBe('FunctionTimeoutError: Task timed out after 1.00 seconds');
    expect(Date.now() - started).toBeLessThan(2500);
  });
});
