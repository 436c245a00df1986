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
    return { plaintext, wrapped: wrapKey(this.key, plaintext, context) };
  }

  async decrypt(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array> {
    return unwrapKey(this.key, wrapped, context);
  }

  private get key(): Buffer {
    this.loaded ??= this.load();
    return this.loaded;
  }
}
