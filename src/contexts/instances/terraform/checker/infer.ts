import { type Node, ParseError } from './ast.js';
import { FUNCTIONS } from './functions.js';
import { at, type ModuleDecls, type Problems, type ResourceDecl, type Site } from './module.js';
import { parseTemplate } from './parser.js';
import type { SchemaIndex } from './schema-index.js';
import { splat, traversal } from './steps.js';
import { BOOL, DYNAMIC, elementOf, mismatch, NULL, NUMBER, STRING, type TfType, unify } from './types.js';

/** A value's type, and whether it carries a value the schema marks sensitive. */
export interface Typed {
  readonly type: TfType;
  readonly sensitive: boolean;
}
const typed = (type: TfType, sensitive = false): Typed => ({ type, sensitive });

/** What names mean where an expression sits. */
export interface Scope {
  readonly vars: ReadonlyMap<string, TfType>;
  readonly count: boolean;
  readonly each: boolean;
  /** The resource being checked (`type.name`), to catch self-references. */
  readonly self: string | undefined;
}
export const ROOT_SCOPE: Scope = { vars: new Map(), count: false, each: false, self: undefined };

export interface Env {
  readonly mod: ModuleDecls;
  readonly schemas: SchemaIndex;
  readonly problems: Problems;
  readonly remoteStateOutputs: Readonly<Record<string, readonly string[]>>;
  readonly localTypes: Map<string, Typed | 'pending'>;
}

/** The type of a JSON value in an expression position (strings are templates). Reports what it finds. */
export function valueType(env: Env, value: unknown, scope: Scope, site: Site): Typed {
  if (typeof value === 'string') return templateType(env, value, scope, site);
  if (typeof value === 'number') return typed(NUMBER);
  if (typeof value === 'boolean') return typed(BOOL);
  if (value === null || value === undefined) return typed(NULL);
  if (Array.isArray(value)) {
    const items = value.map((v, i) => valueType(env, v, scope, at(site, i)));
    return typed(
      { kind: 'tuple', elems: items.map((t) => t.type) },
      items.some((t) => t.sensitive),
    );
  }
  const entries = Object.entries(value).map(([k, v]) => [k, valueType(env, v, scope, at(site, k))] as const);
  const attrs = Object.fromEntries(entries.map(([k, t]) => [k, t.type]));
  return typed(
    { kind: 'object', attrs },
    entries.some(([, t]) => t.sensitive),
  );
}

export function templateType(env: Env, text: string, scope: Scope, site: Site): Typed {
  try {
    return exprType(env, parseTemplate(text), scope, site);
  } catch (error) {
    if (!(error instanceof ParseError)) throw error;
    env.problems.add(site, `cannot parse "${text}": ${error.message} (at ${error.position})`);
    return typed(DYNAMIC);
  }
}

/** Every sub-expression is typed (so every reference in it is resolved), then the node's own type. */
export function exprType(env: Env, node: Node, scope: Scope, site: Site): Typed {
  switch (node.kind) {
    case 'literal':
      return typed(literalType(node.value));
    case 'template':
      return template(env, node.parts, scope, site);
    case 'variable':
    case 'attr':
    case 'index':
      return traversal(env, node, scope, site);
    case 'splat':
      return splat(env, node, scope, site);
    case 'call':
      return call(env, node, scope, site);
    case 'tuple': {
      const items = node.items.map((item) => exprType(env, item, scope, site));
      return typed({ kind: 'tuple', elems: items.map((t) => t.type) }, anySensitive(items));
    }
    case 'object':
      return object(env, node, scope, site);
    case 'unary':
    case 'binary':
      return operator(env, node, scope, site);
    case 'conditional': {
      const parts = [node.cond, node.whenTrue, node.whenFalse].map((n) => exprType(env, n, scope, site));
      return typed(unify([parts[1]?.type ?? DYNAMIC, parts[2]?.type ?? DYNAMIC]), anySensitive(parts));
    }
    case 'for':
      return forExpr(env, node, scope, site);
  }
}

const literalType = (value: string | number | boolean | null): TfType =>
  value === null ? NULL : typeof value === 'string' ? STRING : typeof value === 'number' ? NUMBER : BOOL;
const anySensitive = (items: readonly Typed[]) => items.some((t) => t.sensitive);

