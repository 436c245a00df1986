import { createHmac } from 'node:crypto';

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `ds_` and 26 base32 characters: 130 bits of the HMAC. */
export { SUBJECT_ID } from '#src/platform/domain/personal-data.js';

/** The form of an e-mail that identifies a person: Unicode NFC, no surrounding spaces, lower case. */
export const normaliseIdentifier = (value: string): string => value.normalize('NFC').trim().toLowerCase();

/**
 * A data subject's id: a keyed hash (HMAC-SHA-256 with the subject-index key) of the normalised e-mail. Without
 * the key it cannot be computed or reversed, so ids, and the index of subjects built on them, hold no plaintext.
 */
export function subjectIdOf(indexKey: Uint8Array, identifier: string): string {
  const mac = createHmac('sha256', indexKey).update(normaliseIdentifier(identifier), 'utf8').digest();
  return `ds_${base32(mac).slice(0, 26)}`;
}

function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return bits > 0 ? out + BASE32[(value << (5 - bits)) & 31] : out;
}
