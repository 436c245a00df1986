import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ulid } from 'ulid';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { httpHandler } from '#src/platform/http/http-handler.js';
import type { InstanceCommand } from '../../domain/instance.commands.js';
import { instanceDecider } from '../../domain/instance.decider.js';
import type { InstanceEnvironment } from '../../domain/instance.events.js';
import type { InstanceState } from '../../domain/instance.state.js';
import { instanceStream } from '../../domain/instance.stream.js';
import { BIGGER_PLAN } from '../../domain/transition-table.js';
import { IsomorphicGitEnvironmentRepository } from '../../git/isomorphic-git.environment-repository.js';
import {
  type Harness,
  OUTCOME_SECRETS,
  quiet,
  startHarness,
  TOKEN,
  WEBHOOK_SECRET,
} from '../../local/test-support/harness.js';
import { inMemoryCredentials } from '../credentials.js';
import { DEFAULT_WORDPRESS_IMAGE } from '../folder.js';
import { followRun } from '../follow.js';
import { OctokitDeployWorkflow } from '../octokit.github.js';
import type { FollowUp } from '../ports.js';
import { type ProvisionerDependencies, provisionChange } from '../provisioner.js';
import { loadInstance } from '../steps.js';
import { type WebhookDependencies, webhookRoutes } from '../webhook.routes.js';

export const logger = new Logger({ logLevel: 'SILENT' });
const git = promisify(execFile);

/**
 * The provisioner on the real parts: the local git server and GitHub stand-in (their workflow really runs the
 * pushed folder against the ECS stand-in), the isomorphic-git adapter, octokit, and the in-memory event store.
 * Follow-ups run in process after a short delay instead of through SQS (the runtime test covers the queue).
 */
