import { randomBytes } from 'node:crypto';
import { DecryptCommand, KMSClient } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalKms } from '#src/platform/local/kms-server.js';
import { KmsMasterKey } from './kms.master-key.js';
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
