import { createHash } from 'node:crypto';
import { open, randomKey, SealBrokenError, seal } from './cipher.js';
import { keyFromFile } from './key-files.js';
import { type EncryptionContext, type MasterKey, MasterKeyError } from './master-key.port.js';

/** The context as associated data: its entries sorted, so the same context always gives the same bytes. */
export const contextAad = (context: EncryptionContext): string =>
  JSON.stringify(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** AES-256-GCM under `key`, bound to the context: what the local master key and the local KMS stand-in do. */
export const wrapKey = (key: Uint8Array, plaintext: Uint8Array, context: EncryptionContext): Buffer =>
  Buffer.from(seal(key, plaintext, contextAad(context)), 'base64');

export function unwrapKey(key: Uint8Array, wrapped: Uint8Array, context: EncryptionContext): Buffer {
  try {
    return open(key, wrapped, contextAad(context));
  } catch (error) {
    if (error instanceof SealBrokenError) {
      throw new MasterKeyError('the data key was wrapped by another master key or for another context', {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * The key id the development master key goes by: what the local runtime's IAM calls the stack's PersonalDataKey
 * (`localKmsKeyId('PersonalDataKey')`, src/platform/local/iam/function-roles.ts). The local master key writes it
 * into its wrapped keys, in the blob format of the local KMS stand-in, so a stand-in serving the same key bytes
 * under this id reads the local key's key items and the local key reads the stand-in's.
 */
export const LOCAL_KMS_KEY_ID = 'local-PersonalDataKey';

/** A wrapped key as the local KMS stand-in returns it: version 1 | key id length | key id | AES-GCM blob. */
export function blobOf(keyId: string, wrapped: Uint8Array): Buffer {
  const id = Buffer.from(keyId, 'utf8');
  return Buffer.concat([Buffer.from([1, id.length]), id, wrapped]);
}

export function parseBlob(blob: Uint8Array): { keyId: string; wrapped: Buffer } | undefined {
  const bytes = Buffer.from(blob);
  const length = bytes[1] ?? 0;
  if (bytes[0] !== 1 || bytes.length < 2 + length + 28) return undefined;
  return { keyId: bytes.subarray(2, 2 + length).toString('utf8'), wrapped: bytes.subarray(2 + length) };
}

/**
 * The development master key: 256 bits in a git-ignored file (`.local/keys/master.key` unless configured), made on
 * first use, or held in memory only (`LocalMasterKey.ephemeral()`, for the in-memory event store). It does what
 * KMS does for the store — wraps and unwraps data keys bound to a context — with no network and no IAM.
 */
export class LocalMasterKey implements MasterKey {
  private loaded: Buffer | undefined;

  /** `load` runs on first use: a store built in a test or script touches no file until it meets personal data. */
  private constructor(private readonly load: () => Buffer) {}

  static fromFile(path: string): LocalMasterKey {
    return new LocalMasterKey(() => keyFromFile(path));
  }

  static ephemeral(): LocalMasterKey {
    const key = randomKey();
    return new LocalMasterKey(() => key);
  }

  get id(): string {
    return `local:${createHash('sha256').update(this.key).digest('hex').slice(0, 16)}`;
  }

  async generateDataKey(context: EncryptionContext) {
    const plaintext = randomKey();
    return { plaintext, wrapped: blobOf(LOCAL_KMS_KEY_ID, wrapKey(this.key, plaintext, context)) };
  }

  async decrypt(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    const blob = parseBlob(wrapped);
    if (blob?.keyId !== LOCAL_KMS_KEY_ID) throw new MasterKeyError('not a data key of the local master key');
    return unwrapKey(this.key, blob.wrapped, context);
  }

  private get key(): Buffer {
    this.loaded ??= this.load();
    return this.loaded;
  }
}
