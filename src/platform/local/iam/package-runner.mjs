// Runs `node scripts/sls.mjs package ...` (arguments after the repository root) and exits with its status, except
// that it does not wait for a hang: when a bundle fails to build, serverless prints its error report (ending in
// the "Environment: ..." footer) and then never exits (serverless-esbuild leaves esbuild running). Seeing that
// footer, this waits a moment for the rest of the output, kills the whole process group and exits 1.
// Used by packaged-template.ts through spawnSync (which cannot watch output as it comes).
import { spawn } from 'node:child_process';
import { join } from 'node:path';

const [root, ...args] = process.argv.slice(2);
if (!root) {
  console.error('usage: package-runner.mjs <root> package --stage <stage> ...');
  process.exit(2);
}
const child = spawn(process.execPath, [join(root, 'scripts/sls.mjs'), ...args], {
  cwd: root,
  detached: true,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let failed = false;
const watch = (chunk, out) => {
  out.write(chunk);
  if (!failed && /Environment: .*framework/.test(String(chunk))) {
    failed = true;
    setTimeout(() => {
      try {
        process.kill(-(child.pid ?? 0), 'SIGKILL');
      } catch {
        // already gone
      }
      process.exit(1);
    }, 1000);
  }
};
child.stdout.on('data', (chunk) => watch(chunk, process.stdout));
child.stderr.on('data', (chunk) => watch(chunk, process.stderr));
child.on('exit', (code, signal) => {
  if (!failed) process.exit(code ?? (signal ? 1 : 0));
});
