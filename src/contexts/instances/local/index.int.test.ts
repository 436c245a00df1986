import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateServiceCommand, ECSClient, RegisterTaskDefinitionCommand } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalStandInsEnvironment } from '#src/platform/context.js';
import { accountAccessKey } from '#src/platform/local/iam/sessions.js';
import { type RunningRuntime, startLocalRuntime } from '#src/platform/local/runtime.js';
import { resolveRef } from './git/bare-repository.js';
import { type InstancesLocal, startInstancesLocal } from './index.js';
import { LOCAL_WORKLOAD_ACCOUNTS } from './instances-stand-ins.js';
import { localCredentials, waitFor } from './test-support/wait.js';

let stateDir: string;
let runtime: RunningRuntime;

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'bbws-instances-hook-'));
  runtime = await startLocalRuntime({
    stage: 'rt',
    stateDir,
    pollMs: 10,
    logLevel: 'ERROR',
    contexts: [{ name: 'instances', local: 'src/contexts/instances/local/index.startInstancesLocal' }],
  });
});
afterAll(async () => {
  await runtime?.stop();
  await rm(stateDir, { recursive: true, force: true });
});

describe('the instances stand-ins started by the local runtime (BoundedContext.local)', () => {
  it("puts their endpoints into the functions' environment and says where they run", () => {
    const standIns = runtime.standIns.get('instances') as InstancesLocal | undefined;
    expect(standIns).toBeDefined();
    expect(process.env.ECS_ENDPOINT).toBe(standIns?.standIns.aws.endpoint);
    expect(process.env.GITHUB_API_URL).toBe(standIns?.standIns.githubUrl);
    expect(JSON.parse(process.env.WORKLOAD_ENVIRONMENTS ?? '{}').prod).toMatchObject({
      cluster: 'bbws-prod',
      repository: { owner: 'bbws-local', name: 'bbws-environment-prod' },
    });
    expect(runtime.describe().join('\n')).toMatch(/GitHub API .*\n.*bbws-environment-dev/);
  });

  it('keeps the GitHub credentials in Secrets Manager, as the control plane reads them in AWS', async () => {
    const secrets = new SecretsManagerClient({
      region: 'af-south-1',
      endpoint: process.env.SECRETS_MANAGER_ENDPOINT ?? '',
      credentials: localCredentials,
    });
    const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: 'bbws/rt/github' }));
    secrets.destroy();
    expect(JSON.parse(SecretString ?? '{}')).toEqual({
      token: process.env.LOCAL_GITHUB_TOKEN,
      webhookSecret: process.env.LOCAL_GITHUB_WEBHOOK_SECRET,
      deployOutcomeSecrets: JSON.parse(process.env.LOCAL_DEPLOY_OUTCOME_SECRETS ?? '{}'),
    });
  });

  it("sends ECS events onto the runtime's default bus, with the workload account's id", async () => {
    // as the dev account itself (the control plane's own key finds no cluster there)
    const ecs = new ECSClient({
      region: 'af-south-1',
      endpoint: process.env.ECS_ENDPOINT ?? '',
      credentials: accountAccessKey(LOCAL_WORKLOAD_ACCOUNTS.dev),
    });
    try {
      const family = 'bbws-dev-tenant-01JD9A0B1C2D3E4F5G6H7J8K9P';
      const { taskDefinition } = await ecs.send(
        new RegisterTaskDefinitionCommand({ family, cpu: '256', memory: '512', containerDefinitions: [] }),
      );
      const { service } = await ecs.send(
        new CreateServiceCommand({
          cluster: 'bbws-dev',
          serviceName: family,
          desiredCount: 0,
          taskDefinition: taskDefinition?.taskDefinitionArn,
        }),
      );
      const arrival = await waitFor(
        () =>
          runtime.eventBridge.arrivals.find(
            (a) => (a.event.resources as string[])[0] === service?.serviceArn,
          ),
        (a) => a !== undefined,
      );
      expect(arrival).toMatchObject({
        bus: 'default',
        event: {
          source: 'aws.ecs',
          'detail-type': 'ECS Deployment State Change',
          account: LOCAL_WORKLOAD_ACCOUNTS.dev,
        },
      });
    } finally {
      ecs.destroy();
    }
  });
});

describe('the environment repositories across restarts', () => {
  it('keeps them under the state folder and does not seed them again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'bbws-instances-restart-'));
    const env: LocalStandInsEnvironment = {
      stage: 'rt',
      region: 'af-south-1',
      account: '000000000000',
      stateDir: dir,
      httpUrl: 'http://127.0.0.1:9',
      putServiceEvent: () => {},
      log: () => {},
    };
    try {
      const first = (await startInstancesLocal(env)) as InstancesLocal;
      const bare = first.standIns.git.repositories.sit.bare;
      const head = await resolveRef(bare, 'main');
      await first.stop();
      const second = (await startInstancesLocal(env)) as InstancesLocal;
      expect(second.standIns.git.repositories.sit.bare).toBe(bare);
      expect(await resolveRef(bare, 'main')).toBe(head);
      await second.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
