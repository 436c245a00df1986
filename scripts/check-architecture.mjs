#!/usr/bin/env node
// Architecture check, on the TypeScript parser (every import form the language has, wherever it sits in a line):
// 1. The pure core (the platform's domain kernel, every context's domain and Terraform generator, projections,
//    migrations) must not reach I/O: no file reachable from it may import the AWS SDK, Powertools, octokit,
//    isomorphic-git or a Node built-in.
// 2. One room per bounded context: a file of src/contexts/<a> (or projections/<a>, migrations/<a>) may reach
//    another context <b> only through src/contexts/<b>/index.ts — directly or through any module in between (a
//    platform module re-exporting <b>'s internals is the same reach).
// 3. The platform knows no context: a file of src/platform may import src/contexts/** only if it is one of the
//    composition roots below, and then only the lists (src/contexts/index.ts, catalogue.ts, projections.ts) or a
//    context's index.ts.
// And everywhere it reads (src, projections, migrations: .ts, .mts, .cts, .js, .mjs, .cjs; tests excepted) a
// module must name what it loads: an import() or require() of a computed specifier, createRequire, eval and
// new Function are refused (no check could follow them), except in the local runtime, which loads each
// function's handler by the path the packaged template gives.
// Relative and `#src/*`-style subpath imports are followed. Exits 1 listing each violation with its import chain.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

const root = resolve(process.env.ARCH_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..'));

/** Rule 1: what the pure core may not reach. */
const FORBIDDEN = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@aws-lambda-powertools\//,
  /^@octokit\//,
  /^isomorphic-git/,
  /^node:/,
];
const builtins = new Set(builtinModules);
/** Rule 1: the pure core's roots; in a context, its domain and generators that must stay deterministic. */
const PURE_FOLDERS = ['domain', 'terraform'];

/**
 * Rule 3: the composition roots, the only platform modules that may import the contexts (their lists, or a
 * context's index.ts): where the platform is put together with every context. Nothing else of the platform knows
 * them, directly or through a module in between (a test fixture, say).
 */
const COMPOSITION_ROOTS = [
  // the wiring modules: each function's adapters, built from the config (the event catalogue, the projections,
  // the contexts' personal-data handlers): src/platform/wiring.ts and every *-wiring.ts
  /^src\/platform\/(?:.+\/)?(?:[a-z-]+-)?wiring\.ts$/,
  // the platform's Lambda entry points: each is the root of its function's module graph
  /^src\/platform\/handlers\//,
  // what the stack deploys: every context's tables, queues, rules, functions and routes
  /^src\/platform\/infra\/app\.ts$/,
  // the tools: the operators' CLI (replays, rebuilds over every context), the local runtime (their stand-ins)
  /^src\/platform\/(?:cli|local)\//,
];
const CONTEXT_LISTS = ['src/contexts/index.ts', 'src/contexts/catalogue.ts', 'src/contexts/projections.ts'];

/** Where a module may load what it computes at run time (the local runtime: handlers by the template's paths). */
const DYNAMIC_LOADING_ALLOWED = ['src/platform/local/'];

/** package.json "imports": `#src/x.js` -> `src/x.js` (the same mapping Node, tsx, esbuild and vitest use). */
const SUBPATHS = {
  '#src/': 'src/',
  '#projections/': 'projections/',
  '#migrations/': 'migrations/',
  '#test/': 'test/',
};
const SOURCE = /\.(ts|mts|cts|js|mjs|cjs)$/;
const TEST = /\.test\.(ts|mts|cts|js|mjs|cjs)$/;

const toPosix = (path) => path.split(sep).join('/');
const rel = (file) => toPosix(relative(root, file));
const under = (file, prefixes) =>
  prefixes.some((p) => (p.endsWith('/') ? rel(file).startsWith(p) : rel(file) === p));

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules') return [];
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return SOURCE.test(name) && !TEST.test(name) && !name.endsWith('.d.ts') ? [path] : [];
  });
}

const SCRIPT_KIND = {
  ts: ts.ScriptKind.TS,
  mts: ts.ScriptKind.TS,
  cts: ts.ScriptKind.TS,
  js: ts.ScriptKind.JS,
  mjs: ts.ScriptKind.JS,
  cjs: ts.ScriptKind.JS,
};

const literal = (node) =>
  node !== undefined && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node))
    ? node.text
    : undefined;

/** The callee's name when it is `require`, `x.require` or `createRequire(...)` (a require function). */
function requireCall(call) {
  const callee = call.expression;
  if (ts.isIdentifier(callee) && callee.text === 'require') return 'require()';
  if (ts.isPropertyAccessExpression(callee) && callee.name.text === 'require') return 'require()';
  if (ts.isCallExpression(callee) && /createRequire$/.test(callee.expression.getText()))
    return 'createRequire()()';
  return undefined;
}

