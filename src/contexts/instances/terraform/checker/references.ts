import type { Step } from './ast.js';
import { type Env, instanceType, localType, type Scope, type Typed } from './infer.js';
import type { Site } from './module.js';
import { DYNAMIC, fromSchemaType, NUMBER, STRING, type TfType } from './types.js';

export interface Resolved {
  readonly value: Typed;
  /** How many of the traversal's steps the root used up (`data.type.name` takes two). */
  readonly consumed: number;
}
const resolved = (type: TfType, consumed: number, sensitive = false): Resolved => ({
  value: { type, sensitive },
  consumed,
});

const attrAt = (steps: readonly Step[], i: number): string | undefined => {
  const step = steps[i];
  return step?.kind === 'attr' ? step.name : undefined;
};

type RootResolver = (
  env: Env,
  first: string | undefined,
  steps: readonly Step[],
  scope: Scope,
  site: Site,
) => Resolved | string;

/** Each special first name, and what it resolves to (a string is the problem to report). */
const ROOTS: Readonly<Record<string, RootResolver>> = {
  var: (env, first) => variable(env, first) ?? `reference to undeclared variable "var.${first ?? ''}"`,
  local: (env, first) => {
    const type = first === undefined ? undefined : localType(env, first);
    return type ? { value: type, consumed: 1 } : `reference to undeclared local "local.${first ?? ''}"`;
  },
  data: (env, first, steps, scope, site) =>
    dataSource(env, steps, scope, site) ?? `reference to undeclared data source "data.${first ?? ''}..."`,
  module: (env, first) =>
    first && env.mod.modules.has(first)
      ? resolved(DYNAMIC, 1)
      : `reference to undeclared module "module.${first ?? ''}"`,
  count: (_env, first, _steps, scope) =>
    scope.count && first === 'index' ? resolved(NUMBER, 1) : 'count.index outside a resource with count',
  each: (_env, first, _steps, scope) =>
    scope.each && (first === 'key' || first === 'value')
      ? resolved(DYNAMIC, 1)
      : `each.${first ?? ''} outside a resource with for_each`,
  path: (_env, first) =>
    ['module', 'root', 'cwd'].includes(first ?? '') ? resolved(STRING, 1) : `unknown path.${first ?? ''}`,
  terraform: (_env, first) =>
    first === 'workspace' ? resolved(STRING, 1) : `unknown terraform.${first ?? ''}`,
  self: () => '"self" is only valid in provisioner and connection blocks',
};

/** Resolves the first name of a reference (`var.x`, `local.y`, `aws_lb.z`, `data.t.n`, `count.index`...). */
export function resolveRoot(env: Env, name: string, steps: readonly Step[], scope: Scope, site: Site) {
  const iteration = scope.vars.get(name);
  if (iteration) return resolved(iteration, 0);
  const first = attrAt(steps, 0);
  const result =
    ROOTS[name]?.(env, first, steps, scope, site) ??
    resource(env, name, first, scope, site) ??
    `reference to undeclared resource "${name}.${first ?? ''}"`;
  if (typeof result !== 'string') return result;
  env.problems.add(site, result);
  return undefined;
}

function variable(env: Env, name: string | undefined): Resolved | undefined {
  const decl = name === undefined ? undefined : env.mod.variables.get(name);
  if (!decl) return undefined;
  return resolved(variableType(decl.body.type), 1, decl.body.sensitive === true);
}

/** A variable's type constraint: primitives and collections of them; anything richer is left dynamic. */
export function variableType(constraint: unknown): TfType {
  if (typeof constraint !== 'string') return DYNAMIC;
  const m = /^\s*(list|set|map)\(\s*(string|number|bool)\s*\)\s*$/.exec(constraint);
  if (m) return fromSchemaType([m[1], m[2]]);
  return fromSchemaType(constraint.trim());
}

function resource(env: Env, type: string, name: string | undefined, scope: Scope, site: Site) {
  const key = `${type}.${name ?? ''}`;
  const decl = env.mod.resources.get(key);
  if (!decl) return undefined;
  if (scope.self === key) env.problems.add(site, `"${key}" refers to itself`);
  return resolved(instanceType(env, decl), 1);
}

function dataSource(env: Env, steps: readonly Step[], scope: Scope, site: Site): Resolved | undefined {
  const [type, name] = [attrAt(steps, 0), attrAt(steps, 1)];
  const key = `${type ?? ''}.${name ?? ''}`;
  const decl = env.mod.data.get(key);
  if (!decl || type === undefined || name === undefined) return undefined;
  if (scope.self === `data.${key}`) env.problems.add(site, `"data.${key}" refers to itself`);
  const contract = type === 'terraform_remote_state' ? env.remoteStateOutputs[name] : undefined;
  const output = attrAt(steps, 3);
  if (contract && attrAt(steps, 2) === 'outputs' && output !== undefined && !contract.includes(output)) {
    env.problems.add(
      site,
      `"${output}" is not an output of the "${name}" state (known: ${contract.join(', ')})`,
    );
  }
  return resolved(instanceType(env, decl), 2);
}
