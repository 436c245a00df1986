import { describe, expect, it } from 'vitest';
import { importInScope, installFunctionScopes, scopedModuleUrl } from './function-scope.js';

const root = process.cwd();

describe('function scopes: each local function has its own instances of the project modules', () => {
  it('gives two functions two instances of a module and everything it imports from the project, one to each', async () => {
    await installFunctionScopes(root);
    const load = (fn: string, runtime = 1) =>
      importInScope(root, 'src/platform/http/paging.ts', { fn, runtime });
    const [a, again, b, later] = await Promise.all([load('a'), load('a'), load('b'), load('a', 2)]);
    expect(again).toBe(a);
    expect(b).not.toBe(a);
    expect(later).not.toBe(a); // another start of the runtime starts cold
    // paging.ts's own imports (the HTTP kit's problem types, reached through http-handler.ts) are scoped too
    const problemOf = (fn: string) => importInScope(root, 'src/platform/http/problem.ts', { fn, runtime: 1 });
    expect((await problemOf('a')).HttpError).not.toBe((await problemOf('b')).HttpError);
    // ...while packages stay one instance for the process (one zod, one AWS SDK)
    const zodClass = (module: Record<string, unknown>) => (module.Limit as object).constructor;
    expect(zodClass(a)).toBe(zodClass(b));
  });

  it('names the scope in the module URL, where stack traces and the hooks read it', () => {
    expect(scopedModuleUrl('/repo', 'src/h.ts', { fn: 'tenantApi', runtime: 3 })).toBe(
      'file:///repo/src/h.ts?fn=tenantApi&runtime=3',
    );
  });
});
