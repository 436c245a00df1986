import { HEADER, ref, resources, shared, TAGS } from './common.js';
import { call, interp, local, type TfBody } from './tf-json.js';

/** What WordPress needs on its own database, nothing server-wide. */
const WORDPRESS_PRIVILEGES = [
  'ALTER',
  'CREATE',
  'CREATE TEMPORARY TABLES',
  'DELETE',
  'DROP',
  'INDEX',
  'INSERT',
  'LOCK TABLES',
  'REFERENCES',
  'SELECT',
  'UPDATE',
];

/**
 * The tenant's database and user on the environment's RDS; the password is generated here and handed to the
 * container only through the secret's ARN.
 */
export const databaseFile = (): TfBody => ({
  '//': HEADER,
  locals: {
    database_secret: {
      username: interp(ref('dbUser', 'user')),
      password: interp(ref('dbPassword', 'result')),
      host: interp(shared('rds_endpoint')),
      dbname: interp(ref('database', 'name')),
    },
  },
  resource: resources([
    ['dbPassword', { length: 40, special: false }],
    [
      'database',
      {
        name: interp(local('database_name')),
        default_character_set: 'utf8mb4',
        default_collation: 'utf8mb4_unicode_ci',
      },
    ],
    [
      'dbUser',
      {
        user: interp(local('database_user')),
        host: '%',
        plaintext_password: interp(ref('dbPassword', 'result')),
      },
    ],
    [
      'dbGrant',
      {
        user: interp(ref('dbUser', 'user')),
        host: interp(ref('dbUser', 'host')),
        database: interp(ref('database', 'name')),
        privileges: WORDPRESS_PRIVILEGES,
      },
    ],
    [
      'dbSecret',
      {
        name: interp(local('database_secret_name')),
        description: 'WordPress database credentials of one BBWS tenant',
        recovery_window_in_days: interp(local('secret_recovery_window_days')),
        tags: TAGS,
      },
    ],
    [
      'dbSecretVersion',
      {
        secret_id: interp(ref('dbSecret', 'id')),
        secret_string: interp(call('jsonencode', local('database_secret'))),
      },
    ],
  ]),
});
