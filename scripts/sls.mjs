#!/usr/bin/env node
// Runs Serverless Framework v3 offline-safe: no telemetry, no notifications, no interactive set-up, and no
// network look-ups, so `npm run package` works without credentials (in CI too).
//
// Serverless v3 with serverless-esbuild never exits after a failed build (esbuild's error is printed, then the
// process waits for ever: CI once timed out on it). So the output is watched: once esbuild reports a failed build
// the run is given a few seconds to finish and is then killed with exit code 1; any run is killed after 15
// minutes (packaging takes seconds).
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const bin = require.resolve('serverless/bin/serverless.js');
const env = {
  ...process.env,
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  SLS_DEPRECATION_DISABLE: '*',
  SLS_INTERACTIVE_SETUP_DISABLE: '1',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
delete env.AWS_SDK_LOAD_CONFIG; // any value breaks v3

const BUILD_FAILED = /Build failed with \d+ error|✘ \[ERROR\]/;
const GRACE_MS = 5_000;
const LIMIT_MS = 15 * 60_000;

const child = spawn(process.execPath, [bin, ...process.argv.slice(2)], {
  stdio: ['inherit', 'pipe', 'pipe'],
  env,
});
let failed = false;
let killer;
const kill = (reason) => {
  process.stderr.write(`\nsls.mjs: ${reason}; stopping serverless (exit 1).\n`);
  failed = true;
  child.kill('SIGKILL');
};
const watch = (chunk) => {
  if (!killer && BUILD_FAILED.test(chunk.toString())) {
    killer = setTimeout(() => kill('esbuild reported a failed build'), GRACE_MS);
  }
};
child.stdout.on('data', (c) => {
  process.stdout.write(c);
  watch(c);
});
child.stderr.on('data', (c) => {
  process.stderr.write(c);
  watch(c);
});
const limit = setTimeout(() => kill(`no result after ${LIMIT_MS / 60_000} minutes`), LIMIT_MS);
child.on('exit', (code, signal) => {
  clearTimeout(limit);
  if (killer) clearTimeout(killer);
  process.exit(failed || killer ? 1 : (code ?? (signal ? 1 : 0)));
});
