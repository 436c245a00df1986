import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineRole, LOCAL_PRINCIPAL_HEADER } from './iam/sessions.js';
import { LocalSts } from './sts-server.js';

// Adversarial review of the local STS (commit 521ff2d/54b6597): who the caller is.

const CP = '000000000000';
const DEV = '111111111111';
const ROLE = `arn:aws:iam::${DEV}:role/review-bbws-control-dev`;
const CONTROL = `arn:aws:iam::${CP}:role/bbws-control-plane-t-ecsControl`;

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
  policies: [],
  maxSessionSeconds: 3600,
});

const sts = new LocalSts();
let endpoint = '';
const clients: STSClient[] = [];
beforeAll(async () => {
  endpoint = await sts.listen();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sts.close();
});

/** An STS client that says, in the header the IAM hook sets inside an invocation, that it is `principal`. */
function claiming(principal: string, credentials = { accessKeyId: 'local', secretAccessKey: 'local' }) {
  const client = new STSClient({ region: 'af-south-1', endpoint, credentials, maxAttempts: 1 });
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { headers: Record<string, string> };
      request.headers[LOCAL_PRINCIPAL_HEADER] = principal;
      return next(args);
    },
    { step: 'build', name: 'reviewClaimPrincipal' },
  );
  clients.push(client);
  return client;
}
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: Error) => e.name,
  );

describe('the local STS: the caller is who signed, not who a header says (review)', () => {
  it("refuses the operator's call that claims the trusted function role in the header (outside any invocation)", async () => {
    // No runAs(): this is the operator's (or any code's) own call. AWS knows the caller from the signature only.
    const assume = claiming(CONTROL).send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'bbws-ecsControl' }),
    );
    expect(await outcome(assume)).toBe('AccessDenied');
  });

  it('refuses a made-up ASIA key (AWS: InvalidClientTokenId), with or without the header', async () => {
    const forged = { accessKeyId: 'ASIAFORGED0000000000', secretAccessKey: 'x' };
    const assume = claiming(CONTROL, forged).send(
      new AssumeRoleCommand({ RoleArn: ROLE, RoleSessionName: 'bbws-ecsControl' }),
    );
    expect(await outcome(assume)).toBe('InvalidClientTokenId');
  });
});
