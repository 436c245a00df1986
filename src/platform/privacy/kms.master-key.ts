import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import { type EncryptionContext, type MasterKey, MasterKeyError } from './master-key.port.js';

/** KMS's answers that mean "not this key, not this context, or a damaged blob": never worth a retry. */
const REFUSALS = new Set(['InvalidCiphertextException', 'IncorrectKeyException']);

/**
 * The master key in AWS: a symmetric KMS key. `GenerateDataKey` makes each subject's data key (KMS returns it in
 * plain and wrapped; only the wrapped one is stored) and `Decrypt` unwraps it, both with the subject in the
 * encryption context, so KMS itself refuses a wrapped key presented for another subject. Decrypt names the key
 * (`KeyId`), as AWS advises: a blob of another key is refused rather than decrypted with it.
 */
export class KmsMasterKey implements MasterKey {
  constructor(
    private readonly kms: KMSClient,
    /** The key's ARN (what IAM grants on), or its id. */
    readonly id: string,
  ) {}

  async generateDataKey(context: EncryptionContext) {
    const out = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.id, KeySpec: 'AES_256', EncryptionContext: { ...context } }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new MasterKeyError('KMS returned no data key');
    return { plaintext: out.Plaintext, wrapped: out.CiphertextBlob };
  }

  async decrypt(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    try {
      const out = await this.kms.send(
        new DecryptCommand({ KeyId: this.id, CiphertextBlob: wrapped, EncryptionContext: { ...context } }),
      );
      if (!out.Plaintext) throw new MasterKeyError('KMS returned no plaintext');
      return out.Plaintext;
    } catch (error) {
      if (REFUSALS.has((error as { name?: string }).name ?? '')) {
        throw new MasterKeyError(`KMS refused to unwrap the data key: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw error;
    }
  }
}
