#!/usr/bin/env node
// Runs Serverless Framework v3 offline-safe: no telemetry, no notifications, no interactive set-up, and no
// network look-ups, so `npm run package` works without credentials (in CI too).
import { spawnSync } from 'node:child_process';
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
const result = spawnSync(process.execPath, [bin, ...process.argv.slice(2)], { stdio: 'inherit', env });
process.exit(result.status ?? 1);
