import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localCredentials } from '../test-support/wait.js';
import { type AwsStandIns, startAwsStandIns } from './aws-stand-ins.js';

let aws: AwsStandIns;
let secrets: SecretsManagerClient;

beforeAll(async () => {
  aws = await startAwsStandIns({
    region: 'af-south-1',
    account: '000000000000',
    clusters: [],
    putEvent: () => {},
  });
  secrets = new SecretsManagerClient({
    region: 'af-south-1',
    endpoint: aws.endpoint,
    credentials: localCredentials,
  });
});
afterAll(async () => {
  secrets?.destroy();
  await aws?.stop();
});

describe('the Secrets Manager stand-in through @aws-sdk/client-secrets-manager', () => {
  it("keeps a secret by name, with an ARN ending in six random characters as AWS's do", async () => {
    const name = 'bbws/dev/tenants/T1/wordpress-app-password';
    const created = await secrets.send(
      new CreateSecretCommand({ Name: name, SecretString: '{"password":"a"}' }),
    );
    expect(created.ARN).toMatch(
      new RegExp(`^arn:aws:secretsmanager:af-south-1:000000000000:secret:${name}-[A-Za-z0-9]{6}$`),
    );
    await secrets.send(
      new PutSecretValueCommand({ SecretId: created.ARN, SecretString: '{"password":"b"}' }),
    );
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: name }))).SecretString).toBe(
      '{"password":"b"}',
    );
    await expect(
      secrets.send(
        new GetSecretValueCommand({
          SecretId: `arn:aws:secretsmanager:af-south-1:000000000000:secret:${name}`,
        }),
      ),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
    await expect(
      secrets.send(new CreateSecretCommand({ Name: name, SecretString: 'x' })),
    ).rejects.toMatchObject({
      name: 'ResourceExistsException',
    });
  });

  it('refuses to read a secret scheduled for deletion; a forced deletion frees the name at once', async () => {
    await secrets.send(new CreateSecretCommand({ Name: 'windowed', SecretString: 'x' }));
    await secrets.send(new DeleteSecretCommand({ SecretId: 'windowed', RecoveryWindowInDays: 7 }));
    await expect(secrets.send(new GetSecretValueCommand({ SecretId: 'windowed' }))).rejects.toMatchObject({
      name: 'InvalidRequestException',
    });
    await secrets.send(new CreateSecretCommand({ Name: 'forced', SecretString: 'x' }));
    await secrets.send(new DeleteSecretCommand({ SecretId: 'forced', ForceDeleteWithoutRecovery: true }));
    await secrets.send(new CreateSecretCommand({ Name: 'forced', SecretString: 'y' }));
    expect((await secrets.send(new GetSecretValueCommand({ SecretId: 'forced' }))).SecretString).toBe('y');
  });
});
