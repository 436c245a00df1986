/**
 * What wraps the data keys of data subjects: AWS KMS (`GenerateDataKey` / `Decrypt`) in AWS, a key in a
 * git-ignored file in development. A wrapped data key is only ever unwrapped with the same context (the subject
 * it belongs to), so a wrapped key copied onto another subject's key item does not open.
 */
export interface MasterKey {
  /** Which master key this is (the KMS key ARN; `local:<fingerprint>`), recorded on every key item it wraps. */
  readonly id: string;
  /** A new 256-bit data key, in plain (kept in memory only) and wrapped (stored). */
  generateDataKey(context: EncryptionContext): Promise<{ plaintext: Uint8Array; wrapped: Uint8Array }>;
  /** The plain data key of a wrapped one; MasterKeyError if it was wrapped by another key or context. */
  decrypt(wrapped: Uint8Array, context: EncryptionContext): Promise<Uint8Array>;
}

/** KMS's encryption context: bound to the wrapped key, checked on decrypt, never secret. */
export type EncryptionContext = Readonly<Record<string, string>>;

/** The master key refused: wrong key, wrong context, damaged blob, or the key service failed. */
export class MasterKeyError extends Error {
  override readonly name = 'MasterKeyError';
}

/** The context a subject's data key is wrapped under. */
export const dataKeyContext = (subjectId: string): EncryptionContext => ({
  purpose: 'bbws-data-key',
  subject: subjectId,
});
