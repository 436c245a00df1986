import { type Node, ParseError } from './ast.js';
import { type Env, type Scope, valueType } from './infer.js';
import { at, isObject, type ResourceDecl, type Site } from './module.js';
import { parseExpression } from './parser.js';
import type { SchemaBlock } from './schema.js';
import { mismatch, NUMBER } from './types.js';

/** Meta-arguments of resources and data sources, checked here rather than against the provider schema. */
export const META_ARGUMENTS = new Set(['count', 'for_each', 'depends_on', 'provider', 'lifecycle']);

export function checkMeta(env: Env, decl: ResourceDecl, block: SchemaBlock | undefined, scope: Scope): void {
  const { body } = decl;
  if ('count' in body && 'for_each' in body) env.problems.add(decl, 'count and for_each are exclusive');
  if ('count' in body) {
    const site = at(decl, 'count');
    const problem = mismatch(NUMBER, valueType(env, body.count, { ...scope, count: false }, site).type);
    if (problem) env.problems.add(site, `wrong type: ${problem}`);
  }
  if ('for_each' in body) valueType(env, body.for_each, { ...scope, each: false }, at(decl, 'for_each'));
  if ('depends_on' in body) checkDependsOn(env, body.depends_on, at(decl, 'depends_on'));
  if ('provider' in body) checkProviderRef(env, body.provider, at(decl, 'provider'));
  if ('lifecycle' in body) checkLifecycle(env, body.lifecycle, block, scope, at(decl, 'lifecycle'));
}

/** A bare reference (JSON syntax: `"aws_iam_role.task"`, no `${}`) parsed, or a reported problem. */
function bareExpression(env: Env, value: unknown, site: Site): Node | undefined {
  if (typeof value !== 'string') {
    env.problems.add(site, 'expected a string holding a reference');
    return undefined;
  }
  try {
    return parseExpression(value);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    env.problems.add(site, `cannot parse "${value}": ${error.message}`);
    return undefined;
  }
}

/** The address a bare reference names: `type.name`, `data.type.name` or `module.name`. */
function addressOf(node: Node): string[] | undefined {
  const names: string[] = [];
  let current = node;
  while (current.kind === 'attr') {
    names.unshift(current.name);
    current = current.target;
  }
  return current.kind === 'variable' ? [current.name, ...names] : undefined;
}

export function checkDependsOn(env: Env, value: unknown, site: Site): void {
  if (!Array.isArray(value)) {
    env.problems.add(site, 'depends_on must be an array of references');
    return;
  }
  for (const [i, entry] of value.entries()) {
    const node = bareExpression(env, entry, at(site, i));
    if (!node) continue;
    const parts = addressOf(node);
    if (!parts || !referencesDeclared(env, parts)) {
      env.problems.add(
        at(site, i),
        `depends_on entry "${String(entry)}" is not a declared resource, data source or module`,
      );
    }
  }
}

function referencesDeclared(env: Env, [first, second, third]: string[]): boolean {
  if (first === 'data') return env.mod.data.has(`${second}.${third}`);
  if (first === 'module') return env.mod.modules.has(second ?? '') && third === undefined;
  return env.mod.resources.has(`${first}.${second}`) && third === undefined;
}

function checkProviderRef(env: Env, value: unknown, site: Site): void {
  const [name, alias] = typeof value === 'string' ? value.split('.') : [];
  const configured = env.mod.providers.some(
    (p) => p.name === name && (alias === undefined || p.body.alias === alias),
  );
  if (!configured) env.problems.add(site, `provider "${String(value)}" is not configured in this module`);
}

function checkLifecycle(
  env: Env,
  value: unknown,
  block: SchemaBlock | undefined,
  scope: Scope,
  site: Site,
): void {
  if (!isObject(value)) {
    env.problems.add(site, 'lifecycle must be an object');
    return;
  }
  for (const [key, entry] of Object.entries(value))
    checkLifecycleArgument(env, key, entry, block, scope, at(site, key));
}

function checkLifecycleArgument(
  env: Env,
  key: string,
  entry: unknown,
  block: SchemaBlock | undefined,
  scope: Scope,
  site: Site,
): void {
  switch (key) {
    case 'create_before_destroy':
    case 'prevent_destroy':
      if (typeof entry !== 'boolean') env.problems.add(site, 'expected a literal bool');
      return;
    case 'ignore_changes':
      checkIgnoreChanges(env, entry, block, site);
      return;
    case 'replace_triggered_by':
      if (!Array.isArray(entry)) env.problems.add(site, 'expected an array of references');
      else for (const [i, ref] of entry.entries()) valueType(env, `\${${String(ref)}}`, scope, at(site, i));
      return;
    default:
      env.problems.add(site, `unsupported lifecycle argument "${key}"`);
  }
}

function checkIgnoreChanges(env: Env, value: unknown, block: SchemaBlock | undefined, site: Site): void {
  if (value === 'all') return;
  if (!Array.isArray(value)) {
    env.problems.add(site, 'ignore_changes must be "all" or an array of attributes');
    return;
  }
  for (const [i, entry] of value.entries()) {
    const node = bareExpression(env, entry, at(site, i));
    const first = node && addressOf(node)?.[0];
    const known = first !== undefined && (block?.attributes?.[first] ?? block?.block_types?.[first]);
    if (node && block && !known)
      env.problems.add(at(site, i), `ignore_changes names unknown attribute "${String(entry)}"`);
  }
}
