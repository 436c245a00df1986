import { DescribeServicesCommand, ECSClient, UpdateServiceCommand } from '@aws-sdk/client-ecs';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FunctionRole, installSdkEnforcement, runAs } from './iam/enforcement.js';
import { commandChecker } from './iam/middleware.js';
import type { PolicyDocument } from './iam/policy.js';
import {
  accountAccessKey,
  defineRole,
  issueSession,
  principalHeaderValue,
  roleOf,
  verifiedPrincipal,
} from './iam/sessions.js';
import { LocalSts, OPERATOR_ARN } from './sts-server.js';

const CP = '000000000000';
const DEV = '111111111111';
const ROLE = `arn:aws:iam::${DEV}:role/bbws-control-dev`;
const CONTROL = `arn:aws:iam::${CP}:role/bbws-control-plane-t-ecsControl`;
const SERVICE = `arn:aws:ecs:af-south-1:${DEV}:service/bbws-dev/bbws-dev-tenant-a`;

/** The workload role's shape (infra/workload-account.template.json): trusted by one function role of the control plane. */
defineRole({
  arn: ROLE,
  trust: {
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: `arn:aws:iam::${CP}:root` },
        Action: 'sts:AssumeRole',
        Condition: { ArnEquals: { 'aws:PrincipalArn': [CONTROL] } },
      } as never,
    ],
  },
  policies: [
    {
      Statement: [
        {
          Effect: 'Allow',
          Action: 'ecs:DescribeServices',
          Resource: `arn:aws:ecs:af-south-1:${DEV}:service/bbws-dev/*`,
        },
      ],
    },
  ],
  maxSessionSeconds: 3600,
});
/** Trusted by the operator (outside any invocation), allowing 2 h sessions. */
const OPS = `arn:aws:iam::${DEV}:role/ops`;
defineRole({
  arn: OPS,
  trust: {
    Statement: [{ Effect: 'Allow', Principal: { AWS: OPERATOR_ARN }, Action: 'sts:AssumeRole' } as never],
  },
  policies: [],
  maxSessionSeconds: 7200,
});

/** A function role of the control plane, allowed `statements` (plus nothing else). */
function functionRole(name: string, roleArn: string, statements: PolicyDocument['Statement']): FunctionRole {
  const identity = {
    region: 'af-south-1',
    account: CP,
    roleName: roleArn.split('/').pop() ?? '',
    functionName: name,
  };
  return {
    functionName: name,
    check: commandChecker([{ Statement: statements }], identity),
    principalArn: roleArn,
  };
}
const mayAssume = {
  Effect: 'Allow',
  Action: 'sts:AssumeRole',
  Resource: 'arn:aws:iam::*:role/bbws-control-*',
} as const;
/** The function's own policy allows every ECS call: only the assumed role's may decide an assumed call. */
const mayUseEcs = { Effect: 'Allow', Action: 'ecs:*', Resource: '*' } as const;
const ecsControl = functionRole('ecsControl', CONTROL, [mayAssume, mayUseEcs]);
const stranger = functionRole('stranger', `arn:aws:iam::${CP}:role/bbws-control-plane-t-other`, [mayAssume]);
const cannotAssume = functionRole('ecsControl', CONTROL, [mayUseEcs]);

const sts = new LocalSts();
let endpoint = '';
const clients: { destroy(): void }[] = [];
beforeAll(async () => {
  installSdkEnforcement();
  endpoint = await sts.listen();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sts.close();
});

function stsClient(credentials = { accessKeyId: 'local', secretAccessKey: 'local' }) {
  const client = new STSClient({ region: 'af-south-1', endpoint, credentials, maxAttempts: 1 });
  clients.push(client);
  return client;
}
const assume = (input: Partial<AssumeRoleCommand['input']> = {}, client = stsClient()) =>
  client.send(new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'bbws-ecsControl', ...input }));
const failure = (promise: Promise<unknown>) =>
  promise.then(
    () => ({ name: 'ok', message: '' }),
    (e: Error) => ({ name: e.name, message: e.message }),
  );

/**
 * An ECS client signing with `credentials`, whose requests stop before the network: a call the IAM hook allows
 * fails with `Sent` (the hook runs first), a denied one with AccessDeniedException.
 */
function ecsClient(credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  const client = new ECSClient({
    region: 'af-south-1',
    endpoint: 'http://127.0.0.1:9',
    credentials,
    maxAttempts: 1,
  });
  client.middlewareStack.add(
    () => async () => {
      throw Object.assign(new Error('sent'), { name: 'Sent' });
    },
    { step: 'finalizeRequest', name: 'stopBeforeTheNetwork' },
  );
  clients.push(client);
  return client;
}
const describeService = (client: ECSClient) =>
  client.send(new DescribeServicesCommand({ cluster: 'bbws-dev', services: [SERVICE] }));
const updateService = (client: ECSClient) =>
  client.send(new UpdateServiceCommand({ cluster: 'bbws-dev', service: SERVICE, desiredCount: 0 }));

