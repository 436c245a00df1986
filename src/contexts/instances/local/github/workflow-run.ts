import { execFile } from 'node:child_process';
import { checkTerraform } from '../../terraform/index.js';
import { folderAt } from '../git/bare-repository.js';
import type { Run } from './runs.js';
import { type ApplyTarget, applyTenant, destroyTenant } from './terraform-apply.js';
import { signature } from './webhooks.js';
import {
  condition,
  type ExpressionContext,
  render,
  type WorkflowFile,
  type WorkflowStep,
} from './workflow-file.js';

export interface RunEnvironment {
  target: ApplyTarget;
  /** Repository variables and secrets (`vars.*`, `secrets.*`). */
  variables: Record<string, string>;
  secrets: Record<string, string>;
  /** A reason when this run must fail at `terraform apply` (test hook or marker), else undefined. */
  failure(run: Run): string | undefined;
  /** Retry pause of the report step's curl (`--retry 5`). */
  retryMs: number;
}

class StepFailure extends Error {}

interface State {
  run: Run;
  env: RunEnvironment;
  context: ExpressionContext;
  files?: Record<string, string>;
  outputs?: Record<string, string>;
}

/**
 * "Runs" the workflow file at the run's commit, step by step as the runner would, with the same conditions
 * (`if:`, an implicit `success()`): actions are no-ops, `terraform init|plan|apply|destroy` act on the pushed
 * folder (the offline checker stands in for plan: a broken file fails the run with its messages in the log; apply
 * reaches the stand-ins), `terraform output` yields the outputs, the report step POSTs the signed outcome, and any
 * other script runs in bash. Sets the steps, the log and the conclusion.
 */
export async function executeRun(run: Run, workflow: WorkflowFile, env: RunEnvironment): Promise<void> {
  const { owner, name } = run.repository;
  const github = {
    run_id: String(run.id),
    run_attempt: '1',
    sha: run.headSha,
    repository: `${owner}/${name}`,
    ref: `refs/heads/${run.headBranch}`,
  };
  const base: ExpressionContext = { inputs: run.inputs, github, vars: env.variables, secrets: env.secrets };
  const state: State = { run, env, context: base };
  let failed = false;
  run.steps = workflow.steps.map((step, i) => ({
    name: step.name ?? step.uses ?? `Run ${i + 1}`,
    number: i + 1,
    status: 'queued',
    conclusion: null,
  }));
  for (const [i, step] of workflow.steps.entries()) {
    const view = run.steps[i];
    if (!view) continue;
    const context = { ...base, job: { status: failed ? 'failure' : 'success' } };
    state.context = context;
    if (!condition(step.if, failed, context)) {
      Object.assign(view, { status: 'completed', conclusion: 'skipped' });
      continue;
    }
    run.log.push(`##[group]${view.name}`);
    try {
      await runStep(step, state);
      Object.assign(view, { status: 'completed', conclusion: 'success' });
    } catch (error) {
      failed = true;
      run.log.push(`##[error]${error instanceof StepFailure ? error.message : String(error)}`);
      Object.assign(view, { status: 'completed', conclusion: 'failure' });
    }
    run.log.push('##[endgroup]');
  }
  run.conclusion = failed ? 'failure' : 'success';
}

async function runStep(step: WorkflowStep, state: State): Promise<void> {
  const { run, context } = state;
  const script = step.run ?? '';
  const directory = step['working-directory'] ? render(step['working-directory'], context) : '.';
  if (step.uses) return void run.log.push(`Run ${step.uses} (a no-op locally)`);
  if (step.env?.WEBHOOK_URL !== undefined && /x-bbws-signature-256/i.test(script)) return report(step, state);
  if (/terraform plan -destroy/.test(script))
    return void (await destroyTenant(state.env.target, await files(state, directory)));
  if (/terraform init/.test(script)) return void (await files(state, directory));
  if (/terraform plan/.test(script)) return plan(await files(state, directory), run);
  if (/terraform apply/.test(script)) {
    const reason = state.env.failure(run);
    if (reason) throw new StepFailure(`Error: ${reason}`);
    state.outputs = await applyTenant(state.env.target, await files(state, directory));
    return void run.log.push(`Apply complete! (service ${state.outputs.service_arn})`);
  }
  if (/terraform output/.test(script)) return void run.log.push(JSON.stringify(state.outputs ?? {}));
  return bash(script, renderEnv(step, context), run);
}

async function files(state: State, directory: string): Promise<Record<string, string>> {
  state.files ??= await folderAt(state.run.repository.bare, state.run.headSha, directory);
  if (Object.keys(state.files).length === 0)
    throw new StepFailure(
      `An error occurred trying to start process '/usr/bin/bash' with working directory '${directory}'. No such file or directory`,
    );
  return state.files;
}

function plan(files: Record<string, string>, run: Run): void {
  const problems = checkTerraform(files);
  for (const problem of problems) run.log.push(`Error: ${problem}`);
  if (problems.length > 0)
    throw new StepFailure(`terraform plan: ${problems.length} error(s) in the configuration`);
  run.log.push('Plan: the configuration is valid (checked offline).');
}

const renderEnv = (step: WorkflowStep, context: ExpressionContext) =>
  Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, render(String(v), context)]));

/** The report step: the body its jq builds, signed as its openssl does, POSTed with curl's five retries. */
async function report(step: WorkflowStep, state: State): Promise<void> {
  const env = renderEnv(step, state.context);
  const body = JSON.stringify({
    tenantId: env.TENANT_ID,
    action: env.ACTION,
    eventId: env.EVENT_ID,
    outcome: env.OUTCOME,
    runId: env.RUN_ID,
    runAttempt: env.RUN_ATTEMPT,
    commitSha: env.COMMIT_SHA,
    repository: env.REPOSITORY,
    outputs: state.outputs ?? {},
  });
  const headers = {
    'content-type': 'application/json',
    'x-bbws-signature-256': signature(env.WEBHOOK_SECRET ?? '', body),
  };
  let last = '';
  for (let attempt = 0; attempt <= 5; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, state.env.retryMs * attempt));
    try {
      const response = await fetch(env.WEBHOOK_URL ?? '', {
        method: 'POST',
        headers,
        body,
        signal: AbortSignal.timeout(20_000),
      });
      await response.arrayBuffer();
      if (response.ok) return void state.run.log.push(`Reported ${env.OUTCOME} to ${env.WEBHOOK_URL}`);
      last = `curl: (22) The requested URL returned error: ${response.status}`;
    } catch (error) {
      last = `curl: (7) ${error instanceof Error ? error.message : String(error)}`;
    }
  }
  throw new StepFailure(last);
}

function bash(script: string, env: Record<string, string>, run: Run): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      'bash',
      ['-c', script],
      { env: { PATH: process.env.PATH ?? '', ...env }, timeout: 10_000 },
      (error, stdout, stderr) => {
        for (const line of `${stdout}${stderr}`.split('\n').filter(Boolean))
          run.log.push(line.replace(/^::error::/, 'Error: '));
        if (error) reject(new StepFailure(`Process completed with exit code ${error.code ?? 1}.`));
        else resolve();
      },
    );
  });
}
