import type { TenantTerraformInput } from '../input.js';
import { stateKey } from '../naming.js';
import { SHARED_STATE } from '../shared-infrastructure.js';
import { PROVIDERS, TERRAFORM_VERSION } from '../versions.js';
import { HEADER, shared } from './common.js';
import { call, data, get, interp, local, type TfBody } from './tf-json.js';

/** Terraform and provider pins (exact versions; the checker holds the folder to them). */
export const versionsFile = (): TfBody => ({
  '//': HEADER,
  terraform: {
    required_version: `~> ${TERRAFORM_VERSION}`,
    required_providers: Object.fromEntries(
      Object.entries(PROVIDERS).map(([name, pin]) => [name, { source: pin.source, version: pin.version }]),
    ),
  },
});

/** One state object per tenant and environment; backend settings cannot use expressions, so they are literal. */
export const backendFile = (input: TenantTerraformInput): TfBody => ({
  '//': HEADER,
  terraform: {
    backend: {
      s3: {
        bucket: input.infrastructure.stateBucket,
        key: stateKey(input.environment, input.tenantId),
        region: input.infrastructure.awsRegion,
        dynamodb_table: input.infrastructure.lockTable,
        encrypt: true,
      },
    },
  },
});

const rdsAdmin = (field: string) =>
  interp(
    get(call('jsondecode', data('aws_secretsmanager_secret_version', 'rds_admin', 'secret_string')), field),
  );

/** AWS with the tenant's tags as default_tags; MySQL as the RDS admin read from Secrets Manager at plan time. */
export const providersFile = (): TfBody => ({
  '//': HEADER,
  provider: {
    aws: { region: interp(local('aws_region')), default_tags: { tags: interp(local('tags')) } },
    mysql: {
      endpoint: interp(shared('rds_endpoint')),
      username: rdsAdmin('username'),
      password: rdsAdmin('password'),
      tls: 'true',
    },
  },
});

/** The environment's shared stack, read through its state (never hard-coded ids). */
export const sharedFile = (input: TenantTerraformInput): TfBody => ({
  '//': HEADER,
  data: {
    terraform_remote_state: {
      [SHARED_STATE]: {
        backend: 's3',
        config: {
          bucket: input.infrastructure.stateBucket,
          key: input.infrastructure.sharedStateKey,
          region: input.infrastructure.awsRegion,
        },
      },
    },
    aws_secretsmanager_secret_version: {
      rds_admin: { secret_id: interp(shared('rds_admin_secret_arn')) },
    },
  },
});
