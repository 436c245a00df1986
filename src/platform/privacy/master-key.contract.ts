import { describe, expect, it } from 'vitest';
import { dataKeyContext, type MasterKey, MasterKeyError } from './master-key.port.js';

export interface MasterKeyHarness {
  key: MasterKey;
  /** Another master key of the same kind: what it wrapped, `key` must not unwrap. */
  other: MasterKey;
}

/** What every master key does (the local file key, KMS through its API): one suite, run against each. */
export function masterKeyContract(name: string, harness: () => Promise<MasterKeyHarness>): void {
  describe(`${name}: master key contract`, () => {
    it('makes distinct 256-bit data keys whose wrapped form does not hold them', async () => {
      const { key } = await harness();
      const [a, b] = await Promise.all([
        key.generateDataKey(dataKeyContext('ds_a')),
        key.generateDataKey(dataKeyContext('ds_a')),
      ]);
      expect(a.plaintext).toHaveLength(32);
      expect(Buffer.from(a.plaintext).equals(Buffer.from(b.plaintext))).toBe(false);
      expect(Buffer.from(a.wrapped).includes(Buffer.from(a.plaintext))).toBe(false);
      expect(typeof key.id).toBe('string');
    });

    it('unwraps a data key with the context it was wrapped for', async () => {
      const { key } = await harness();
      const made = await key.generateDataKey(dataKeyContext('ds_subject'));
      const unwrapped = await key.decrypt(made.wrapped, dataKeyContext('ds_subject'));
      expect(Buffer.from(unwrapped).equals(Buffer.from(made.plaintext))).toBe(true);
    });

    it("refuses a wrapped key presented for another subject (a key item copied onto another's)", async () => {
      const { key } = await harness();
      const made = await key.generateDataKey(dataKeyContext('ds_owner'));
      await expect(key.decrypt(made.wrapped, dataKeyContext('ds_someone_else'))).rejects.toBeInstanceOf(
        MasterKeyError,
      );
    });

    it('refuses a damaged wrapped key', async () => {
      const { key } = await harness();
      const made = await key.generateDataKey(dataKeyContext('ds_x'));
      const damaged = Buffer.from(made.wrapped);
      damaged[damaged.length - 1] = (damaged[damaged.length - 1] ?? 0) ^ 1;
      await expect(key.decrypt(damaged, dataKeyContext('ds_x'))).rejects.toBeInstanceOf(MasterKeyError);
    });

    it('refuses a data key wrapped by another master key', async () => {
      const { key, other } = await harness();
      expect(other.id).not.toBe(key.id);
      const made = await other.generateDataKey(dataKeyContext('ds_y'));
      await expect(key.decrypt(made.wrapped, dataKeyContext('ds_y'))).rejects.toBeInstanceOf(MasterKeyError);
    });
  });
}
