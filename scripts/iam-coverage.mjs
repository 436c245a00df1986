#!/usr/bin/env node
// IAM coverage, after `vitest run` in `npm test`: least privilege proven both ways. During the run, every local
// runtime recorded each IAM decision its functions' calls got (src/platform/local/iam/function-roles.ts) as JSON
// lines in $BBWS_IAM_DECISIONS_DIR. This fails when a call was denied that no test expected, or when an action of a
// statement of a function's role (from the packaged template) was used by no recorded call.
//
//   node scripts/iam-coverage.mjs [decisions folder]   (default: $BBWS_IAM_DECISIONS_DIR)
//
// The logic is src/platform/local/iam/coverage.ts (unit-tested on fixtures); this file holds the allow-list.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

/**
 * Grants no local test can exercise, each with why. Keep it short: a grant that a test could exercise gets that
 * test instead. An entry that no longer matches an unused grant fails the check (stale).
 */
export const ALLOW_LIST = [
  // Lambda's own service writes the function's logs with its role; the handler never calls CloudWatch Logs (its
  // logs go to stdout), so no SDK call of a handler or of an event source mapping can use these.
  { function: '*', action: 'logs:CreateLogGroup', why: 'written by the Lambda service, not by the handler' },
  { function: '*', action: 'logs:CreateLogStream', why: 'written by the Lambda service, not by the handler' },
  { function: '*', action: 'logs:PutLogEvents', why: 'written by the Lambda service, not by the handler' },
  // Lambda's SQS event source mapping reads the queue's attributes itself (AWS lists sqs:GetQueueAttributes among
  // the permissions an SQS-triggered function's role needs, beside ReceiveMessage and DeleteMessage); the local
  // mapping (src/platform/local/sqs-runtime.ts) takes the queue's attributes from the template instead.
  {
    function: 'identitySync',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's SQS event source mapping calls it, not the handler",
  },
  {
    function: 'erasureProcess',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's SQS event source mapping calls it, not the handler",
  },
  {
    function: 'provisioner',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's SQS event source mapping calls it, not the handler",
  },
  {
    function: 'provisionerFollow',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's SQS event source mapping calls it, not the handler",
  },
  {
    function: 'ecsControl',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's SQS event source mapping calls it, not the handler",
  },
  {
    function: 'ecsStateSync',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's SQS event source mapping calls it, not the handler",
  },
  {
    function: 'instanceTenantReactions',
    action: 'sqs:GetQueueAttributes',
    why: "Lambda's SQS event source mapping calls it, not the handler",
  },
  // ECS control's and the state sync's own ECS and Application Auto Scaling grants serve a single-account stage (an
  // environment without a roleArn). Locally, as in a multi-account stage, every environment is its own account,
  // reached through its role (bbws-control-<env>, infra/workload-account.template.json): those calls are checked
  // against that role's policy, and only sts:AssumeRole against the function's.
  {
    function: 'ecsControl',
    action: 'ecs:DescribeServices',
    why: 'single-account stages only (no roleArn): locally each environment is reached through its role',
  },
  {
    function: 'ecsControl',
    action: 'ecs:UpdateService',
    why: 'single-account stages only (no roleArn): locally each environment is reached through its role',
  },
  {
    function: 'ecsControl',
    action: 'application-autoscaling:RegisterScalableTarget',
    why: 'single-account stages only (no roleArn): locally each environment is reached through its role',
  },
  {
    function: 'ecsControl',
    action: 'application-autoscaling:DescribeScalableTargets',
    why: 'single-account stages only (no roleArn): locally each environment is reached through its role',
  },
  {
    function: 'ecsStateSync',
    action: 'ecs:DescribeServices',
    why: 'single-account stages only (no roleArn): locally each environment is reached through its role',
  },
];

async function main() {
  const root = join(dirname(fileURLToPath(import.meta.url)), '..');
  const decisionsDir = process.argv[2] ?? process.env.BBWS_IAM_DECISIONS_DIR;
  if (!decisionsDir || !existsSync(decisionsDir)) {
    console.error(
      'iam-coverage: no decisions folder (pass one, or set BBWS_IAM_DECISIONS_DIR before vitest run)',
    );
    process.exit(2);
  }
  const { runCoverageCheck, formatReport } = await tsImport(
    '../src/platform/local/iam/coverage.ts',
    import.meta.url,
  );
  const report = runCoverageCheck({ root, decisionsDir, allowList: ALLOW_LIST });
  if (report.decisions === 0) {
    console.error(`iam-coverage: ${decisionsDir} holds no decisions: did the end-to-end suites run?`);
    process.exit(1);
  }
  const lines = formatReport(report);
  if (report.ok) {
    console.log(lines.join('\n'));
    if (!process.argv[2]) rmSync(decisionsDir, { recursive: true, force: true });
  } else {
    console.error(lines.join('\n'));
    console.error(`iam-coverage: FAILED (the decisions are in ${decisionsDir})`);
    process.exitCode = 1;
  }
}

// run as a script (not when a test imports the allow-list)
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
