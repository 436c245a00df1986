import { type Env, type Scope, valueType } from './infer.js';
import { at, bodiesOf, isObject, type JsonObject, type Site } from './module.js';
import type { SchemaAttribute, SchemaBlock, SchemaBlockType } from './schema.js';
import { fromSchemaType, mismatch } from './types.js';

/**
 * Checks a block body against its schema: every key is a known attribute or nested block, values have the
 * attribute's type, required attributes and blocks are present, block counts are within bounds.
 * `skip` holds the meta-arguments the caller checks itself.
 */
export function checkBody(
  env: Env,
  body: JsonObject,
  block: SchemaBlock,
  scope: Scope,
  site: Site,
  skip: ReadonlySet<string> = new Set(),
): void {
  for (const [key, value] of Object.entries(body)) {
    if (key !== '//' && !skip.has(key)) checkEntry(env, key, value, block, scope, at(site, key));
  }
  checkRequired(env, body, block, site);
}

function checkEntry(env: Env, key: string, value: unknown, block: SchemaBlock, scope: Scope, site: Site) {
  const attribute = block.attributes?.[key];
  const nested = block.block_types?.[key];
  if (attribute) checkAttribute(env, key, value, attribute, scope, site);
  else if (nested) checkNested(env, value, nested, scope, site);
  else if (key === 'dynamic') env.problems.add(site, 'dynamic blocks are not supported by the checker');
  else env.problems.add(site, `unknown attribute or block "${key}"`);
}

function checkRequired(env: Env, body: JsonObject, block: SchemaBlock, site: Site) {
  for (const [key, attribute] of Object.entries(block.attributes ?? {})) {
    const missing = body[key] === undefined || body[key] === null;
    if (attribute.required && missing) env.problems.add(site, `missing required attribute "${key}"`);
  }
  for (const [key, nested] of Object.entries(block.block_types ?? {})) {
    const needed = (nested.min_items ?? 0) > 0;
    if (needed && body[key] === undefined) env.problems.add(site, `missing required block "${key}"`);
  }
}

function checkAttribute(
  env: Env,
  key: string,
  value: unknown,
  attribute: SchemaAttribute,
  scope: Scope,
  site: Site,
) {
  if (attribute.computed && !attribute.optional && !attribute.required) {
    env.problems.add(site, `"${key}" is read-only (computed by the provider)`);
    return;
  }
  const actual = valueType(env, value, scope, site);
  const problem = mismatch(fromSchemaType(attribute.type), actual.type);
  if (problem) env.problems.add(site, `wrong type: ${problem}`);
}

function checkNested(env: Env, value: unknown, nested: SchemaBlockType, scope: Scope, site: Site) {
  const items = bodiesOf(value);
  const single = nested.nesting_mode === 'single' || nested.nesting_mode === 'group';
  const max = single ? 1 : nested.max_items;
  if (max !== undefined && items.length > max)
    env.problems.add(site, `at most ${max} block(s), got ${items.length}`);
  if (nested.min_items !== undefined && items.length < nested.min_items) {
    env.problems.add(site, `at least ${nested.min_items} block(s), got ${items.length}`);
  }
  for (const [i, item] of items.entries()) {
    const itemSite = Array.isArray(value) ? at(site, i) : site;
    if (isObject(item)) checkBody(env, item, nested.block, scope, itemSite);
    else env.problems.add(itemSite, 'a nested block must be a JSON object (or an array of objects)');
  }
}
