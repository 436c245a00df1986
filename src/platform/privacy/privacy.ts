import { join, resolve } from 'node:path';
import { LocalMasterKey } from './local.master-key.js';
import { ephemeralSubjectIndexKey, fileSubjectIndexKey } from './subject-index-key.js';
import type { Privacy } from './subject-keys.js';

/** Where development keys live unless configured (LOCAL_KEYS_DIR): git-ignored, beside the local issuer's. */
export const DEFAULT_LOCAL_KEYS_DIR = '.local/keys';

const local = new Map<string, Privacy>();

/**
 * The development keys in `dir` (master key and subject-index key, made on first use): what `npm start`, the CLI
 * and every event store built without its own keys (tests, benchmarks, scripts) use, so all of them in one
 * checkout read each other's data. One object per folder and process. Never used in AWS: the wiring passes KMS.
 */
export function localPrivacy(dir: string = DEFAULT_LOCAL_KEYS_DIR): Privacy {
  const path = resolve(dir);
  let privacy = local.get(path);
  if (!privacy) {
    privacy = {
      masterKey: LocalMasterKey.fromFile(join(path, 'master.key')),
      subjectIndexKey: fileSubjectIndexKey(join(path, 'subject-index.key')),
    };
    local.set(path, privacy);
  }
  return privacy;
}

let ephemeral: Privacy | undefined;

/** Keys held in this process's memory only: the in-memory event store's default (shared by its instances). */
export function ephemeralPrivacy(): Privacy {
  ephemeral ??= { masterKey: LocalMasterKey.ephemeral(), subjectIndexKey: ephemeralSubjectIndexKey() };
  return ephemeral;
}