function template(env: Env, parts: ReadonlyArray<string | Node>, scope: Scope, site: Site): Typed {
  const [only] = parts;
  if (parts.length === 1 && only !== undefined && typeof only !== 'string')
    return exprType(env, only, scope, site);
  const inner = parts.flatMap((part) => (typeof part === 'string' ? [] : [exprType(env, part, scope, site)]));
  return typed(STRING, anySensitive(inner));
}

function call(env: Env, node: Extract<Node, { kind: 'call' }>, scope: Scope, site: Site): Typed {
  const args = node.args.map((arg) => exprType(env, arg, scope, site));
  const fn = FUNCTIONS[node.name];
  if (!fn) {
    env.problems.add(site, `unknown function "${node.name}"`);
    return typed(DYNAMIC, anySensitive(args));
  }
  if (!node.expand && (args.length < fn.min || args.length > fn.max)) {
    env.problems.add(
      site,
      `${node.name}() takes ${fn.min}${fn.max === fn.min ? '' : '+'} arguments, got ${args.length}`,
    );
  }
  return typed(fn.returns(args.map((a) => a.type)), anySensitive(args));
}

function object(env: Env, node: Extract<Node, { kind: 'object' }>, scope: Scope, site: Site): Typed {
  const attrs: Record<string, TfType> = {};
  let sensitive = false;
  let dynamicKeys = false;
  for (const item of node.items) {
    const value = exprType(env, item.value, scope, site);
    sensitive ||= value.sensitive;
    const key = item.key.kind === 'literal' ? String(item.key.value) : undefined;
    if (key !== undefined) attrs[key] = value.type;
    else {
      exprType(env, item.key, scope, site);
      dynamicKeys = true;
    }
  }
  return typed(dynamicKeys ? { kind: 'map', elem: DYNAMIC } : { kind: 'object', attrs }, sensitive);
}

function operator(
  env: Env,
  node: Extract<Node, { kind: 'unary' | 'binary' }>,
  scope: Scope,
  site: Site,
): Typed {
  const operands = node.kind === 'unary' ? [node.operand] : [node.left, node.right];
  const types = operands.map((n) => exprType(env, n, scope, site));
  const logical = node.op === '!' || node.op === '&&' || node.op === '||';
  const numeric = !logical && node.op !== '==' && node.op !== '!=';
  const want = logical ? BOOL : NUMBER;
  if (logical || numeric) {
    for (const t of types) {
      const problem = mismatch(want, t.type);
      if (problem) env.problems.add(site, `operator "${node.op}": ${problem}`);
    }
  }
  const arithmetic = ['+', '-', '*', '/', '%'].includes(node.op) && node.kind === 'binary';
  return typed(arithmetic || (node.kind === 'unary' && node.op === '-') ? NUMBER : BOOL, anySensitive(types));
}

function forExpr(env: Env, node: Extract<Node, { kind: 'for' }>, scope: Scope, site: Site): Typed {
  const collection = exprType(env, node.collection, scope, site);
  const vars = new Map(scope.vars);
  const isMapLike = collection.type.kind === 'map' || collection.type.kind === 'object';
  if (node.keyVar) vars.set(node.keyVar, isMapLike ? STRING : NUMBER);
  vars.set(node.valueVar, elementOf(collection.type) ?? DYNAMIC);
  const inner: Scope = { ...scope, vars };
  if (node.key) exprType(env, node.key, inner, site);
  if (node.cond) exprType(env, node.cond, inner, site);
  const value = exprType(env, node.value, inner, site);
  const type: TfType = node.object ? { kind: 'map', elem: value.type } : { kind: 'list', elem: value.type };
  return typed(type, collection.sensitive || value.sensitive);
}

/** The type of `local.<name>`: inferred from its value once, where it is declared. */
export function localType(env: Env, name: string): Typed | undefined {
  const known = env.localTypes.get(name);
  if (known === 'pending') return typed(DYNAMIC);
  if (known) return known;
  const decl = env.mod.locals.get(name);
  if (!decl) return undefined;
  env.localTypes.set(name, 'pending');
  const result = valueType(env, decl.value, ROOT_SCOPE, decl);
  env.localTypes.set(name, result);
  return result;
}

/** A resource's (or data source's) own type: the schema's object, a list of them under `count`. */
export function instanceType(env: Env, decl: ResourceDecl): TfType {
  const block = env.schemas.block(decl.mode, decl.type);
  const object = block ? env.schemas.objectType(decl.mode, decl.type) : DYNAMIC;
  if ('count' in decl.body) return { kind: 'list', elem: object };
  if ('for_each' in decl.body) return { kind: 'map', elem: object };
  return object;
}