describe('the local STS: AssumeRole over its Query protocol', () => {
  it("issues temporary credentials to a caller the role's trust policy names, parsed by the real SDK", async () => {
    const out = await runAs(ecsControl, () => assume({ DurationSeconds: 900 }));
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(out.Credentials?.SessionToken).toBeTruthy();
    const left = (out.Credentials?.Expiration?.getTime() ?? 0) - Date.now();
    expect(left).toBeGreaterThan(890_000);
    expect(left).toBeLessThanOrEqual(900_000);
    expect(out.AssumedRoleUser?.Arn).toBe(
      `arn:aws:sts::${DEV}:assumed-role/bbws-control-dev/bbws-ecsControl`,
    );
  });

  it("refuses a function role the trust policy does not name, the operator, and another account's key", async () => {
    expect(await failure(runAs(stranger, () => assume()))).toEqual({
      name: 'AccessDenied',
      message: `User: arn:aws:iam::${CP}:role/bbws-control-plane-t-other is not authorized to perform: sts:AssumeRole on resource: ${ROLE}`,
    });
    expect((await failure(assume())).message).toContain(`User: ${OPERATOR_ARN} is not authorized`);
    expect((await failure(assume({}, stsClient(accountAccessKey('222222222222'))))).name).toBe(
      'AccessDenied',
    );
    expect((await failure(assume({ RoleArn: `arn:aws:iam::${DEV}:role/none` }))).name).toBe('AccessDenied');
  });

  it('takes DurationSeconds from 900 to the role maximum, 1 hour for role chaining', async () => {
    expect(await failure(runAs(ecsControl, () => assume({ DurationSeconds: 899 })))).toMatchObject({
      name: 'ValidationError',
      message: expect.stringContaining('greater than or equal to 900'),
    });
    // a function's own credentials are a role session: role chaining, even where the role allows more
    expect((await failure(runAs(ecsControl, () => assume({ DurationSeconds: 3601 })))).message).toBe(
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
    const ops = await assume({ RoleArn: OPS, DurationSeconds: 7200 });
    expect((ops.Credentials?.Expiration?.getTime() ?? 0) - Date.now()).toBeGreaterThan(7_190_000);
    expect((await failure(assume({ RoleArn: OPS, DurationSeconds: 7201 }))).message).toContain(
      'MaxSessionDuration',
    );
  });

  it('refuses AssumeRole when the function role itself lacks sts:AssumeRole, before anything is sent', async () => {
    expect(await failure(runAs(cannotAssume, () => assume()))).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(`not authorized to perform: sts:AssumeRole on resource: ${ROLE}`),
    });
  });
});

describe('the IAM hook on calls made with assumed-role credentials', () => {
  const sessionCredentials = async () => {
    const c = (await runAs(ecsControl, () => assume())).Credentials;
    return {
      accessKeyId: c?.AccessKeyId ?? '',
      secretAccessKey: c?.SecretAccessKey ?? '',
      sessionToken: c?.SessionToken ?? '',
    };
  };

  it("checks them against the assumed role's policy, not the function's", async () => {
    const client = ecsClient(await sessionCredentials());
    // allowed by the role's policy
    expect((await failure(runAs(ecsControl, () => describeService(client)))).name).toBe('Sent');
    // the function's own policy allows ecs:*, the role's does not allow UpdateService: denied
    const update = await failure(runAs(ecsControl, () => updateService(client)));
    expect(update).toMatchObject({
      name: 'AccessDeniedException',
      message: expect.stringContaining(
        `User: arn:aws:sts::${DEV}:assumed-role/bbws-control-dev/bbws-ecsControl is not authorized to perform: ecs:UpdateService`,
      ),
    });
    // outside an invocation too: whoever holds the credentials acts as the role
    expect((await failure(updateService(client))).name).toBe('AccessDeniedException');
  });

  it('refuses expired credentials as AWS does (ExpiredTokenException), at the hook and at STS', async () => {
    const role = roleOf(ROLE);
    if (!role) throw new Error('role not defined');
    const expired = issueSession(role, 'old', 900, Date.now() - 3600_000);
    const credentials = {
      accessKeyId: expired.accessKeyId,
      secretAccessKey: expired.secretAccessKey,
      sessionToken: expired.sessionToken,
    };
    expect((await failure(describeService(ecsClient(credentials)))).name).toBe('ExpiredTokenException');
    expect((await failure(assume({}, stsClient(credentials)))).name).toBe('ExpiredTokenException');
  });
});

describe('the principal header (an invocation role, with this process proof)', () => {
  it('is believed only with the proof this process made', () => {
    const role = 'arn:aws:iam::000000000000:role/bbws-control-plane-t-ecsControl';
    expect(verifiedPrincipal(principalHeaderValue(role))).toBe(role);
    expect(verifiedPrincipal(role)).toBeUndefined();
    expect(verifiedPrincipal(`${role} forged`)).toBeUndefined();
    expect(verifiedPrincipal(principalHeaderValue(role).replace('ecsControl', 'tenantApi'))).toBeUndefined();
  });
});
