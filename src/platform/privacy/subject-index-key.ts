import { createHash } from 'node:crypto';
import { randomKey } from './cipher.js';
import { keyFromFile } from './key-files.js';

/**
 * The key of the subject index: subject ids are HMACs of e-mails under it. In AWS it is a Secrets Manager secret
 * of the stack, resolved into the functions' configuration at deploy time (as the cursor key is); in development,
 * a git-ignored file made on first use. Losing it does not lose data (ids are stored with the data), but a person
 * could then no longer be found by e-mail: it is kept, and rotated only with a re-index.
 */
export interface SubjectIndexKey {
  key(): Promise<Uint8Array>;
}

/** From configuration (the secret's value): at least 32 characters, hashed to 256 bits. */
export function secretSubjectIndexKey(secret: string): SubjectIndexKey {
  if (secret.length < 32) throw new Error('the subject-index key needs at least 32 characters');
  const key = createHash('sha256').update(secret, 'utf8').digest();
  return { key: async () => key };
}

/**
 * From a file, made on first use (`.local/keys/subject-index.key` in development). Its text is taken as the secret,
 * so a process given that text as SUBJECT_INDEX_KEY computes the same subject ids.
 */
export function fileSubjectIndexKey(path: string): SubjectIndexKey {
  let key: Promise<Uint8Array> | undefined;
  return {
    key: () => {
      key ??= secretSubjectIndexKey(keyFromFile(path).toString('base64')).key();
      return key;
    },
  };
}

/** In memory only (the in-memory event store's default). */
export function ephemeralSubjectIndexKey(): SubjectIndexKey {
  const key = randomKey();
  return { key: async () => key };
}
