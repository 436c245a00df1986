import { createHmac } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { runningInstance } from '../ecs/instance-fixtures.js';
import { serviceName } from '../terraform/naming.js';
import { webhookRoutes } from './webhook.routes.js';

// Review 2: the deploy-outcome webhook checks a reported ARN's account only. ECS control acts in the cluster the
// recorded service ARN names (ecs-control.port.ts serviceOfArn) and the state sync drops every fact of a service
// outside the environment's cluster and region (ecs-state-sync.ts). A report naming this tenant's service in
// another cluster or region of the environment's own account is recorded: the instance's ARN then names a service
// the state sync never reports on (stuck in PROVISIONING, its `ecs-service:` claim on the wrong ARN) and that ECS
// control scales in another cluster.

const DEV_SECRET = 'deploy-outcome-secret-of-dev';
const DEV_ACCOUNT = '111111111111';
const signWith = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

function world() {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const deps = {
    runner,
    store,
    credentials: async () => ({ token: 't', webhookSecret: 'w', deployOutcomeSecrets: { dev: DEV_SECRET } }),
    placements: {
      dev: { account: DEV_ACCOUNT, clusterArn: `arn:aws:ecs:af-south-1:${DEV_ACCOUNT}:cluster/bbws-dev` },
    },
    repositories: { dev: { owner: 'o', name: 'dev-env' } },
    logger: new Logger({ logLevel: 'SILENT' }),
  };
  const route = webhookRoutes.find((r) => r.path === '/v1.0/webhooks/deploy-outcome');
  if (!route) throw new Error('no deploy-outcome route');
  const post = (report: object) => {
    const rawBody = JSON.stringify(report);
    const headers = {
      'content-type': 'application/json',
      'x-bbws-signature-256': signWith(DEV_SECRET, rawBody),
    };
    return route.handle({ rawBody, headers, correlationId: ulid() } as never, deps as never);
  };
  return { runner, store, post };
}

const report = (tenantId: string, serviceArn: string) => ({
  tenantId,
  action: 'apply',
  eventId: ulid(),
  outcome: 'success',
  runId: 7,
  repository: 'o/dev-env',
  outputs: { service_arn: serviceArn },
});

describe('deploy-outcome: a service ARN in the right account but outside the environment (review 2)', () => {
  it.each([
    [
      'another cluster (prod-named) of dev’s account',
      (t: string) => `arn:aws:ecs:af-south-1:${DEV_ACCOUNT}:service/bbws-prod/${serviceName('dev', t)}`,
    ],
    [
      'another region of dev’s account',
      (t: string) => `arn:aws:ecs:eu-west-1:${DEV_ACCOUNT}:service/bbws-dev/${serviceName('dev', t)}`,
    ],
  ])('%s: refused (422), nothing recorded', async (_label, arnOf) => {
    const { runner, store, post } = world();
    const a = await runningInstance(runner, { environment: 'dev' });
    const arn = arnOf(a.tenantId);
    const version = (await store.load(a.streamId)).version;
    const outcome = await post(report(a.tenantId, arn)).then(
      (r) => ({ ok: r }),
      (error: unknown) => ({ error }),
    );
    expect(
      outcome,
      'a service outside the environment’s cluster/region is not this instance’s',
    ).toHaveProperty('error');
    expect(await store.reservationHolder(`ecs-service:${arn}`)).toBeUndefined();
    expect((await store.load(a.streamId)).version).toBe(version);
  });
});
