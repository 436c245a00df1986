import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  RegisterTaskDefinitionCommand,
} from '@aws-sdk/client-ecs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountAccessKey, issueSession } from '#src/platform/local/iam/sessions.js';
import { localCredentials } from '../test-support/wait.js';
import { type AwsStandIns, startAwsStandIns } from './aws-stand-ins.js';

// Adversarial review of the per-account ECS stand-in (commit 54b6597, "locally no kinder than AWS").

const DEV = '111111111111';
const CONTROL_PLANE = '000000000000';
let aws: AwsStandIns;
const clients: { destroy(): void }[] = [];
const ecs = (credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) => {
  const c = new ECSClient({ region: 'af-south-1', endpoint: aws.endpoint, credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
};
const outcome = (promise: Promise<unknown>) =>
  promise.then(
    () => 'ok',
    (e: Error) => e.name,
  );

beforeAll(async () => {
  aws = await startAwsStandIns({
    region: 'af-south-1',
    account: CONTROL_PLANE,
    // bbws-cp stays in the control plane's account (a single-account stage's cluster)
    clusters: ['bbws-dev', 'bbws-cp'],
    clusterAccounts: { 'bbws-dev': DEV },
    putEvent: () => {},
    ecsTiming: { taskStartMs: 20, taskStopMs: 10, steadyRepeatMs: 60_000 },
  });
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await aws?.stop();
});

describe('the ECS stand-in and credentials AWS would not accept (review)', () => {
  it('refuses temporary credentials STS never issued (AWS: UnrecognizedClientException)', async () => {
    // A made-up (or a previous process's) ASIA key is taken for the control plane's account and served.
    const forged = ecs({ accessKeyId: 'ASIAFORGED0000000000', secretAccessKey: 'x', sessionToken: 'y' });
    expect(
      await outcome(forged.send(new DescribeServicesCommand({ cluster: 'bbws-cp', services: ['anything'] }))),
    ).toBe('UnrecognizedClientException');
  });

  it("refuses a session's access key signed with another secret (AWS: SignatureDoesNotMatch)", async () => {
    const roleArn = `arn:aws:iam::${DEV}:role/review-any-ecs`;
    const session = issueSession({ arn: roleArn, trust: { Statement: [] }, policies: [] }, 'review', 900);
    // Only the key id is read (sessions.ts callerOf): knowing a session's AccessKeyId (logged, in an error message)
    // is enough to act as its role in its account.
    const stolenId = ecs({
      accessKeyId: session.accessKeyId,
      secretAccessKey: 'guessed',
      sessionToken: 'guessed',
    });
    expect(
      await outcome(
        stolenId.send(new DescribeServicesCommand({ cluster: 'bbws-dev', services: ['anything'] })),
      ),
    ).toBe('SignatureDoesNotMatch');
  });

  it("keeps task definitions per account: the control plane's key cannot read or use the dev account's", async () => {
    const dev = ecs(accountAccessKey(DEV));
    const { taskDefinition } = await dev.send(
      new RegisterTaskDefinitionCommand({
        family: 'review-family',
        cpu: '256',
        memory: '512',
        containerDefinitions: [],
      }),
    );
    const arn = String(taskDefinition?.taskDefinitionArn);
    expect(arn).toContain(`:${DEV}:task-definition/review-family:1`);
    const controlPlane = ecs(localCredentials);
    // AWS: another account's task definition is not found / not authorized; the stand-in keys them by family only.
    expect(
      await outcome(controlPlane.send(new DescribeTaskDefinitionCommand({ taskDefinition: arn }))),
    ).not.toBe('ok');
    expect(
      await outcome(
        controlPlane.send(
          new CreateServiceCommand({
            cluster: 'bbws-cp',
            serviceName: 'review-borrowed',
            desiredCount: 0,
            taskDefinition: arn,
          }),
        ),
      ),
    ).not.toBe('ok');
    // and the family's revisions are shared between accounts: the control plane's first revision is not :1
    const own = await controlPlane.send(
      new RegisterTaskDefinitionCommand({
        family: 'review-family',
        cpu: '256',
        memory: '512',
        containerDefinitions: [],
      }),
    );
    expect(own.taskDefinition?.taskDefinitionArn).toBe(
      `arn:aws:ecs:af-south-1:${CONTROL_PLANE}:task-definition/review-family:1`,
    );
  });
});