export async function startProvisionerHarness(options: { follow?: boolean } = {}) {
  const local: Harness = await startHarness();
  const cacheRoot = await mkdtemp(join(tmpdir(), 'bbws-provisioner-'));
  const inner = new InMemoryEventStore(catalogue);
  const faults: ((events: readonly { type: string }[]) => void)[] = [];
  const store: EventStore = Object.assign(Object.create(inner) as EventStore, {
    append: async (...args: Parameters<EventStore['append']>) => {
      for (const fault of faults) fault(args[2]);
      return inner.append(...args);
    },
  });
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const pending = new Set<Promise<void>>();
  const failures: unknown[] = [];
  let clones = 0;
  /** One adapter (one cached clone) per call: as separate Lambdas, so concurrent pushes really race. */
  const repositoryRef = (environment: InstanceEnvironment) => {
    const { owner, name, url } = local.standIns.git.repositories[environment];
    return { owner, name, url };
  };
  const deps: ProvisionerDependencies = {
    runner,
    store,
    environments: (environment) => {
      const { owner, name, url } = repositoryRef(environment);
      return {
        repository: { owner, name },
        git: new IsomorphicGitEnvironmentRepository({
          url,
          token: async () => TOKEN,
          cacheRoot: join(cacheRoot, `clone-${++clones}`),
        }),
      };
    },
    workflow: new OctokitDeployWorkflow(async () => TOKEN, local.standIns.githubUrl),
    // The real backoff, a second of it as 10 ms.
    schedule: async (followUp: FollowUp, delaySeconds: number) => {
      if (options.follow === false) return;
      const p = new Promise<void>((resolve) => setTimeout(resolve, delaySeconds * 10))
        .then(() => followRun(deps, followUp, logger))
        .catch((error) => void failures.push(error));
      pending.add(p);
      void p.finally(() => pending.delete(p));
    },
    folders: {
      region: 'af-south-1',
      image: DEFAULT_WORDPRESS_IMAGE,
      siteBaseDomain: 'bbws.test',
      adminEmail: 'ops@bbws.test',
    },
  };
  const webhookDeps: WebhookDependencies = {
    runner,
    store,
    credentials: inMemoryCredentials({
      token: TOKEN,
      webhookSecret: WEBHOOK_SECRET,
      deployOutcomeSecrets: OUTCOME_SECRETS,
    }),
    repositories: Object.fromEntries(
      (['dev', 'sit', 'prod'] as const).map((e) => [
        e,
        { owner: repositoryRef(e).owner, name: repositoryRef(e).name },
      ]),
    ),
    // The stand-ins run every environment in one account (startHarness): the check runs, and passes.
    placements: Object.fromEntries(
      (['dev', 'sit', 'prod'] as const).map((e) => [
        e,
        { account: '000000000000', clusterArn: `arn:aws:ecs:af-south-1:000000000000:cluster/bbws-${e}` },
      ]),
    ),
    logger,
  };
  const webhooks = httpHandler(webhookRoutes, {
    verifier: () => ({ verify: async () => ({ sub: 'x', platformRoles: [] }) }),
    logger,
    routeDeps: () => webhookDeps,
  });

  const command = (instanceId: string, cmd: InstanceCommand) =>
    runner.run({
      decider: instanceDecider,
      streamId: instanceStream.id(instanceId),
      command: cmd,
      metadata: { correlationId: ulid(), actor: 'test' },
      result: () => undefined,
    });
  /** The change-starting event as the consumer passes it. */
  const startOf = (event: EventEnvelope) => ({
    eventId: event.eventId,
    streamId: event.streamId,
    correlationId: event.metadata.correlationId,
    occurredAt: event.occurredAt,
    change: (event.data as { change: number }).change,
  });

  return {
    local,
    store,
    deps,
    webhookDeps,
    failures,
    /** A new instance of a new tenant (INSTANCE_PROVISIONING_REQUESTED, change 1): its id and that event. */
    async request(environment: InstanceEnvironment = 'dev', priority = 1) {
      const instanceId = ulid();
      const outcome = await command(instanceId, {
        type: 'RequestProvisioning',
        instanceId,
        tenantId: ulid(),
        environment,
        tenantEnvironment: 'prod',
        plan: BIGGER_PLAN,
        albSlot: { alb: 1, priority },
      });
      return { instanceId, event: outcome.events[0] as EventEnvelope };
    },
    command,
    /** Runs the provisioner's consumer logic on a change-starting event. */
    provision: (event: EventEnvelope) => provisionChange(deps, startOf(event), logger),
    state: (instanceId: string): Promise<InstanceState> => loadInstance(store, instanceId),
    events: (instanceId: string) => store.readStream(instanceStream.id(instanceId)),
    /** The next appends holding an event of `type` fail (a crash after the work, before its report). */
    failAppendOf(type: string, times = 1) {
      let left = times;
      faults.push((events) => {
        if (left > 0 && events.some((e) => e.type === type)) {
          left -= 1;
          throw new Error(`simulated crash before ${type} was appended`);
        }
      });
    },
    /** Waits for every follow-up (and those they schedule) to finish. */
    async settled() {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    /** `git log` of the environment repository's main branch: the subjects. */
    async log(environment: InstanceEnvironment): Promise<string[]> {
      const { stdout } = await git('git', [
        '-C',
        local.standIns.git.repositories[environment].bare,
        'log',
        '--format=%s',
        'main',
      ]);
      return stdout.split('\n').filter((l) => l !== '');
    },
    async head(environment: InstanceEnvironment, folder?: string): Promise<string> {
      const args = [
        '-C',
        local.standIns.git.repositories[environment].bare,
        'log',
        '-1',
        '--format=%H',
        'main',
      ];
      const { stdout } = await git('git', folder ? [...args, '--', folder] : args);
      return stdout.trim();
    },
    async tree(environment: InstanceEnvironment): Promise<string[]> {
      const bare = local.standIns.git.repositories[environment].bare;
      const { stdout } = await git('git', ['-C', bare, 'ls-tree', '--name-only', 'main', 'tenants/']);
      return stdout.split('\n').filter((l) => l !== '');
    },
    /** POSTs to a webhook route through the real HTTP wrapper. */
    async webhook(
      path: '/v1.0/webhooks/github' | '/v1.0/webhooks/deploy-outcome',
      body: string,
      headers: Record<string, string>,
    ) {
      const result = (await webhooks({
        routeKey: `POST ${path}`,
        rawPath: path,
        headers: { 'content-type': 'application/json', ...headers },
        body,
      } as unknown as APIGatewayProxyEventV2)) as APIGatewayProxyStructuredResultV2;
      return {
        status: result.statusCode ?? 0,
        headers: (result.headers ?? {}) as Record<string, string>,
        body: result.body ? (JSON.parse(result.body) as Record<string, unknown>) : {},
      };
    },
    quiet,
    async stop() {
      await local.stop();
      await rm(cacheRoot, { recursive: true, force: true });
    },
  };
}

export type ProvisionerHarness = Awaited<ReturnType<typeof startProvisionerHarness>>;
