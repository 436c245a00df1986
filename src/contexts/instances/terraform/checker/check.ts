import { SHARED_OUTPUT_NAMES, SHARED_STATE } from '../shared-infrastructure.js';
import {
  checkLocals,
  checkOutputs,
  checkProviders,
  checkResources,
  checkTerraformBlocks,
  checkVariablesAndModules,
} from './check-blocks.js';
import type { Env } from './infer.js';
import { bodiesOf, collectModule, isObject, type JsonObject, Problems } from './module.js';
import { PROVIDERS_SCHEMA } from './schema.js';
import { SchemaIndex } from './schema-index.js';

export interface CheckOptions {
  /** Outputs each `terraform_remote_state` (by name) is known to have; references to others are errors. */
  readonly remoteStateOutputs?: Readonly<Record<string, readonly string[]>>;
}

/**
 * What `terraform validate` would catch, offline and without a Terraform binary: every reference resolves,
 * every attribute is in the checked-in provider schema with the right type, required ones are set, providers
 * are pinned to the schema's versions, no output carries a secret. `files` maps paths to contents; each folder
 * is checked as one module (so a whole repository can be passed). Returns one line per problem, none if clean.
 */
export function checkTerraform(
  files: Readonly<Record<string, string>>,
  options: CheckOptions = {},
): string[] {
  const problems = new Problems();
  const folders = new Map<string, Array<{ name: string; json: JsonObject }>>();
  for (const path of Object.keys(files).sort()) {
    const content = files[path] ?? '';
    if (path.endsWith('.tf')) {
      problems.add({ file: path, path: '' }, 'HCL native syntax cannot be checked offline; write *.tf.json');
      continue;
    }
    if (!path.endsWith('.tf.json')) continue;
    const json = parseJson(content, path, problems);
    if (!json) continue;
    const folder = path.includes('/') ? path.slice(0, path.lastIndexOf('/')) : '.';
    folders.set(folder, [...(folders.get(folder) ?? []), { name: path, json }]);
  }
  for (const moduleFiles of folders.values()) checkModule(moduleFiles, problems, options);
  return problems.list;
}

function parseJson(content: string, path: string, problems: Problems): JsonObject | undefined {
  try {
    const json: unknown = JSON.parse(content);
    if (isObject(json)) return json;
    problems.add({ file: path, path: '' }, 'the file must hold one JSON object');
  } catch (error) {
    problems.add({ file: path, path: '' }, `invalid JSON: ${(error as Error).message}`);
  }
  return undefined;
}

function checkModule(
  files: Array<{ name: string; json: JsonObject }>,
  problems: Problems,
  options: CheckOptions,
) {
  const mod = collectModule(files, problems);
  const env: Env = {
    mod,
    schemas: new SchemaIndex(PROVIDERS_SCHEMA, providerSources(mod.terraform.map((t) => t.body))),
    problems,
    remoteStateOutputs: options.remoteStateOutputs ?? { [SHARED_STATE]: SHARED_OUTPUT_NAMES },
    localTypes: new Map(),
  };
  checkTerraformBlocks(env);
  checkProviders(env);
  checkResources(env);
  checkLocals(env);
  checkOutputs(env);
  checkVariablesAndModules(env);
}

/** Local provider name -> source, from every `required_providers` of the module. */
function providerSources(terraformBodies: readonly JsonObject[]): Map<string, string> {
  const sources = new Map<string, string>();
  for (const body of terraformBodies) {
    for (const required of bodiesOf(body.required_providers)) {
      if (!isObject(required)) continue;
      for (const [name, requirement] of Object.entries(required)) {
        if (isObject(requirement) && typeof requirement.source === 'string')
          sources.set(name, requirement.source);
      }
    }
  }
  return sources;
}
