import { providerAddress, SCHEMA_VERSIONS } from '../versions.js';
import { checkBody } from './body.js';
import { type Env, localType, ROOT_SCOPE, type Scope, valueType } from './infer.js';
import { checkDependsOn, checkMeta, META_ARGUMENTS } from './meta.js';
import { at, isObject, type JsonObject, type Site } from './module.js';
import { variableType } from './references.js';
import { mismatch } from './types.js';

const EXACT_VERSION = /^=?\s*(\d+\.\d+\.\d+)$/;

/** `terraform` blocks: pinned providers whose versions match the schema, literal backend settings. */
export function checkTerraformBlocks(env: Env): void {
  for (const decl of env.mod.terraform) {
    for (const [key, value] of Object.entries(decl.body))
      checkTerraformSetting(env, key, value, at(decl, key));
  }
}

function checkTerraformSetting(env: Env, key: string, value: unknown, site: Site): void {
  switch (key) {
    case '//':
      return;
    case 'required_version':
      if (typeof value !== 'string') env.problems.add(site, 'required_version must be a string');
      return;
    case 'required_providers':
      checkRequiredProviders(env, value, site);
      return;
    case 'backend':
      checkBackend(env, value, site);
      return;
    default:
      env.problems.add(site, `unsupported terraform setting "${key}"`);
  }
}

function checkRequiredProviders(env: Env, value: unknown, site: Site): void {
  if (!isObject(value)) {
    env.problems.add(site, 'required_providers must be an object');
    return;
  }
  for (const [name, requirement] of Object.entries(value)) {
    const problem = pinProblem(requirement);
    if (problem) env.problems.add(at(site, name), problem);
  }
}

/** Providers are pinned to one exact version, the one providers-schema.json was transcribed for. */
function pinProblem(requirement: unknown): string | undefined {
  if (
    !isObject(requirement) ||
    typeof requirement.source !== 'string' ||
    typeof requirement.version !== 'string'
  ) {
    return 'needs a literal "source" and "version"';
  }
  const pinned = EXACT_VERSION.exec(requirement.version)?.[1];
  const schemaVersion = SCHEMA_VERSIONS[providerAddress(requirement.source)];
  if (!pinned) return `version "${requirement.version}" is not pinned to one exact version`;
  if (schemaVersion === undefined) return `no checked-in schema for "${requirement.source}"`;
  if (pinned !== schemaVersion) {
    return `pinned ${pinned} but providers-schema.json describes ${schemaVersion}: review the schema`;
  }
  return undefined;
}

const INTERPOLATION = /\$\{/;

function checkBackend(env: Env, value: unknown, site: Site): void {
  if (!isObject(value) || Object.keys(value).length !== 1) env.problems.add(site, 'exactly one backend type');
  else if (INTERPOLATION.test(JSON.stringify(value)))
    env.problems.add(site, 'backend settings cannot use interpolations');
}

/** Provider configurations: declared in required_providers, settings per the provider's schema. */
export function checkProviders(env: Env): void {
  for (const decl of env.mod.providers) {
    const block = env.schemas.providerBlock(decl.name);
    if (!block) {
      env.problems.add(
        decl,
        `provider "${decl.name}" is not in required_providers or has no checked-in schema`,
      );
      continue;
    }
    checkBody(env, decl.body, block, ROOT_SCOPE, decl, new Set(['alias']));
  }
}

/** Resources and data sources: known types, attributes per schema, meta-arguments. */
export function checkResources(env: Env): void {
  for (const decl of [...env.mod.resources.values(), ...env.mod.data.values()]) {
    const provider = env.schemas.providerOf(decl.type);
    if (!env.schemas.address(provider)) {
      env.problems.add(decl, `provider "${provider}" of ${decl.type} is not in required_providers`);
      continue;
    }
    const block = env.schemas.block(decl.mode, decl.type);
    const scope: Scope = {
      vars: new Map(),
      count: 'count' in decl.body,
      each: 'for_each' in decl.body,
      self: decl.mode === 'data' ? `data.${decl.type}.${decl.name}` : `${decl.type}.${decl.name}`,
    };
    checkMeta(env, decl, block, scope);
    if (block) checkBody(env, decl.body, block, scope, decl, META_ARGUMENTS);
    else env.problems.add(decl, `${decl.mode} type "${decl.type}" is not in providers-schema.json`);
  }
}

/** Every local is typed (its references resolved) even if nothing uses it. */
export function checkLocals(env: Env): void {
  for (const name of env.mod.locals.keys()) localType(env, name);
}

const OUTPUT_KEYS = new Set(['value', 'description', 'sensitive', 'depends_on']);

/**
 * Outputs: a value is required, and it must not carry a value the schema marks sensitive, even with
 * `sensitive = true` (outputs are kept in state and printed by `terraform output -json`).
 */
export function checkOutputs(env: Env): void {
  for (const [name, decl] of env.mod.outputs) {
    checkKeys(env, decl.body, OUTPUT_KEYS, decl);
    if (!('value' in decl.body)) env.problems.add(decl, 'missing required attribute "value"');
    const value = valueType(env, decl.body.value, ROOT_SCOPE, at(decl, 'value'));
    if (value.sensitive) env.problems.add(at(decl, 'value'), `output "${name}" would expose a secret value`);
    if ('depends_on' in decl.body) checkDependsOn(env, decl.body.depends_on, at(decl, 'depends_on'));
  }
}

const VARIABLE_KEYS = new Set(['type', 'default', 'description', 'sensitive', 'nullable', 'validation']);

export function checkVariablesAndModules(env: Env): void {
  for (const decl of env.mod.variables.values()) {
    checkKeys(env, decl.body, VARIABLE_KEYS, decl);
    if (!('default' in decl.body)) continue;
    const actual = valueType(env, decl.body.default, ROOT_SCOPE, at(decl, 'default'));
    const problem = mismatch(variableType(decl.body.type), actual.type);
    if (problem) env.problems.add(at(decl, 'default'), `wrong type: ${problem}`);
  }
  for (const decl of env.mod.modules.values()) {
    if (typeof decl.body.source !== 'string') env.problems.add(decl, 'a module needs a literal "source"');
    for (const [key, value] of Object.entries(decl.body)) checkModuleArgument(env, key, value, at(decl, key));
  }
}

function checkModuleArgument(env: Env, key: string, value: unknown, site: Site): void {
  if (key === 'depends_on') checkDependsOn(env, value, site);
  else if (key !== 'source' && key !== 'version' && key !== '//') valueType(env, value, ROOT_SCOPE, site);
}

function checkKeys(env: Env, body: JsonObject, allowed: ReadonlySet<string>, site: Site): void {
  for (const key of Object.keys(body)) {
    if (key !== '//' && !allowed.has(key)) env.problems.add(at(site, key), `unknown attribute "${key}"`);
  }
}
