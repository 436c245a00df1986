// Node module customization hooks (module.register) of the local runtime: each Lambda function gets its own
// instances of the project's modules, as each function is its own process in AWS. A handler module is imported
// with a scope in its URL (`?fn=<function>&runtime=<n>`, src/platform/local/function-scope.ts); every project
// module it reaches (under the roots: src/, projections/, migrations/) is resolved with the same scope, so it is
// a module of its own for that function: its caches (data keys, the projection registry, verified tokens, the
// adapters of src/platform/wiring.ts) are that function's alone. Packages (node_modules) keep their one URL:
// shared, as the SDK's base client must be for the local IAM enforcement (iam/enforcement.ts) to see every call.
// Plain JavaScript: hooks run before (and beside) any TypeScript loader; chained after tsx's, they see its answer.

/** The query parameters that make a function's scope, carried from a module to what it imports. */
const SCOPE = ['fn', 'runtime'];
/** file: URLs of the folders whose modules are scoped (`<root>/src/`, ...), given by `initialize`. */
let roots = [];

export function initialize(data) {
  roots = data.roots;
}

/** The scope parameters of a module URL, if it has any. */
function scopeOf(url) {
  if (url === undefined || !url.startsWith('file:')) return undefined;
  const query = url.indexOf('?');
  if (query === -1) return undefined;
  const params = new URLSearchParams(url.slice(query + 1).split('#')[0]);
  const scope = SCOPE.flatMap((name) => (params.has(name) ? [[name, params.get(name)]] : []));
  return scope.length > 0 ? scope : undefined;
}

const scoped = (url) =>
  url.startsWith('file:') && !url.includes('/node_modules/') && roots.some((root) => url.startsWith(root));

export async function resolve(specifier, context, nextResolve) {
  const resolved = await nextResolve(specifier, context);
  const scope = scopeOf(context.parentURL);
  if (scope === undefined || !scoped(resolved.url)) return resolved;
  const url = new URL(resolved.url);
  for (const [name, value] of scope) url.searchParams.set(name, value);
  return { ...resolved, url: url.href };
}