/** The module a declaration names: import/export ... from, import x = require(...), import('...') types. */
function declaredSpecifier(node) {
  if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) return literal(node.moduleSpecifier);
  if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
    return literal(node.moduleReference.expression);
  }
  if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) return literal(node.argument.literal);
  return undefined;
}

/** A call that loads a module: `{ specifier }` when it names it, `{ refused }` when it computes it or runs code. */
function callFinding(node) {
  if (!ts.isCallExpression(node)) return undefined;
  const isImport = node.expression.kind === ts.SyntaxKind.ImportKeyword;
  const required = requireCall(node);
  if (isImport || required) {
    const specifier = literal(node.arguments[0]);
    return specifier === undefined
      ? { refused: `${isImport ? 'import()' : required} of a computed specifier` }
      : { specifier };
  }
  if (ts.isIdentifier(node.expression) && ['eval', 'Function'].includes(node.expression.text)) {
    return { refused: `${node.expression.text}() (code from a string can load anything)` };
  }
  return undefined;
}

/** What else loads code no check can follow: new Function, createRequire, require passed around as a value. */
function otherRefusal(node) {
  if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'Function') {
    return 'new Function() (code from a string can load anything)';
  }
  if (!ts.isIdentifier(node)) return undefined;
  if (node.text === 'createRequire' && !isPropertyKey(node)) {
    return 'createRequire (a require function no check can follow)';
  }
  if (node.text === 'require' && isLoose(node)) {
    return 'require used as a value (a require function no check can follow)';
  }
  return undefined;
}

const parsed = new Map();
/** Every module a file names (imports, exports, import(), require()), and what it loads without naming it. */
function analyse(file) {
  if (parsed.has(file)) return parsed.get(file);
  const text = readFileSync(file, 'utf8');
  const kind = SCRIPT_KIND[SOURCE.exec(file)?.[1] ?? 'ts'];
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  const specifiers = [];
  const computed = [];
  const refuse = (node, what) => {
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    computed.push(`${rel(file)}:${line}: ${what}`);
  };
  const visit = (node) => {
    const declared = declaredSpecifier(node);
    const call = callFinding(node);
    const other = otherRefusal(node);
    if (declared !== undefined) specifiers.push(declared);
    if (call?.specifier !== undefined) specifiers.push(call.specifier);
    if (call?.refused) refuse(node, call.refused);
    if (other) refuse(node, other);
    ts.forEachChild(node, visit);
  };
  visit(source);
  const result = { specifiers, computed };
  parsed.set(file, result);
  return result;
}

/** `{ createRequire: x }`, `a.createRequire`: a property's name, not a reference to the binding itself. */
function isPropertyKey(node) {
  const parent = node.parent;
  return (
    (ts.isPropertyAccessExpression(parent) && parent.name === node && !ts.isCallExpression(parent.parent)) ||
    (ts.isPropertyAssignment(parent) && parent.name === node) ||
    (ts.isBindingElement(parent) && parent.propertyName === node)
  );
}

/** A `require` reference that is not the callee of a call (aliased, passed on, or its `.resolve`). */
function isLoose(node) {
  const parent = node.parent;
  if (ts.isCallExpression(parent) && parent.expression === node) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.name === node) return false;
  if (ts.isPropertyAccessExpression(parent) && parent.expression === node)
    return parent.name.text !== 'require';
  if (ts.isBindingElement(parent) && parent.propertyName === node) return false;
  if (ts.isPropertyAssignment(parent) && parent.name === node) return false;
  if (ts.isImportSpecifier(parent) || ts.isExportSpecifier(parent)) return false;
  return !(ts.isTypeQueryNode(parent) || ts.isTypeOfExpression(parent));
}

function resolveFile(base) {
  const swapped = [
    [/\.js$/, '.ts'],
    [/\.mjs$/, '.mts'],
    [/\.cjs$/, '.cts'],
  ].flatMap(([from, to]) => (from.test(base) ? [base.replace(from, to)] : []));
  const candidates = [
    ...swapped,
    base,
    `${base}.ts`,
    `${base}.js`,
    join(base, 'index.ts'),
    join(base, 'index.js'),
  ];
  return candidates.find((candidate) => existsSync(candidate) && statSync(candidate).isFile());
}

/** The file a specifier names, for relative and subpath imports; undefined for packages. */
function target(from, specifier) {
  if (specifier.startsWith('.')) return resolveFile(resolve(dirname(from), specifier));
  const prefix = Object.keys(SUBPATHS).find((p) => specifier.startsWith(p));
  return prefix ? resolveFile(join(root, SUBPATHS[prefix], specifier.slice(prefix.length))) : undefined;
}

const importsOf = (file) =>
  analyse(file).specifiers.map((specifier) => ({ specifier, file: target(file, specifier) }));

