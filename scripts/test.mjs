#!/usr/bin/env node
// `npm test`: the checks in order (typecheck, lint, architecture, the vitest suites, IAM coverage), stopping at
// the first that fails, then each one's time (docs/performance.md, "Test time", tracks them; vitest prints each
// test file's time itself). Budget (issue 8): npm test under 10 minutes on the 2-core CI machine.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const decisions = mkdtempSync(join(tmpdir(), 'bbws-iam-decisions-'));
const env = { ...process.env, BBWS_IAM_DECISIONS_DIR: decisions };
const steps = [
  ['typecheck', 'npx', ['tsc', '--noEmit']],
  ['lint', 'npx', ['biome', 'check', '.']],
  ['architecture', 'node', ['scripts/check-architecture.mjs']],
  ['vitest', 'npx', ['vitest', 'run', ...process.argv.slice(2)]],
  ['IAM coverage', 'node', ['scripts/iam-coverage.mjs']],
];
const BUDGET_S = 600;
const times = [];
let status = 0;
for (const [name, command, args] of steps) {
  const started = process.hrtime.bigint();
  const result = spawnSync(command, args, { stdio: 'inherit', env });
  times.push([name, Number(process.hrtime.bigint() - started) / 1e9]);
  status = result.status ?? 1;
  if (status !== 0) {
    console.error(`\nnpm test: ${name} failed (exit ${result.status ?? result.signal}).`);
    break;
  }
}
const total = times.reduce((sum, [, s]) => sum + s, 0);
console.log('\nnpm test, time per step:');
for (const [name, s] of times) console.log(`  ${name.padEnd(14)} ${s.toFixed(1).padStart(7)} s`);
console.log(`  ${'total'.padEnd(14)} ${total.toFixed(1).padStart(7)} s (budget ${BUDGET_S} s)`);
if (status === 0 && total > BUDGET_S) console.log(`npm test: over its ${BUDGET_S} s budget`);
process.exit(status);
