import { z } from 'zod';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { UnprocessableError } from '#src/platform/domain/errors.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { parseWith } from '#src/platform/http/http-handler.js';
import type { Route } from '#src/platform/http/route.js';
import { notThisInstance } from '../domain/instance.decider.js';
import { InstanceEnvironment } from '../domain/instance.events.js';
import { instanceStream } from '../domain/instance.stream.js';
import { instanceKey } from '../domain/placement.js';
import { type CredentialsProvider, parseRunTitle, type RepositoryRef } from './ports.js';
import { resourcesOf } from './resources.js';
import { verifySignature } from './signature.js';
import { loadInstance, record, recordRun, type StepContext } from './steps.js';

export interface WebhookDependencies {
  runner: CommandRunner;
  store: Pick<EventStore, 'load' | 'reservationHolder'>;
  credentials: CredentialsProvider;
  repositories: Partial<Record<InstanceEnvironment, RepositoryRef>>;
}

const WorkflowRunEvent = z.object({
  action: z.string(),
  workflow_run: z.object({
    id: z.number().int().positive(),
    html_url: z.string(),
    status: z.string().nullable(),
    conclusion: z.string().nullable(),
    display_title: z.string(),
  }),
  repository: z.object({ name: z.string(), owner: z.object({ login: z.string() }) }),
});

const DeployOutcome = z.object({
  tenantId: z.string().min(1).max(64),
  action: z.enum(['apply', 'destroy']),
  eventId: z.string().min(1).max(64),
  outcome: z.string().min(1).max(32),
  runId: z.coerce.number().int().positive(),
  repository: z.string().regex(/^[^/]+\/[^/]+$/),
  outputs: z.record(z.string(), z.unknown()).default({}),
});

/** GitHub's workflow_run payloads run to tens of KB (repository, head commit, URLs): over the API's 16 KiB. */
const WEBHOOK_MAX_BYTES = 1024 * 1024;

const accepted = (result: string) => ({ status: 202, body: { result } });
const json = (rawBody: string) => {
  try {
    return JSON.parse(rawBody) as unknown;
  } catch {
    return undefined;
  }
};

/** The instance whose current change runs `runId` for this tenant in this repository's environment. */
async function target(
  deps: WebhookDependencies,
  owner: string,
  name: string,
  tenantId: string,
  runId: number,
) {
  const environment = InstanceEnvironment.options.find((e) => {
    const r = deps.repositories[e];
    return r?.owner === owner && r.name === name;
  });
  if (!environment) return undefined;
  const streamId = await deps.store.reservationHolder(instanceKey(tenantId, environment));
  if (!streamId) return undefined;
  const instanceId = instanceStream.parse(streamId);
  const state = await loadInstance(deps.store, instanceId);
  if (state.status === 'NEW' || state.change.run?.id !== runId) return undefined;
  return { instanceId, state };
}

/**
 * GitHub's `workflow_run` webhook: RUNNING and the outcome of the run the current change recorded (a run not
 * recorded yet is left to the provisioner, which finds it by its name). Signed with the webhook secret.
 */
const workflowRun: Route<WebhookDependencies> = {
  method: 'POST',
  path: '/v1.0/webhooks/github',
  auth: 'public',
  summary: "GitHub's workflow_run webhook (X-Hub-Signature-256); no token",
  maxBodyBytes: WEBHOOK_MAX_BYTES,
  response: { status: 202 },
  async handle(request, deps) {
    const { webhookSecret } = await deps.credentials();
    const raw = verifySignature(
      request.rawBody,
      request.headers['x-hub-signature-256'],
      webhookSecret,
      'X-Hub-Signature-256',
    );
    if (request.headers['x-github-event'] !== 'workflow_run') return accepted('ignored');
    const event = parseWith(WorkflowRunEvent, json(raw), 'body');
    const run = event.workflow_run;
    const named = parseRunTitle(run.display_title);
    if (!named) return accepted('ignored');
    const found = await target(
      deps,
      event.repository.owner.login,
      event.repository.name,
      named.tenantId,
      run.id,
    );
    if (!found) return accepted('ignored');
    const ctx: StepContext = {
      instanceId: found.instanceId,
      tenantId: named.tenantId,
      eventId: named.eventId,
      correlationId: request.correlationId,
    };
    await recordRun(deps.runner, ctx, found.state.change.n, {
      id: run.id,
      url: run.html_url,
      status: run.status ?? 'queued',
      conclusion: run.conclusion,
      title: run.display_title,
    });
    return accepted('recorded');
  },
};

/**
 * The deploy workflow's final report: the outcome, and on a successful apply the folder's outputs. Outputs whose
 * service is not this instance's (terraform/naming.ts) are refused, 422, nothing recorded; outputs other than those
 * the change already recorded, 409 `resources_already_recorded` (the outcome is then left to polling: a report
 * for a change that recorded resources has recorded its outcome too, unless it failed in between).
 */
const deployOutcome: Route<WebhookDependencies> = {
  method: 'POST',
  path: '/v1.0/webhooks/deploy-outcome',
  auth: 'public',
  summary: "The deploy workflow's outcome report (X-BBWS-Signature-256); no token",
  maxBodyBytes: WEBHOOK_MAX_BYTES,
  response: { status: 202 },
  async handle(request, deps) {
    const { deployOutcomeSecret } = await deps.credentials();
    const raw = verifySignature(
      request.rawBody,
      request.headers['x-bbws-signature-256'],
      deployOutcomeSecret,
      'X-BBWS-Signature-256',
    );
    const report = parseWith(DeployOutcome, json(raw), 'body');
    const [owner = '', name = ''] = report.repository.split('/');
    const found = await target(deps, owner, name, report.tenantId, report.runId);
    if (!found) return accepted('ignored');
    const ctx: StepContext = {
      instanceId: found.instanceId,
      tenantId: report.tenantId,
      eventId: report.eventId,
      correlationId: request.correlationId,
    };
    const change = found.state.change.n;
    const succeeded = report.outcome === 'success';
    const resources = succeeded && report.action === 'apply' ? resourcesOf(report.outputs) : undefined;
    // A service that is not this instance's (another tenant's, another environment's, no tenant's) refuses the
    // whole report before anything is recorded: the signature only says some environment repository sent it.
    const wrong = resources && notThisInstance(resources, found.state);
    if (wrong) {
      const field = wrong.field === 'serviceArn' ? 'outputs.service_arn' : 'outputs.service_name';
      throw new UnprocessableError(field, 'service_not_this_instance', wrong.message);
    }
    // The resources before the outcome: a recorded success may start the next change at once (a folder sync
    // after a suspension during the run), and a step of a superseded change is dropped.
    if (resources) await record(deps.runner, ctx, { type: 'RecordResources', change, resources });
    await record(deps.runner, ctx, {
      type: 'RecordWorkflowOutcome',
      change,
      runId: report.runId,
      outcome: succeeded ? 'succeeded' : 'failed',
      conclusion: report.outcome,
      ...(succeeded ? {} : { reason: `workflow run ${report.runId} reported ${report.outcome}` }),
    });
    return accepted('recorded');
  },
};

export const webhookRoutes: readonly Route<WebhookDependencies>[] = [workflowRun, deployOutcome];
