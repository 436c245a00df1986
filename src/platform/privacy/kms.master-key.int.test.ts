import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKmsKeyId } from '#src/platform/local/iam/function-roles.js';
import { LocalKms } from '#src/platform/local/kms-server.js';
import { keyFromFile } from './key-files.js';
import { KmsMasterKey } from './kms.master-key.js';
import { LOCAL_KMS_KEY_ID, LocalMasterKey } from './local.master-key.js';
import { masterKeyContract } from './master-key.contract.js';
import { dataKeyContext } from './master-key.port.js';

const [A, B] = ['1234abcd-12ab-34cd-56ef-1234567890ab', '0987dcba-09ba-43dc-65fe-0987654321ba'];
const kms = new LocalKms({ [A]: randomBytes(32), [B]: randomBytes(32) });
let client: KMSClient;

beforeAll(async () => {
  const endpoint = await kms.listen();
  client = new KMSClient({
    region: 'af-south-1',
    endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterAll(async () => {
  client?.destroy();
  await kms.close();
});

masterKeyContract('KMS (its JSON API, on the local stand-in)', async () => ({
  key: new KmsMasterKey(client, kms.arnOf(A)),
  other: new KmsMasterKey(client, kms.arnOf(B)),
}));

describe('the local KMS stand-in', () => {
  it('names the key of a ciphertext, so Decrypt works without KeyId, as in KMS', async () => {
    const made = await new KmsMasterKey(client, A).generateDataKey(dataKeyContext('ds_k'));
    const out = await client.send(
      new DecryptCommand({ CiphertextBlob: made.wrapped, EncryptionContext: { ...dataKeyContext('ds_k') } }),
    );
    expect(out.KeyId).toBe(kms.arnOf(A));
    expect(Buffer.from(out.Plaintext ?? [])).toEqual(Buffer.from(made.plaintext));
  });

  it('answers an unknown key with NotFoundException', async () => {
    const error = await new KmsMasterKey(client, 'no-such-key')
      .generateDataKey(dataKeyContext('ds_k'))
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'NotFoundException' });
  });
});

describe('the local master key and the local KMS stand-in', () => {
  it("read each other's wrapped keys given the same key bytes, so the local runtime can move to the stand-in", async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'bbws-interop-')), 'master.key');
    const local = LocalMasterKey.fromFile(path);
    const standIn = new LocalKms({ [LOCAL_KMS_KEY_ID]: keyFromFile(path) });
    const kmsClient = new KMSClient({
      region: 'af-south-1',
      endpoint: await standIn.listen(),
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    try {
      const viaKms = new KmsMasterKey(kmsClient, standIn.arnOf(LOCAL_KMS_KEY_ID));
      const context = dataKeyContext('ds_both');
      const fromLocal = await local.generateDataKey(context);
      const fromKms = await viaKms.generateDataKey(context);
      expect(Buffer.from(await viaKms.decrypt(fromLocal.wrapped, context))).toEqual(
        Buffer.from(fromLocal.plaintext),
      );
      expect(Buffer.from(await local.decrypt(fromKms.wrapped, context))).toEqual(
        Buffer.from(fromKms.plaintext),
      );
    } finally {
      kmsClient.destroy();
      await standIn.close();
    }
  });

  it("serves the key id the local runtime's IAM gives the stack's PersonalDataKey", () => {
    expect(localKmsKeyId('PersonalDataKey')).toBe(LOCAL_KMS_KEY_ID);
  });
});
