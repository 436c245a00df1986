/** The declarations of one Terraform module (a folder of `*.tf.json` files), collected before anything is checked. */

export type JsonObject = { readonly [key: string]: unknown };
export const isObject = (value: unknown): value is JsonObject =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Where a problem is: the file and a path inside it (`resource.aws_ecs_service.wordpress.cluster`). */
export interface Site {
  readonly file: string;
  readonly path: string;
}
export const at = (site: Site, ...segments: Array<string | number>): Site => ({
  file: site.file,
  path: segments.reduce<string>(
    (path, s) => (typeof s === 'number' ? `${path}[${s}]` : path ? `${path}.${s}` : s),
    site.path,
  ),
});

export class Problems {
  readonly list: string[] = [];
  add(site: Site, message: string): void {
    this.list.push(`${site.file}: ${site.path || '(root)'}: ${message}`);
  }
}

export interface BlockDecl extends Site {
  readonly body: JsonObject;
}
export interface ResourceDecl extends BlockDecl {
  readonly mode: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
}

export interface ModuleDecls {
  readonly resources: Map<string, ResourceDecl>;
  readonly data: Map<string, ResourceDecl>;
  readonly variables: Map<string, BlockDecl>;
  readonly locals: Map<string, Site & { readonly value: unknown }>;
  readonly outputs: Map<string, BlockDecl>;
  readonly modules: Map<string, BlockDecl>;
  readonly providers: Array<BlockDecl & { readonly name: string }>;
  readonly terraform: BlockDecl[];
}

/** Bodies may be given as one object or, where blocks repeat, as an array of objects. */
export const bodiesOf = (value: unknown): unknown[] => (Array.isArray(value) ? value : [value]);

export function collectModule(files: ReadonlyArray<{ name: string; json: JsonObject }>, problems: Problems) {
  const mod: ModuleDecls = {
    resources: new Map(),
    data: new Map(),
    variables: new Map(),
    locals: new Map(),
    outputs: new Map(),
    modules: new Map(),
    providers: [],
    terraform: [],
  };
  for (const { name, json } of files) {
    for (const [key, value] of Object.entries(json)) {
      collectTopLevel(mod, key, value, { file: name, path: key }, problems);
    }
  }
  return mod;
}

function collectTopLevel(mod: ModuleDecls, key: string, value: unknown, site: Site, problems: Problems) {
  switch (key) {
    case '//':
      return;
    case 'terraform':
      return eachBody(value, site, problems, (body, s) => mod.terraform.push({ ...s, body }));
    case 'provider':
      return eachNamed(value, site, problems, (name, v, s) =>
        eachBody(v, s, problems, (body, b) => mod.providers.push({ ...b, name, body })),
      );
    case 'locals':
      return eachBody(value, site, problems, (body, s) => collectLocals(mod, body, s, problems));
    case 'variable':
    case 'output':
    case 'module': {
      const target = key === 'variable' ? mod.variables : key === 'output' ? mod.outputs : mod.modules;
      return eachNamed(value, site, problems, (name, v, s) => declare(target, name, v, s, problems));
    }
    case 'resource':
    case 'data':
      return eachNamed(value, site, problems, (type, byName, s) =>
        eachNamed(byName, s, problems, (name, body, b) => {
          if (!isObject(body)) return problems.add(b, 'a block body must be an object');
          const target = key === 'resource' ? mod.resources : mod.data;
          if (target.has(`${type}.${name}`)) return problems.add(b, `duplicate ${key} "${type}.${name}"`);
          target.set(`${type}.${name}`, { ...b, mode: key, type, name, body });
        }),
      );
    default:
      problems.add(site, `unsupported top-level block "${key}"`);
  }
}

function collectLocals(mod: ModuleDecls, body: JsonObject, site: Site, problems: Problems) {
  for (const [name, value] of Object.entries(body)) {
    if (name === '//') continue;
    const s = at(site, name);
    if (mod.locals.has(name)) problems.add(s, `duplicate local "${name}"`);
    else mod.locals.set(name, { ...s, value });
  }
}

function declare(
  target: Map<string, BlockDecl>,
  name: string,
  value: unknown,
  site: Site,
  problems: Problems,
) {
  if (!isObject(value)) return problems.add(site, 'a block body must be an object');
  if (target.has(name)) return problems.add(site, `duplicate declaration "${name}"`);
  target.set(name, { ...site, body: value });
}

function eachNamed(
  value: unknown,
  site: Site,
  problems: Problems,
  fn: (name: string, v: unknown, s: Site) => void,
) {
  if (!isObject(value)) return problems.add(site, 'expected an object of named blocks');
  for (const [name, v] of Object.entries(value)) if (name !== '//') fn(name, v, at(site, name));
}

function eachBody(value: unknown, site: Site, problems: Problems, fn: (body: JsonObject, s: Site) => void) {
  const bodies = bodiesOf(value);
  for (const [i, body] of bodies.entries()) {
    const s = bodies.length > 1 || Array.isArray(value) ? at(site, i) : site;
    if (isObject(body)) fn(body, s);
    else problems.add(s, 'a block body must be an object');
  }
}
