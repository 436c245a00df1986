import { FUNCTION_ENVIRONMENT } from '#src/platform/config/config.js';
import type { LocalWiring } from './wiring.js';

/**
 * Each local function's own environment. In AWS a variable of one function's environment (not the provider's) is
 * in no other function's configuration: the stack's secrets are given only to the functions that use them
 * (src/platform/infra/stack-secrets.ts), a context's settings only to its functions. The local runtime keeps one
 * process environment for all of them; its config module, of which each function has its own instance
 * (function-scope.ts), reads it through this view (config.ts, `functionEnvironment`): the process's environment
 * without the variables other functions' templates give them and this function's does not. So a function that
 * uses a secret it was not given fails locally as it would in AWS. Code outside a function (tests, the CLI)
 * reads the process's environment as is.
 */

/** Per function: the variables it does not have (another function's own, not its own nor the provider's). */
export function withheldVariables(wiring: LocalWiring): Map<string, ReadonlySet<string>> {
  const shared = new Set(wiring.sharedVariables ?? []);
  const own = wiring.functions.flatMap((f) => f.variables ?? []).filter((name) => !shared.has(name));
  return new Map(
    wiring.functions.map((f) => [f.name, new Set(own.filter((name) => !(f.variables ?? []).includes(name)))]),
  );
}

/** runtime (a start of the local runtime: function-scope.ts) -> function -> what it does not have */
const withheld = new Map<string, Map<string, ReadonlySet<string>>>();

function view(moduleUrl: string): NodeJS.ProcessEnv | undefined {
  const query = new URL(moduleUrl).searchParams;
  const hidden = withheld.get(query.get('runtime') ?? '')?.get(query.get('fn') ?? '');
  if (!hidden) return undefined;
  return Object.fromEntries(Object.entries(process.env).filter(([name]) => !hidden.has(name)));
}

/** Gives the functions of one runtime their own environments (the LambdaHost, as it starts); undone by the result. */
export function installFunctionEnvironments(runtime: number, wiring: LocalWiring): () => void {
  withheld.set(String(runtime), withheldVariables(wiring));
  (globalThis as { [FUNCTION_ENVIRONMENT]?: typeof view })[FUNCTION_ENVIRONMENT] = view;
  return () => void withheld.delete(String(runtime));
}
