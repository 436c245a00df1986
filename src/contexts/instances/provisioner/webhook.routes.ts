import type { Logger } from '@aws-lambda-powertools/logger';
import { z } from 'zod';
import type { CommandRunner } from '#src/platform/command/command-runner.js';
import { UnprocessableError } from '#src/platform/domain/errors.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { parseBody } from '#src/platform/http/http-handler.js';
import type { Route } from '#src/platform/http/route.js';
import { notThisInstance } from '../domain/instance.decider.js';
import { InstanceEnvironment, type Resources as ResourcesSchema } from '../domain/instance.events.js';
import type { Live } from '../domain/instance.state.js';
import { instanceStream } from '../domain/instance.stream.js';
import { instanceKey } from '../domain/placement.js';
import { accountOfArn, inCluster, type WorkloadPlacement } from '../ecs/workloads.js';
import { type CredentialsProvider, parseRunTitle, type RepositoryRef } from './ports.js';
import { resourcesOf } from './resources.js';
import { notSignedFor, signingKeys, verifySignature } from './signature.js';
import { loadInstance, record, recordRun, type StepContext } from './steps.js';

export interface WebhookDependencies {
  runner: CommandRunner;
  store: Pick<EventStore, 'load' | 'reservationHolder'>;
  credentials: CredentialsProvider;
  repositories: Partial<Record<InstanceEnvironment, RepositoryRef>>;
  /**
   * Each environment's account (its `roleArn`'s, else the control plane's) and cluster ARN, as ECS control and the
   * state sync read them (ecs/workloads.ts `workloadPlacements`): the service a report names must be under that
   * cluster, and every ARN it reports in that account. An environment whose cluster is not known takes no outputs.
   */
  placements: Partial<Record<InstanceEnvironment, Pick<WorkloadPlacement, 'account' | 'clusterArn'>>>;
  /** Reports that are valid but ignored are logged here (INFO, `webhook ignored`, with the reason). */
  logger: Pick<Logger, 'info'>;
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

/** A valid report acted on by nobody: answered 202 `ignored`, and logged so that an operator can see why. */
function ignored(deps: WebhookDependencies, webhook: string, reason: string, fields: object = {}) {
  deps.logger.info('webhook ignored', { webhook, reason, ...fields });
  return accepted('ignored');
}

/** The workload environment whose repository is `owner/name`. */
const environmentOf = (deps: WebhookDependencies, owner: string, name: string) =>
  InstanceEnvironment.options.find((e) => {
    const r = deps.repositories[e];
    return r?.owner === owner && r.name === name;
  });

/**
 * The instance whose current change runs `runId` for this tenant in `environment`, or why there is none: no
 * instance of the tenant there, or its current change runs another run (an older change's, or none recorded yet).
 */
type Target =
  | { found: true; instanceId: string; state: Live }
  | { found: false; reason: string; instanceId?: string; change?: number; currentRunId?: number | undefined };

async function target(
  deps: WebhookDependencies,
  environment: InstanceEnvironment,
  tenantId: string,
  runId: number,
): Promise<Target> {
  const streamId = await deps.store.reservationHolder(instanceKey(tenantId, environment));
  const none = { found: false, reason: 'no instance of the tenant in the environment' } as const;
  if (!streamId) return none;
  const instanceId = instanceStream.parse(streamId);
  const state = await loadInstance(deps.store, instanceId);
  if (state.status === 'NEW') return none;
  if (state.change.run?.id !== runId)
    return {
      found: false,
      reason: "not the run of the instance's current change",
      instanceId,
      change: state.change.n,
      currentRunId: state.change.run?.id,
    };
  return { found: true, instanceId, state };
}

/**
 * GitHub's `workflow_run` webhook: RUNNING and the outcome of the run the current change recorded (a run not
 * recorded yet is left to the provisioner, which finds it by its name). Signed with the webhook secret; a JSON body
 * (the hook's content type `application/json`).
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
    verifySignature(
      request.rawBody,
      request.headers['x-hub-signature-256'],
      webhookSecret,
      'X-Hub-Signature-256',
    );
    const webhook = 'workflow_run';
    const eventName = request.headers['x-github-event'];
    if (eventName !== 'workflow_run')
      return ignored(deps, webhook, 'not a workflow_run event', { eventName });
    const event = parseBody(request, WorkflowRunEvent);
    const run = event.workflow_run;
    const named = parseRunTitle(run.display_title);
    if (!named) return ignored(deps, webhook, 'not a run of the deploy workflow', { runId: run.id });
    const { login: owner } = event.repository.owner;
    const environment = environmentOf(deps, owner, event.repository.name);
    const where = {
      runId: run.id,
      tenantId: named.tenantId,
      repository: `${owner}/${event.repository.name}`,
    };
    if (!environment) return ignored(deps, webhook, 'not a workload environment repository', where);
    const found = await target(deps, environment, named.tenantId, run.id);
    if (!found.found) {
      const { found: _, reason, ...more } = found;
      return ignored(deps, webhook, reason, { ...where, ...more });
    }
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
 * The deploy workflow's final report, signed with its environment repository's own secret (X-BBWS-Signature-256):
 * the environment the report names by its repository must be one whose secret signs it, else 401. The outcome,
 * and on a successful apply the folder's outputs (required then, each checked: 422 naming `outputs.<name>`). Outputs whose service is not this instance's (terraform/naming.ts)
 * are refused, 422, nothing recorded; outputs other than those the change already recorded, 409
 * `resources_already_recorded` (the outcome is then left to polling: a report for a change that recorded its
 * resources has recorded its outcome too, unless it failed in between).
 */
const deployOutcome: Route<WebhookDependencies> = {
  method: 'POST',
  path: '/v1.0/webhooks/deploy-outcome',
  auth: 'public',
  summary: "The deploy workflow's outcome report (X-BBWS-Signature-256); no token",
  maxBodyBytes: WEBHOOK_MAX_BYTES,
  response: { status: 202 },
  async handle(request, deps) {
    const { deployOutcomeSecrets } = await deps.credentials();
    const header = 'X-BBWS-Signature-256';
    const signedFor = signingKeys(
      request.rawBody,
      request.headers['x-bbws-signature-256'],
      deployOutcomeSecrets,
      header,
    );
    const report = parseBody(request, DeployOutcome);
    const [owner = '', name = ''] = report.repository.split('/');
    const environment = environmentOf(deps, owner, name);
    // Only the environment whose secret signed the report may speak for its instances: a workflow of another
    // environment that knows a run id is answered as an unsigned report is (the same 401: nothing leaks).
    if (!environment || !signedFor.includes(environment)) throw notSignedFor(header);
    const succeeded = report.outcome === 'success';
    const resources = succeeded && report.action === 'apply' ? resourcesOf(report.outputs) : undefined;
    const where = { runId: report.runId, tenantId: report.tenantId, repository: report.repository };
    const webhook = 'deploy-outcome';
    const found = await target(deps, environment, report.tenantId, report.runId);
    if (!found.found) {
      const { found: _, reason, ...more } = found;
      return ignored(deps, webhook, reason, { ...where, ...more });
    }
    const ctx: StepContext = {
      instanceId: found.instanceId,
      tenantId: report.tenantId,
      eventId: report.eventId,
      correlationId: request.correlationId,
    };
    const change = found.state.change.n;
    // A service that is not this instance's (another tenant's, another environment's, no tenant's) refuses the
    // whole report before anything is recorded: the signature only says some environment repository sent it.
    const wrong = resources && notThisInstance(resources, found.state);
    if (wrong) {
      const field = wrong.field === 'serviceArn' ? 'outputs.service_arn' : 'outputs.service_name';
      throw new UnprocessableError(field, 'service_not_this_instance', wrong.message);
    }
    if (resources) inEnvironment(resources, environment, deps.placements[environment]);
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

type Resources = z.infer<typeof ResourcesSchema>;

/** The outputs that are ARNs, by their output name. */
const ARN_OUTPUTS = {
  service_arn: 'serviceArn',
  task_definition_arn: 'taskDefinitionArn',
  target_group_arn: 'targetGroupArn',
  database_secret_arn: 'databaseSecretArn',
  app_password_secret_arn: 'appPasswordSecretArn',
} as const satisfies Record<string, keyof Resources>;

/**
 * The outputs must be where the environment's services are (ecs/workloads.ts): every ARN in its account (Terraform
 * applies there with the environment's deploy role), 422 `not_in_environment_account` naming the output; the
 * service under its cluster, the one ECS control acts in and the state sync reports on (the same rule as the
 * sync's), 422 `not_in_environment_cluster`. A service of the right name elsewhere is not this instance's. An
 * environment whose cluster is not known (no CONTROL_PLANE_ACCOUNT and no roleArn) cannot be checked: an error, and
 * nothing recorded (the state sync would drop its facts too).
 */
function inEnvironment(
  resources: Resources,
  environment: InstanceEnvironment,
  placement: Pick<WorkloadPlacement, 'account' | 'clusterArn'> | undefined,
) {
  const { account, clusterArn } = placement ?? {};
  if (account === undefined || clusterArn === undefined)
    throw new Error(
      `the cluster of ${environment} is not known (no roleArn in WORKLOAD_ENVIRONMENTS and no CONTROL_PLANE_ACCOUNT)`,
    );
  for (const [output, field] of Object.entries(ARN_OUTPUTS)) {
    const arn = resources[field];
    if (arn !== undefined && accountOfArn(arn) !== account)
      throw new UnprocessableError(
        `outputs.${output}`,
        'not_in_environment_account',
        `must be in ${environment}'s account ${account}`,
      );
  }
  if (!inCluster(resources.serviceArn, clusterArn))
    throw new UnprocessableError(
      'outputs.service_arn',
      'not_in_environment_cluster',
      `must be a service of ${environment}'s cluster ${clusterArn}`,
    );
}

export const webhookRoutes: readonly Route<WebhookDependencies>[] = [workflowRun, deployOutcome];
