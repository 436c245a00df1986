import { randomUUID } from 'node:crypto';
import { installFunctionEnvironments } from './function-environment.js';
import { importInScope, installFunctionScopes } from './function-scope.js';
import { type FunctionRole, runAs } from './iam/enforcement.js';
import type { LocalWiring } from './wiring.js';

export type Invoke = (event: unknown) => Promise<unknown>;

/** Hosts started in this process: each is a new start of the local runtime, whose functions start cold. */
let hosts = 0;

/**
 * Loads each function's handler module once and calls it as Lambda would, with a minimal context: its
 * getRemainingTimeInMillis counts down from the function's timeout, at which the invocation fails. Each function
 * has its own instances of the project's modules (function-scope.ts), as each is its own process in AWS: no
 * function's cache hides another's call; and its own environment (function-environment.ts). Given roles, each invocation (its module's first load included) runs with
 * its function's role: every SDK call the handler makes while serving it is checked against that role
 * (iam/enforcement.ts), as in AWS.
 */
export class LambdaHost {
  private readonly handlers = new Map<
    string,
    Promise<(event: unknown, context: unknown) => Promise<unknown>>
  >();
  private readonly runtime = ++hosts;

  constructor(
    private readonly root: string,
    private readonly wiring: LocalWiring,
    private readonly roles?: ReadonlyMap<string, FunctionRole>,
  ) {
    const missing = wiring.functions.filter((f) => roles && !roles.has(f.name)).map((f) => f.name);
    if (missing.length > 0) throw new Error(`no execution role for ${missing.join(', ')}`);
    // each function reads only its own variables, as in AWS (function-environment.ts)
    installFunctionEnvironments(this.runtime, wiring);
  }

  /** Runs `body` with `name`'s role (as its invocations and its event source mappings do); as is without roles. */
  runAs<T>(name: string, body: () => T, options: { expectDenials?: boolean } = {}): T {
    const role = this.roles?.get(name);
    if (!this.wiring.functions.some((f) => f.name === name)) throw new Error(`no function ${name}`);
    return role ? runAs({ role, expectDenials: options.expectDenials === true }, body) : body();
  }

  invoker(name: string): Invoke {
    const fn = this.wiring.functions.find((f) => f.name === name);
    if (!fn) throw new Error(`no function ${name} in serverless.yml`);
    return (event) =>
      this.runAs(name, async () => {
        let handler = this.handlers.get(name);
        if (!handler) {
          const scope = { fn: name, runtime: this.runtime };
          handler = installFunctionScopes(this.root)
            .then(() => importInScope(this.root, fn.module, scope))
            .then((module) => {
              const exported = module[fn.exportName];
              if (typeof exported !== 'function')
                throw new Error(`${fn.module} exports no function ${fn.exportName}`);
              return exported as (event: unknown, context: unknown) => Promise<unknown>;
            });
          this.handlers.set(name, handler);
        }
        const run = await handler;
        // Lambda's clock starts once the function is initialised, and stops it at the function's timeout
        const timeoutMs = fn.timeoutSeconds * 1000;
        const endsAt = Date.now() + timeoutMs;
        const context = {
          functionName: name,
          awsRequestId: randomUUID(),
          getRemainingTimeInMillis: () => Math.max(0, endsAt - Date.now()),
          callbackWaitsForEmptyEventLoop: false,
        };
        return timedOut(run(event, context), timeoutMs, fn.timeoutSeconds);
      });
  }
}

/** Lambda's answer to an invocation still running at the function's timeout (an error: the caller retries). */
export class FunctionTimeoutError extends Error {
  override readonly name = 'FunctionTimeoutError';
}

/**
 * The invocation's result, or at the timeout a FunctionTimeoutError, as Lambda ends it. Lambda then stops the
 * process; here the handler's work cannot be stopped and goes on unawaited, its result ignored.
 */
async function timedOut<T>(work: Promise<T>, timeoutMs: number, seconds: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new FunctionTimeoutError(`Task timed out after ${seconds.toFixed(2)} seconds`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
