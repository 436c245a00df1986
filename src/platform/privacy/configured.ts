import { KMSClient } from '@aws-sdk/client-kms';
import { requestHandler } from '#src/platform/aws/http-timeouts.js';
import type { Config } from '#src/platform/config/config.js';
import { KmsMasterKey } from './kms.master-key.js';
import { localPrivacy } from './privacy.js';
import { type SubjectIndexKey, secretSubjectIndexKey } from './subject-index-key.js';
import type { Privacy } from './subject-keys.js';

type PrivacyConfig = Pick<
  Config,
  | 'AWS_REGION'
  | 'MASTER_KEY_MODE'
  | 'PERSONAL_DATA_KEY_ID'
  | 'KMS_ENDPOINT'
  | 'LOCAL_KEYS_DIR'
  | 'SUBJECT_INDEX_KEY'
  | 'DATA_KEY_CACHE_SECONDS'
  | 'DATA_KEY_CACHE_ENTRIES'
>;

/**
 * The keys of personal data for an entry point: in AWS the stack's KMS key and subject-index secret; locally the
 * development keys of LOCAL_KEYS_DIR (a subject-index key given in the config wins there too). Plain data keys
 * are cached for DATA_KEY_CACHE_SECONDS, at most DATA_KEY_CACHE_ENTRIES of them.
 */
export function configuredPrivacy(config: PrivacyConfig): Privacy {
  const cache = { ttlMs: config.DATA_KEY_CACHE_SECONDS * 1000, maxEntries: config.DATA_KEY_CACHE_ENTRIES };
  const local = localPrivacy(config.LOCAL_KEYS_DIR);
  const given = config.SUBJECT_INDEX_KEY ? secretSubjectIndexKey(config.SUBJECT_INDEX_KEY) : undefined;
  const mode = config.MASTER_KEY_MODE ?? (config.PERSONAL_DATA_KEY_ID ? 'kms' : 'local');
  if (mode === 'local')
    return { masterKey: local.masterKey, subjectIndexKey: given ?? local.subjectIndexKey, cache };
  if (!config.PERSONAL_DATA_KEY_ID) throw new Error('MASTER_KEY_MODE=kms needs PERSONAL_DATA_KEY_ID');
  const kms = new KMSClient({
    region: config.AWS_REGION,
    requestHandler: requestHandler('kms', { local: config.KMS_ENDPOINT !== undefined }),
    ...(config.KMS_ENDPOINT ? { endpoint: config.KMS_ENDPOINT } : {}),
  });
  return {
    masterKey: new KmsMasterKey(kms, config.PERSONAL_DATA_KEY_ID),
    subjectIndexKey: given ?? notGivenSubjectIndexKey,
    cache,
  };
}

/**
 * In AWS only the functions that name data subjects by their e-mails (they append personal data, or find people
 * by e-mail) are given the subject-index key (src/platform/infra/stack-secrets.ts, `secretsOf`); the others read and
 * decode events, which carry their subject ids, and never need it. One that does without it fails on first use.
 */
const notGivenSubjectIndexKey: SubjectIndexKey = {
  key: () =>
    Promise.reject(
      new Error(
        'SUBJECT_INDEX_KEY is not set: this function was not given the subject-index key (only functions that append personal data or find data subjects by e-mail are)',
      ),
    ),
};