const isForbidden = (specifier) =>
  FORBIDDEN.some((pattern) => pattern.test(specifier)) || builtins.has(specifier.split('/')[0]);

/** The bounded context a file belongs to, if any. */
function contextOf(file) {
  const match = /^(?:src\/contexts|projections|migrations)\/([^/]+)\//.exec(rel(file));
  return match?.[1];
}

const violations = [];
const contextNames = existsSync(join(root, 'src/contexts'))
  ? readdirSync(join(root, 'src/contexts')).filter((c) =>
      statSync(join(root, 'src/contexts', c)).isDirectory(),
    )
  : [];
const files = ['src', 'projections', 'migrations'].flatMap((d) => sourceFiles(join(root, d)));

// Every module names what it loads.
for (const file of files) {
  if (under(file, DYNAMIC_LOADING_ALLOWED)) continue;
  for (const what of analyse(file).computed)
    violations.push(`a module loads what no check can follow: ${what}`);
}

// Rule 1: the pure core.
const pureRoots = [
  'src/platform/domain',
  'projections',
  'migrations',
  ...contextNames.flatMap((c) => PURE_FOLDERS.map((f) => `src/contexts/${c}/${f}`)),
];
const seen = new Set();
function visitPure(file, chain) {
  if (seen.has(file)) return;
  seen.add(file);
  for (const { specifier, file: found } of importsOf(file)) {
    if (found) {
      if (!TEST.test(found)) visitPure(found, [...chain, rel(found)]);
    } else if (!specifier.startsWith('.') && !specifier.startsWith('#') && isForbidden(specifier)) {
      violations.push(`the pure core reaches I/O: ${chain.join(' -> ')} imports ${specifier}`);
    }
  }
}
for (const dir of pureRoots) {
  for (const file of sourceFiles(join(root, dir))) visitPure(file, [rel(file)]);
}

// Rule 2: contexts meet only through their index.ts, whatever lies in between.
const contextFiles = files.filter((file) => contextOf(file) !== undefined);
for (const own of new Set(contextFiles.map(contextOf))) {
  const chains = new Map(contextFiles.filter((f) => contextOf(f) === own).map((f) => [f, [rel(f)]]));
  const queue = [...chains.keys()];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const { file: found } of importsOf(file)) {
      if (!found || chains.has(found) || TEST.test(found)) continue;
      const chain = [...chains.get(file), rel(found)];
      chains.set(found, chain);
      const other = contextOf(found);
      if (other !== undefined && other !== own) {
        if (rel(found) === `src/contexts/${other}/index.ts`) continue; // the front door: what lies behind is <other>'s
        violations.push(
          `context ${own} reaches into context ${other}: ${chain.slice(0, -1).join(' -> ')} imports ${rel(found)} (use src/contexts/${other}/index.ts)`,
        );
        continue;
      }
      queue.push(found);
    }
  }
}

// Rule 3: the platform imports the contexts only in its composition roots, and only their lists or front doors.
const isRoot = (file) => COMPOSITION_ROOTS.some((pattern) => pattern.test(rel(file)));
const isFrontDoor = (file) =>
  CONTEXT_LISTS.includes(rel(file)) || /^src\/contexts\/[^/]+\/index\.ts$/.test(rel(file));
for (const file of files.filter((f) => rel(f).startsWith('src/platform/'))) {
  if (isRoot(file)) {
    for (const { file: found } of importsOf(file)) {
      if (found && rel(found).startsWith('src/contexts/') && !isFrontDoor(found)) {
        violations.push(
          `a composition root reaches into a context: ${rel(file)} imports ${rel(found)} (use the lists in src/contexts or the context's index.ts)`,
        );
      }
    }
    continue;
  }
  // Any other platform module: neither it nor a test fixture it uses may import src/contexts (other platform
  // modules it imports are checked on their own).
  const chains = new Map([[file, [rel(file)]]]);
  const queue = [file];
  while (queue.length > 0) {
    const current = queue.shift();
    for (const { file: found } of importsOf(current)) {
      if (!found || chains.has(found) || isRoot(found)) continue;
      const chain = [...chains.get(current), rel(found)];
      chains.set(found, chain);
      if (rel(found).startsWith('src/contexts/')) {
        violations.push(
          `the platform reaches a context outside its composition roots: ${chain.slice(0, -1).join(' -> ')} imports ${rel(found)} (only the wiring modules, handlers/, infra/app.ts, cli/ and local/ may)`,
        );
      } else if (rel(found).startsWith('test/')) {
        queue.push(found);
      }
    }
  }
}

if (violations.length > 0) {
  console.error(`architecture check failed:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `architecture check: ${files.length} modules name what they load; ${seen.size} files of the pure core are free of I/O imports; ${contextFiles.length} context files keep to their rooms; the platform imports contexts only in its composition roots`,
);
