import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Octokit } from '@octokit/rest';
import { IsomorphicGitEnvironmentRepository } from '../../git/isomorphic-git.environment-repository.js';
import { generateTenantFolder, type TenantTerraformInput } from '../../terraform/index.js';
import { type InstanceStandIns, startInstanceStandIns } from '../instances-stand-ins.js';
import { localCredentials } from './wait.js';

export interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** The control plane's side of the webhooks: records every POST (answers 200). */
export async function startReceiver(): Promise<{
  url: string;
  received: Received[];
  close(): Promise<void>;
}> {
  const received: Received[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    received.push({
      path: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    });
    res.writeHead(200).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { url, received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

export const TOKEN = 'ghs_localtesttoken';
/** octokit logs every 4xx; the tests provoke them on purpose. */
export const quiet = { debug() {}, info() {}, warn() {}, error() {} };
export const WEBHOOK_SECRET = 'workflow-run-secret';
export const OUTCOME_SECRET = 'deploy-outcome-secret';
/** Each environment repository's own deploy-outcome secret (over OUTCOME_SECRET, which no repository keeps). */
export const OUTCOME_SECRETS = {
  dev: 'deploy-outcome-secret-dev',
  sit: 'deploy-outcome-secret-sit',
  prod: 'deploy-outcome-secret-prod',
} as const;

export interface Harness {
  standIns: InstanceStandIns;
  octokit: Octokit;
  receiver: Awaited<ReturnType<typeof startReceiver>>;
  events: { detailType: string; resources: readonly string[]; detail: Record<string, unknown> }[];
  /** Pushes the tenant's generated folder (or `files`) with the isomorphic-git adapter; the commit sha. */
  push(input: TenantTerraformInput, files?: Record<string, string>): Promise<string>;
  clients: { region: string; endpoint: string; credentials: typeof localCredentials };
  stop(): Promise<void>;
}

/** The instances stand-ins on a temporary state folder with short delays, and a webhook receiver. */
export async function startHarness(): Promise<Harness> {
  const root = await mkdtemp(join(tmpdir(), 'bbws-instances-local-'));
  const receiver = await startReceiver();
  const events: Harness['events'] = [];
  const standIns = await startInstanceStandIns({
    stateDir: root,
    region: 'af-south-1',
    account: '000000000000',
    putEvent: (e) => void events.push(e as Harness['events'][number]),
    token: TOKEN,
    owner: 'bbws-test',
    webhook: { url: `${receiver.url}/github`, secret: WEBHOOK_SECRET },
    variables: { BBWS_CONTROL_PLANE_WEBHOOK_URL: `${receiver.url}/outcome` },
    secrets: { BBWS_CONTROL_PLANE_WEBHOOK_SECRET: OUTCOME_SECRET },
    environmentSecrets: Object.fromEntries(
      Object.entries(OUTCOME_SECRETS).map(([e, secret]) => [
        e,
        { BBWS_CONTROL_PLANE_WEBHOOK_SECRET: secret },
      ]),
    ),
    githubTiming: { queuedMs: 10, inProgressMs: 10, retryMs: 5 },
    ecsTiming: { taskStartMs: 20, taskStopMs: 10, steadyRepeatMs: 1000 },
    autoscalingEnforceMs: 30,
  });
  const octokit = new Octokit({ auth: TOKEN, baseUrl: standIns.githubUrl, log: quiet });
  let caches = 0;
  return {
    standIns,
    octokit,
    receiver,
    events,
    async push(input, files) {
      const folder = generateTenantFolder(input);
      const repository = new IsomorphicGitEnvironmentRepository({
        url: standIns.git.repositories[input.environment].url,
        token: async () => TOKEN,
        cacheRoot: join(root, `cache-${++caches}`),
      });
      const result = await repository.commitTenantFolder({
        folder: folder.folder,
        files: files ?? folder.files,
        message: `Provision ${input.tenantId}`,
        author: { name: 'BBWS control plane', email: 'control-plane@bbws.test' },
      });
      return result.sha;
    },
    clients: { region: 'af-south-1', endpoint: standIns.aws.endpoint, credentials: localCredentials },
    async stop() {
      await standIns.stop();
      await receiver.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}
