import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nativeImport } from './native-import.mjs';

/**
 * Each local Lambda function's own instances of the project's modules.
 *
 * In AWS every function is a process of its own: what one function caches (data keys it unwrapped, the projection
 * registry it read, verified tokens, its SDK clients) another never sees, so each makes its own calls — and needs
 * its own grants for them. The local runtime runs every function in one Node process. Imported as is, they would
 * share one instance of every module, and a warm cache of one function would hide another's call from the local
 * IAM enforcement. So a handler module is imported with its function's scope in the URL (`?fn=<name>&runtime=<n>`,
 * a runtime being one start of the local runtime: a new one starts cold), and the hooks in
 * function-scope.hooks.mjs give every project module it reaches (src/, projections/, migrations/) the same scope:
 * a module instance per function and runtime. Packages stay shared (one AWS SDK, whose base client the IAM hook
 * patches); so does the process's environment, which each function's config module reads through a view of
 * its own (function-environment.ts: without the variables only other functions are given).
 *
 * The AsyncLocalStorage scope the LambdaHost opens per invocation (iam/enforcement.ts) is unaffected: it follows
 * the async work whichever module instance does it, and `runtime.runAs` works as before.
 */
export interface FunctionScope {
  /** The function's name in serverless.yml. */
  fn: string;
  /** Which start of the local runtime in this process (1, 2, ...). */
  runtime: number;
}

const SCOPED_FOLDERS = ['src', 'projections', 'migrations'];
const registered = new Set<string>();

/** Registers the hooks for a repository root (once per root and process); tsx's first under vitest. */
export async function installFunctionScopes(root: string): Promise<void> {
  if (registered.has(root)) return;
  if (registered.size === 0 && process.env.VITEST) {
    // Under vitest, Node's loader has no TypeScript hooks (Vite runs the test's own modules): add tsx's, so
    // the handler modules load as they do under `npm start`. Registered before ours: ours sees tsx's answer.
    const { register: registerTsx } = await import('tsx/esm/api');
    registerTsx();
  }
  const roots = SCOPED_FOLDERS.map((folder) => `${pathToFileURL(join(root, folder)).href}/`);
  register('./function-scope.hooks.mjs', import.meta.url, { data: { roots } });
  registered.add(root);
}

/** A module of the repository as one function of one runtime sees it. */
export function scopedModuleUrl(root: string, modulePath: string, scope: FunctionScope): string {
  const url = pathToFileURL(join(root, modulePath));
  url.searchParams.set('fn', scope.fn);
  url.searchParams.set('runtime', String(scope.runtime));
  return url.href;
}

/** Imports a function's handler module in its own scope (after {@link installFunctionScopes}). */
export function importInScope(
  root: string,
  modulePath: string,
  scope: FunctionScope,
): Promise<Record<string, unknown>> {
  if (!registered.has(root)) throw new Error(`installFunctionScopes(${root}) first`);
  return nativeImport(scopedModuleUrl(root, modulePath, scope));
}
