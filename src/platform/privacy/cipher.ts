import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/** AES-256-GCM: a 256-bit key, a fresh 96-bit IV per value, a 128-bit tag. */
export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The associated data was not the one the value was sealed with, or the bytes were changed. */
export class SealBrokenError extends Error {
  override readonly name = 'SealBrokenError';
}

/** Encrypts `plaintext` bound to `aad`: base64 of iv | ciphertext | tag. */
export function seal(key: Uint8Array, plaintext: string | Uint8Array, aad: string): string {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([
    cipher.update(typeof plaintext === 'string' ? Buffer.from(plaintext, 'utf8') : plaintext),
    cipher.final(),
  ]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64');
}

/** Decrypts what `seal` made with the same key and associated data; SealBrokenError otherwise. */
export function open(key: Uint8Array, sealed: string | Uint8Array, aad: string): Buffer {
  const bytes = typeof sealed === 'string' ? Buffer.from(sealed, 'base64') : Buffer.from(sealed);
  if (bytes.length < IV_BYTES + TAG_BYTES) throw new SealBrokenError('sealed value too short');
  const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
  try {
    return Buffer.concat([
      decipher.update(bytes.subarray(IV_BYTES, bytes.length - TAG_BYTES)),
      decipher.final(),
    ]);
  } catch (error) {
    throw new SealBrokenError(`authentication failed (${aad.split('|')[0]})`, { cause: error });
  }
}

/**
 * One key that exists only while every one of `keys` does: HKDF-SHA-256 over all of them, in the given order.
 * A snapshot or a stored result that mentions several people is sealed with it, so erasing any one of them makes
 * it unreadable (a key per person, each able to open it alone, would not).
 */
export function combinedKey(keys: readonly Uint8Array[], info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', Buffer.concat(keys), 'bbws-combined-key/1', info, KEY_BYTES));
}

export const randomKey = (): Buffer => randomBytes(KEY_BYTES);

/** A short random id, base64url (8 characters for 6 bytes). */
export const randomId = (bytes = 6): string => randomBytes(bytes).toString('base64url');
