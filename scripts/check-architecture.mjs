#!/usr/bin/env node
// Architecture check, two rules, each followed through relative and `#src/*`-style subpath imports:
// 1. The pure core (the platform's domain kernel, every context's domain, projections, migrations) must not
//    reach I/O: no file reachable from it may import the AWS SDK, Powertools, octokit, isomorphic-git or a Node
//    built-in.
// 2. One room per bounded context: a file of src/contexts/<a> (or projections/<a>, migrations/<a>) may import
//    another context <b> only through src/contexts/<b>/index.ts.
// Exits 1 listing each violation with its import chain.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(process.env.ARCH_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..'));
const FORBIDDEN = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@aws-lambda-powertools\//,
  /^@octokit\//,
  /^isomorphic-git/,
  /^node:/,
];
/** package.json "imports": `#src/x.js` -> `src/x.js` (the same mapping Node, tsx, esbuild and vitest use). */
const SUBPATHS = {
  '#src/': 'src/',
  '#projections/': 'projections/',
  '#migrations/': 'migrations/',
  '#test/': 'test/',
};
const builtins = new Set(builtinModules);
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|(?:^|\n)\s*import\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

const toPosix = (path) => path.split(sep).join('/');
const rel = (file) => toPosix(relative(root, file));

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.(ts|mts|cts)$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2] ?? m[3]).filter(Boolean);
}

function resolveFile(base) {
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** The file a specifier names, for relative and subpath imports; undefined for packages. */
function target(from, specifier) {
  if (specifier.startsWith('.')) return resolveFile(resolve(dirname(from), specifier));
  const prefix = Object.keys(SUBPATHS).find((p) => specifier.startsWith(p));
  return prefix ? resolveFile(join(root, SUBPATHS[prefix], specifier.slice(prefix.length))) : undefined;
}

const isForbidden = (specifier) =>
  FORBIDDEN.some((pattern) => pattern.test(specifier)) || builtins.has(specifier.split('/')[0]);

/** The bounded context a file belongs to, if any. */
function contextOf(file) {
  const match = /^(?:src\/contexts|projections|migrations)\/([^/]+)\//.exec(rel(file));
  return match?.[1];
}

const violations = [];

// Rule 1: the pure core. In a context: its domain, and generators that must stay deterministic (Terraform).
const PURE_FOLDERS = ['domain', 'terraform'];
const pureRoots = [
  'src/platform/domain',
  'projections',
  'migrations',
  ...(existsSync(join(root, 'src/contexts'))
    ? readdirSync(join(root, 'src/contexts')).flatMap((c) => PURE_FOLDERS.map((f) => `src/contexts/${c}/${f}`))
    : []),
];
const seen = new Set();
function visit(file, chain) {
  if (seen.has(file)) return;
  seen.add(file);
  for (const specifier of importsOf(file)) {
    const found = target(file, specifier);
    if (found) {
      if (!/\.test\.ts$/.test(found)) visit(found, [...chain, rel(found)]);
    } else if (!specifier.startsWith('.') && !specifier.startsWith('#') && isForbidden(specifier)) {
      violations.push(`the pure core reaches I/O: ${chain.join(' -> ')} imports ${specifier}`);
    }
  }
}
for (const dir of pureRoots) {
  for (const file of sourceFiles(join(root, dir))) visit(file, [rel(file)]);
}

// Rule 2: contexts meet only through their index.ts.
const contextFiles = ['src/contexts', 'projections', 'migrations'].flatMap((d) => sourceFiles(join(root, d)));
for (const file of contextFiles) {
  const own = contextOf(file);
  if (!own) continue;
  for (const specifier of importsOf(file)) {
    const found = target(file, specifier);
    const other = found && contextOf(found);
    if (!other || other === own) continue;
    if (rel(found) !== `src/contexts/${other}/index.ts`) {
      violations.push(
        `context ${own} reaches into context ${other}: ${rel(file)} imports ${rel(found)} (use src/contexts/${other}/index.ts)`,
      );
    }
  }
}

if (violations.length > 0) {
  console.error(`architecture check failed:\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `architecture check: ${seen.size} files of the pure core are free of I/O imports; ${contextFiles.length} context files keep to their rooms`,
);
