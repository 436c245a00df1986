import type { Node, Step } from './ast.js';
import { type Env, exprType, type Scope, type Typed } from './infer.js';
import type { Site } from './module.js';
import { resolveRoot } from './references.js';
import { DYNAMIC, describe, elementOf, type TfType, unify } from './types.js';

/** References and traversals: `a.b[0].c`, splats, and what each step does to a type. */

const typed = (type: TfType, sensitive = false): Typed => ({ type, sensitive });

export function traversal(env: Env, node: Node, scope: Scope, site: Site): Typed {
  const steps: Step[] = [];
  let base = node;
  while (base.kind === 'attr' || base.kind === 'index') {
    steps.unshift(
      base.kind === 'attr' ? { kind: 'attr', name: base.name } : { kind: 'index', key: base.key },
    );
    base = base.target;
  }
  for (const step of steps) if (step.kind === 'index') exprType(env, step.key, scope, site);
  if (base.kind !== 'variable') return applySteps(env, exprType(env, base, scope, site), steps, site);
  const root = resolveRoot(env, base.name, steps, scope, site);
  return root ? applySteps(env, root.value, steps.slice(root.consumed), site) : typed(DYNAMIC);
}

export function splat(env: Env, node: Extract<Node, { kind: 'splat' }>, scope: Scope, site: Site): Typed {
  const target = exprType(env, node.target, scope, site);
  const each = elementOf(target.type) ?? target.type;
  const result = applySteps(env, typed(each, target.sensitive), node.steps, site);
  return typed({ kind: 'list', elem: result.type }, result.sensitive);
}

/** Follows `.name` and `[key]` steps through a type, reporting attributes the type does not have. */
export function applySteps(env: Env, start: Typed, steps: readonly Step[], site: Site): Typed {
  let current = start;
  for (const step of steps) {
    const next = applyStep(current.type, step);
    if (typeof next === 'string') {
      env.problems.add(site, next);
      return typed(DYNAMIC, current.sensitive);
    }
    current = typed(next.type, current.sensitive || next.sensitive);
  }
  return current;
}

function applyStep(type: TfType, step: Step): Typed | string {
  const label = step.kind === 'attr' ? `.${step.name}` : '[...]';
  const key = step.kind === 'attr' ? step.name : step.key.kind === 'literal' ? step.key.value : undefined;
  switch (type.kind) {
    case 'dynamic':
      return typed(DYNAMIC);
    case 'object':
      return objectStep(type, key);
    case 'map':
      return typed(type.elem);
    case 'list':
      return step.kind === 'attr' ? indexFirst(label, type) : typed(type.elem);
    case 'tuple':
      return step.kind === 'attr' ? indexFirst(label, type) : tupleStep(type, key);
    default:
      return `${label} on a ${describe(type)}`;
  }
}

function objectStep(type: Extract<TfType, { kind: 'object' }>, key: unknown): Typed | string {
  if (typeof key !== 'string') return typed(unify(Object.values(type.attrs)));
  const attr = type.attrs[key];
  if (!attr) return `no attribute "${key}" (has: ${Object.keys(type.attrs).sort().join(', ')})`;
  return typed(attr, type.sensitive?.has(key) ?? false);
}

function tupleStep(type: Extract<TfType, { kind: 'tuple' }>, key: unknown): Typed | string {
  if (typeof key !== 'number') return typed(unify(type.elems));
  const elem = type.elems[key];
  return elem ? typed(elem) : `index ${key} out of range`;
}

const indexFirst = (label: string, type: TfType) =>
  `${label} on a ${describe(type)}: index it first (e.g. [0] or count.index)`;
