#!/usr/bin/env node
// Architecture check: the pure core (src/domain, projections) must not reach I/O. Every file they import,
// directly or through relative imports, is scanned; none may import the AWS SDK, Powertools, octokit,
// isomorphic-git or a Node built-in. Exits 1 with each offending import chain.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(process.env.ARCH_ROOT ?? resolve(dirname(new URL(import.meta.url).pathname), '..'));
const PURE_ROOTS = ['src/domain', 'projections'];
const FORBIDDEN = [
  /^@aws-sdk\//,
  /^@smithy\//,
  /^@aws-lambda-powertools\//,
  /^@octokit\//,
  /^isomorphic-git/,
  /^node:/,
];
const builtins = new Set(builtinModules);
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g;

function sourceFiles(dir) {
  if (!existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(name) && !/\.test\.ts$/.test(name) ? [path] : [];
  });
}

function importsOf(file) {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => m[1] ?? m[2]).filter(Boolean);
}

function resolveRelative(from, specifier) {
  const base = resolve(dirname(from), specifier);
  for (const candidate of [base.replace(/\.js$/, '.ts'), base, `${base}.ts`, join(base, 'index.ts')]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

const isForbidden = (specifier) =>
  FORBIDDEN.some((pattern) => pattern.test(specifier)) || builtins.has(specifier.split('/')[0]);

const violations = [];
const seen = new Set();
function visit(file, chain) {
  if (seen.has(file)) return;
  seen.add(file);
  for (const specifier of importsOf(file)) {
    if (specifier.startsWith('.')) {
      const target = resolveRelative(file, specifier);
      if (target && !/\.test\.ts$/.test(target)) visit(target, [...chain, relative(root, target)]);
    } else if (isForbidden(specifier)) {
      violations.push(`${chain.join(' -> ')} imports ${specifier}`);
    }
  }
}

for (const dir of PURE_ROOTS) {
  for (const file of sourceFiles(join(root, dir))) visit(file, [relative(root, file)]);
}
if (violations.length > 0) {
  console.error(`architecture check failed: the pure core reaches I/O\n  ${violations.join('\n  ')}`);
  process.exit(1);
}
console.log(
  `architecture check: ${seen.size} files reachable from ${PURE_ROOTS.join(', ')} are free of I/O imports`,
);
