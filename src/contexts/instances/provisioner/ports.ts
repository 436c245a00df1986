import type { InstanceEnvironment } from '../domain/instance.events.js';
import type { EnvironmentRepository } from '../git/environment-repository.port.js';

/** A GitHub repository, as the REST API names it. */
export interface RepositoryRef {
  owner: string;
  name: string;
}

export type WorkflowAction = 'apply' | 'destroy';

/** A run of the deploy workflow as the provisioner reads it. */
export interface WorkflowRunView {
  id: number;
  /** The run's page (html_url): what the instance's status links to. */
  url: string;
  status: string;
  conclusion: string | null;
  title: string;
}

/** The environment repositories' deploy workflow on GitHub Actions (octokit.github.ts; a stand-in locally). */
export interface DeployWorkflow {
  /** The newest run whose name is exactly `title`, dispatched since `since` (ISO time). */
  findRun(repository: RepositoryRef, title: string, since: string): Promise<WorkflowRunView | undefined>;
  dispatch(
    repository: RepositoryRef,
    inputs: { tenantId: string; action: WorkflowAction; eventId: string },
  ): Promise<{ id: number; url: string }>;
  run(repository: RepositoryRef, runId: number): Promise<WorkflowRunView>;
}

/** What the secret `bbws/<stage>/github` holds (credentials.ts reads it). */
export interface GitHubCredentials {
  token: string;
  webhookSecret: string;
  /**
   * Each environment repository's `BBWS_CONTROL_PLANE_WEBHOOK_SECRET`: a report is trusted only for the environment
   * whose secret signs it. An environment without one takes no report.
   */
  deployOutcomeSecrets: Partial<Record<InstanceEnvironment, string>>;
}

export type CredentialsProvider = () => Promise<GitHubCredentials>;

/** A poll of one run, due later (the follow-up queue's message). */
export interface FollowUp {
  instanceId: string;
  tenantId: string;
  change: number;
  runId: number;
  action: WorkflowAction;
  /** The event that started the change (commit messages and run names carry it). */
  eventId: string;
  correlationId: string;
  attempt: number;
}

/** Sends a follow-up with a delay (SQS DelaySeconds, at most 900): never a sleeping Lambda. */
export type ScheduleFollowUp = (followUp: FollowUp, delaySeconds: number) => Promise<void>;

/** Where an environment's Terraform lives and runs. */
export interface WorkloadEnvironment {
  repository: RepositoryRef;
  git: EnvironmentRepository;
}

export type Environments = (environment: InstanceEnvironment) => WorkloadEnvironment;

/** The commit message and run name both carry the causing event id: reconciliation finds them by it. */
export const eventTag = (eventId: string): string => `[event ${eventId}]`;
export const runTitle = (action: WorkflowAction, tenantId: string, eventId: string): string =>
  `${action} tenant ${tenantId} ${eventTag(eventId)}`;
const RUN_TITLE = /^(apply|destroy) tenant (\S+) \[event ([A-Za-z0-9_-]{1,64})\]$/;
export function parseRunTitle(
  title: string,
): { action: WorkflowAction; tenantId: string; eventId: string } | undefined {
  const match = RUN_TITLE.exec(title);
  if (!match) return undefined;
  return { action: match[1] as WorkflowAction, tenantId: match[2] ?? '', eventId: match[3] ?? '' };
}
