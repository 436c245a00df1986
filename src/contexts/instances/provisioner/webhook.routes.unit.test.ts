import { createHmac } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ulid } from 'ulid';
import { describe, expect, it, vi } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { stateOf } from '#src/platform/command/dependency.js';
import { IllegalStateError, UnprocessableError } from '#src/platform/domain/errors.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { httpHandler } from '#src/platform/http/http-handler.js';
import { instanceDecider } from '../domain/instance.decider.js';
import { activeInstance, runningInstance, serviceArnOf } from '../ecs/instance-fixtures.js';
import { type WorkloadTarget, workloadPlacements } from '../ecs/workloads.js';
import { webhookRoutes } from './webhook.routes.js';

const SECRET = 'deploy-outcome-secret';
const DEV_SECRET = 'deploy-outcome-secret-of-dev';
const signWith = (secret: string, body: string) =>
  `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
const sign = (body: string) => signWith(SECRET, body);

/** Where dev and prod are, as the wiring reads them (single-account unless a role is given). */
const placements = (roles: { dev?: string; prod?: string } = {}) => {
  const target = (e: 'dev' | 'prod'): WorkloadTarget => ({ cluster: `bbws-${e}`, roleArn: roles[e] });
  return workloadPlacements(
    { dev: target('dev'), prod: target('prod') },
    { account: '000000000000', region: 'af-south-1' },
  );
};

function world(where: ReturnType<typeof placements> = placements()) {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const logger = new Logger({ logLevel: 'SILENT' });
  const info = vi.spyOn(logger, 'info');
  const deps = {
    runner,
    store,
    credentials: async () => ({
      token: 't',
      webhookSecret: 'w',
      deployOutcomeSecrets: { dev: DEV_SECRET, prod: SECRET },
    }),
    placements: where,
    repositories: { dev: { owner: 'o', name: 'dev-env' }, prod: { owner: 'o', name: 'prod-env' } },
    logger,
  };
  const route = webhookRoutes.find((r) => r.path === '/v1.0/webhooks/deploy-outcome');
  if (!route) throw new Error('no deploy-outcome route');
  const post = (report: object, secret = SECRET) => {
    const rawBody = JSON.stringify(report);
    const headers = { 'content-type': 'application/json', 'x-bbws-signature-256': signWith(secret, rawBody) };
    return route.handle({ rawBody, headers, correlationId: ulid() } as never, deps as never);
  };
  /** Through the platform's HTTP wrapper: what the caller gets (status, content type, problem). */
  const handler = httpHandler(webhookRoutes, {
    verifier: () => ({ verify: async () => ({ sub: 'x', platformRoles: [] }) }),
    logger,
    routeDeps: () => deps as never,
  });
  const send = async (path: string, body: string, headers: Record<string, string>) => {
    const result = (await handler({
      routeKey: `POST ${path}`,
      rawPath: path,
      headers: { 'content-type': 'application/json', ...headers },
      body,
    } as unknown as APIGatewayProxyEventV2)) as APIGatewayProxyStructuredResultV2;
    return {
      status: result.statusCode,
      type: result.headers?.['content-type'],
      problem: JSON.parse(String(result.body ?? '{}')) as Record<string, unknown>,
    };
  };
  const head = async (streamId: string) =>
    stateOf(instanceDecider, await store.load(streamId)) as {
      status: string;
      resources?: { serviceArn: string };
    };
  const report = (tenantId: string, serviceArn: string) => ({
    tenantId,
    action: 'apply',
    eventId: ulid(),
    outcome: 'success',
    runId: 7,
    repository: 'o/prod-env',
    outputs: { service_arn: serviceArn },
  });
  const ignoredLogs = () => info.mock.calls.filter(([message]) => message === 'webhook ignored');
  return { store, runner, post, send, head, report, ignoredLogs };
}

describe('the deploy-outcome webhook and the ecs-service mapping (review 10, #2)', () => {
  it('records the resources even when the outcome starts a folder sync (suspended during the run)', async () => {
    const { runner, post, head, store, report } = world();
    const a = await runningInstance(runner, { environment: 'prod' });
    await a.run({ type: 'Suspend', reason: 'tenant parked' });
    await expect(post(report(a.tenantId, a.serviceArn))).resolves.toMatchObject({ status: 202 });
    const state = await head(a.streamId);
    expect(state.resources?.serviceArn).toBe(a.serviceArn);
    expect(await store.reservationHolder(`ecs-service:${a.serviceArn}`)).toBe(a.streamId);
    const types = (await store.readStream(a.streamId)).map((e) => e.type);
    expect(types.slice(-3)).toEqual([
      'INSTANCE_RESOURCES_RECORDED',
      'INSTANCE_WORKFLOW_SUCCEEDED',
      'INSTANCE_FOLDER_SYNC_REQUESTED',
    ]);
  });

  it('records the outputs of the current change once: the same report again changes nothing', async () => {
    const { runner, post, head, store, report } = world();
    const a = await activeInstance(runner, { environment: 'prod', withResources: false });
    const same = report(a.tenantId, a.serviceArn);
    await expect(post(same)).resolves.toMatchObject({ status: 202, body: { result: 'recorded' } });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(a.serviceArn);
    const version = (await store.load(a.streamId)).version;
    await expect(post(same)).resolves.toMatchObject({ status: 202 });
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("refuses a report naming ANOTHER tenant's service (422 outputs.service_arn), nothing recorded", async () => {
    const { runner, post, head, store, report } = world();
    const a = await activeInstance(runner, { environment: 'prod' }); // change 1 ran as run 7, long succeeded
    const victimArn = serviceArnOf('prod', ulid());
    const version = (await store.load(a.streamId)).version;
    await expect(post(report(a.tenantId, victimArn))).rejects.toMatchObject({
      constructor: UnprocessableError,
      field: 'outputs.service_arn',
      code: 'service_not_this_instance',
    });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(a.serviceArn);
    expect(await store.reservationHolder(`ecs-service:${victimArn}`)).toBeUndefined();
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("refuses a service of no tenant, or of this tenant's other environment, for a prod instance (422)", async () => {
    const { runner, post, head, store, report } = world();
    const a = await activeInstance(runner, { environment: 'prod', withResources: false });
    const version = (await store.load(a.streamId)).version;
    for (const arn of [
      'arn:aws:ecs:af-south-1:000000000000:service/x/bogus',
      serviceArnOf('dev', a.tenantId),
    ]) {
      await expect(post(report(a.tenantId, arn))).rejects.toMatchObject({ field: 'outputs.service_arn' });
    }
    await expect(
      post({
        ...report(a.tenantId, a.serviceArn),
        outputs: { service_arn: a.serviceArn, service_name: 'x' },
      }),
    ).rejects.toMatchObject({ field: 'outputs.service_name' });
    expect((await head(a.streamId)).resources).toBeUndefined();
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("refuses other outputs for a change that recorded its own (409 resources_already_recorded): the tenant's name in another account", async () => {
    // prod's account is now 999999999999 (its role moved): the report passes the placement check, not the decider
    const { runner, post, head, store, report } = world(
      placements({ prod: 'arn:aws:iam::999999999999:role/bbws-control-prod' }),
    );
    const a = await activeInstance(runner, { environment: 'prod' });
    const elsewhere = serviceArnOf('prod', a.tenantId, '999999999999');
    await expect(post(report(a.tenantId, elsewhere))).rejects.toMatchObject({
      constructor: IllegalStateError,
      code: 'resources_already_recorded',
    });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(a.serviceArn);
    expect(await store.reservationHolder(`ecs-service:${elsewhere}`)).toBeUndefined();
  });
});

describe('the deploy-outcome webhook refuses a broken report with a 4xx naming the problem, nothing appended', () => {
  it('a body that is not JSON: 400 problem+json naming the body', async () => {
    const { runner, send, store } = world();
    const a = await runningInstance(runner, { environment: 'prod' });
    const version = (await store.load(a.streamId)).version;
    const body = '{"tenantId": "x", oops';
    const answer = await send('/v1.0/webhooks/deploy-outcome', body, { 'x-bbws-signature-256': sign(body) });
    expect(answer).toMatchObject({ status: 400, type: 'application/problem+json' });
    expect(answer.problem).toMatchObject({ detail: 'the body is not valid JSON' });
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it('outputs that are not what Terraform gives: 422 naming outputs.<name>', async () => {
    const { runner, post, send, store, report } = world();
    const a = await runningInstance(runner, { environment: 'prod' });
    const version = (await store.load(a.streamId)).version;
    const cases: [Record<string, unknown>, string][] = [
      [{ service_arn: 42 }, 'outputs.service_arn'],
      [{}, 'outputs.service_arn'],
      [{ tenant_id: a.tenantId }, 'outputs.service_arn'],
      [{ service_arn: a.serviceArn, task_definition_arn: 'not-an-arn' }, 'outputs.task_definition_arn'],
      [{ service_arn: a.serviceArn, efs_access_point_id: 'x'.repeat(200) }, 'outputs.efs_access_point_id'],
    ];
    for (const [outputs, field] of cases) {
      await expect(post({ ...report(a.tenantId, a.serviceArn), outputs }), field).rejects.toMatchObject({
        constructor: UnprocessableError,
        field,
      });
    }
    const body = JSON.stringify({ ...report(a.tenantId, a.serviceArn), outputs: { service_arn: 7 } });
    const answer = await send('/v1.0/webhooks/deploy-outcome', body, { 'x-bbws-signature-256': sign(body) });
    expect(answer).toMatchObject({ status: 422, type: 'application/problem+json' });
    expect(String(answer.problem.detail)).toContain('outputs.service_arn');
    const outputsNotAnObject = JSON.stringify({ ...report(a.tenantId, a.serviceArn), outputs: 'x' });
    const malformed = await send('/v1.0/webhooks/deploy-outcome', outputsNotAnObject, {
      'x-bbws-signature-256': sign(outputsNotAnObject),
    });
    expect(malformed.status).toBe(400);
    expect(String(malformed.problem.detail)).toContain('outputs');
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it('a failed run needs no outputs: its outcome is recorded', async () => {
    const { runner, post, head, report } = world();
    const a = await runningInstance(runner, { environment: 'prod' });
    const failed = { ...report(a.tenantId, a.serviceArn), outcome: 'failure', outputs: {} };
    await expect(post(failed)).resolves.toMatchObject({ status: 202, body: { result: 'recorded' } });
    expect((await head(a.streamId)).status).toBe('FAILED');
  });
});

describe('a valid report that is ignored is logged with its reason (202 ignored)', () => {
  it('an unknown run, an unknown tenant: one log line each', async () => {
    const { runner, post, store, report, ignoredLogs } = world();
    const a = await runningInstance(runner, { environment: 'prod' });
    const version = (await store.load(a.streamId)).version;
    const ignoredAnswer = { status: 202, body: { result: 'ignored' } };
    await expect(post({ ...report(a.tenantId, a.serviceArn), runId: 8 })).resolves.toMatchObject(
      ignoredAnswer,
    );
    await expect(post(report(ulid(), a.serviceArn))).resolves.toMatchObject(ignoredAnswer);
    expect(ignoredLogs().map(([, fields]) => fields)).toEqual([
      expect.objectContaining({
        webhook: 'deploy-outcome',
        reason: "not the run of the instance's current change",
        runId: 8,
        currentRunId: 7,
        instanceId: a.instanceId,
      }),
      expect.objectContaining({ reason: 'no instance of the tenant in the environment' }),
    ]);
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("a stale change's report (the run of change 1 after change 2 began) is logged as not the current run", async () => {
    const { runner, post, report, ignoredLogs } = world();
    const a = await activeInstance(runner, { environment: 'prod' });
    await runner.run({
      decider: instanceDecider,
      streamId: a.streamId,
      command: { type: 'Deprovision', reason: 'test' },
      metadata: { correlationId: ulid(), actor: 'test' },
      result: () => undefined,
    });
    await expect(post(report(a.tenantId, a.serviceArn))).resolves.toMatchObject({
      body: { result: 'ignored' },
    });
    expect(ignoredLogs()).toEqual([
      ['webhook ignored', expect.objectContaining({ change: 2, runId: 7, instanceId: a.instanceId })],
    ]);
  });

  it('the workflow_run webhook logs another event and a run that is not the deploy workflow', async () => {
    const { send, ignoredLogs } = world();
    const sig = (body: string) => `sha256=${createHmac('sha256', 'w').update(body).digest('hex')}`;
    const push = '{"ref":"main"}';
    const run = JSON.stringify({
      action: 'completed',
      workflow_run: {
        id: 5,
        html_url: 'u',
        status: 'completed',
        conclusion: 'success',
        display_title: 'lint',
      },
      repository: { name: 'prod-env', owner: { login: 'o' } },
    });
    const headers = (body: string, event: string) => ({
      'x-hub-signature-256': sig(body),
      'x-github-event': event,
    });
    expect((await send('/v1.0/webhooks/github', push, headers(push, 'push'))).status).toBe(202);
    expect((await send('/v1.0/webhooks/github', run, headers(run, 'workflow_run'))).status).toBe(202);
    expect(ignoredLogs().map(([, fields]) => fields)).toEqual([
      expect.objectContaining({
        webhook: 'workflow_run',
        reason: 'not a workflow_run event',
        eventName: 'push',
      }),
      expect.objectContaining({
        webhook: 'workflow_run',
        reason: 'not a run of the deploy workflow',
        runId: 5,
      }),
    ]);
  });
});

describe('the deploy-outcome webhook trusts a report only for the environment whose secret signed it', () => {
  it("a report for a prod instance signed with dev's secret: the same 401 as a bad signature, nothing appended", async () => {
    const { runner, post, send, store, report } = world();
    const a = await runningInstance(runner, { environment: 'prod' });
    const version = (await store.load(a.streamId)).version;
    await expect(post(report(a.tenantId, a.serviceArn), DEV_SECRET)).rejects.toMatchObject({ status: 401 });
    const body = JSON.stringify(report(a.tenantId, a.serviceArn));
    const crossed = await send('/v1.0/webhooks/deploy-outcome', body, {
      'x-bbws-signature-256': signWith(DEV_SECRET, body),
    });
    const forged = await send('/v1.0/webhooks/deploy-outcome', body, {
      'x-bbws-signature-256': signWith('nobody-s-secret', body),
    });
    const unknownRepository = JSON.stringify({
      ...report(a.tenantId, a.serviceArn),
      repository: 'o/elsewhere',
    });
    const elsewhere = await send('/v1.0/webhooks/deploy-outcome', unknownRepository, {
      'x-bbws-signature-256': sign(unknownRepository),
    });
    const strip = ({
      problem: { correlationId: _, ...problem },
      ...rest
    }: Awaited<ReturnType<typeof send>>) => ({
      ...rest,
      problem,
    });
    expect(strip(crossed)).toEqual(strip(forged));
    expect(strip(elsewhere)).toEqual(strip(forged));
    expect(forged).toMatchObject({ status: 401, type: 'application/problem+json' });
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it("a dev instance's report signed with dev's secret is recorded", async () => {
    const { runner, post, head, report } = world();
    const a = await runningInstance(runner, { environment: 'dev' });
    const own = { ...report(a.tenantId, a.serviceArn), repository: 'o/dev-env' };
    await expect(post(own, DEV_SECRET)).resolves.toMatchObject({ body: { result: 'recorded' } });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(a.serviceArn);
  });

  it('an environment without a secret takes no report (sit here)', async () => {
    const { runner, post, report } = world();
    const a = await runningInstance(runner, { environment: 'prod' });
    const forSit = { ...report(a.tenantId, a.serviceArn), repository: 'o/sit-env' };
    await expect(post(forSit)).rejects.toMatchObject({ status: 401 });
  });
});

describe("the deploy-outcome webhook refuses ARNs outside the environment's account (its roleArn's)", () => {
  const PROD_ACCOUNT = '111111111111';
  const prodInItsAccount = () => placements({ prod: `arn:aws:iam::${PROD_ACCOUNT}:role/bbws-control-prod` });

  it('a service of the right name in another account: 422 outputs.service_arn, nothing appended', async () => {
    const { runner, post, store, report } = world(prodInItsAccount());
    const a = await runningInstance(runner, { environment: 'prod' });
    const version = (await store.load(a.streamId)).version;
    const elsewhere = serviceArnOf('prod', a.tenantId, '999999999999');
    await expect(post(report(a.tenantId, elsewhere))).rejects.toMatchObject({
      constructor: UnprocessableError,
      field: 'outputs.service_arn',
      code: 'not_in_environment_account',
    });
    expect(await store.reservationHolder(`ecs-service:${elsewhere}`)).toBeUndefined();
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it('another output in another account: 422 naming it', async () => {
    const { runner, post, report } = world(prodInItsAccount());
    const a = await runningInstance(runner, { environment: 'prod' });
    const serviceArn = serviceArnOf('prod', a.tenantId, PROD_ACCOUNT);
    const outputs = {
      service_arn: serviceArn,
      target_group_arn: 'arn:aws:elasticloadbalancing:af-south-1:999999999999:targetgroup/t/0123456789abcdef',
    };
    await expect(post({ ...report(a.tenantId, serviceArn), outputs })).rejects.toMatchObject({
      field: 'outputs.target_group_arn',
    });
  });

  it("the environment's own account is recorded; an environment without a role is in the control plane's", async () => {
    const { runner, post, head, report } = world(prodInItsAccount());
    const a = await runningInstance(runner, { environment: 'prod' });
    const own = serviceArnOf('prod', a.tenantId, PROD_ACCOUNT);
    await expect(post(report(a.tenantId, own))).resolves.toMatchObject({ body: { result: 'recorded' } });
    expect((await head(a.streamId)).resources?.serviceArn).toBe(own);
    const d = await runningInstance(runner, { environment: 'dev' });
    const devReport = (arn: string) => ({ ...report(d.tenantId, arn), repository: 'o/dev-env' });
    await expect(
      post(devReport(serviceArnOf('dev', d.tenantId, '222222222222')), DEV_SECRET),
    ).rejects.toMatchObject({
      field: 'outputs.service_arn',
      code: 'not_in_environment_account',
    });
    const controlPlane = serviceArnOf('dev', d.tenantId, '000000000000');
    await expect(post(devReport(controlPlane), DEV_SECRET)).resolves.toMatchObject({
      body: { result: 'recorded' },
    });
    expect((await head(d.streamId)).resources?.serviceArn).toBe(controlPlane);
  });

  it("a service of the environment's account in another cluster: 422 not_in_environment_cluster", async () => {
    const { runner, post, store, report } = world(prodInItsAccount());
    const a = await runningInstance(runner, { environment: 'prod' });
    const version = (await store.load(a.streamId)).version;
    const own = serviceArnOf('prod', a.tenantId, PROD_ACCOUNT);
    const elsewhere = own.replace(':service/bbws-prod/', ':service/bbws-other/');
    await expect(post(report(a.tenantId, elsewhere))).rejects.toMatchObject({
      constructor: UnprocessableError,
      field: 'outputs.service_arn',
      code: 'not_in_environment_cluster',
    });
    expect((await store.load(a.streamId)).version).toBe(version);
  });

  it('an environment whose cluster is not known (no role, no control plane account) records no outputs', async () => {
    const unknown = workloadPlacements(
      { prod: { cluster: 'bbws-prod' } },
      { account: undefined, region: 'af-south-1' },
    );
    const { runner, post, store, report } = world(unknown);
    const a = await runningInstance(runner, { environment: 'prod' });
    const version = (await store.load(a.streamId)).version;
    await expect(post(report(a.tenantId, a.serviceArn))).rejects.toThrow(/the cluster of prod is not known/);
    expect((await store.load(a.streamId)).version).toBe(version);
  });
});
