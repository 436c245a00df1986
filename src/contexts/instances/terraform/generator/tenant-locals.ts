import { DOMAINS_PER_HOST_RULE, type TenantTerraformInput } from '../input.js';
import {
  databaseName,
  logGroupName,
  PLATFORM_WORDPRESS_USER,
  secretName,
  serviceName,
  targetGroupName,
  taskRoleName,
} from '../naming.js';
import { HEADER } from './common.js';
import { literal, type TfBody } from './tf-json.js';

/** Terraform keys of the plan's tier in `tenant.tf.json`: a plan change touches these and nothing else. */
export const TIER_LOCALS = [
  'task_cpu',
  'task_memory',
  'desired_count',
  'min_capacity',
  'max_capacity',
  'storage_gib',
];

const chunks = <T>(items: readonly T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Everything that differs between tenants, in one file: the other resource files are the same for every tenant
 * and refer to these locals. Input strings go through `literal` so that `${` in a value can never interpolate.
 */
export function tenantFile(input: TenantTerraformInput): TfBody {
  const { tenantId, environment, tier, suspended } = input;
  return {
    '//': HEADER,
    locals: {
      tenant_id: tenantId,
      environment,
      aws_region: input.infrastructure.awsRegion,
      tags: {
        'bbws:tenant-id': tenantId,
        'bbws:environment': environment,
        'bbws:managed-by': 'bbws-control-plane',
      },
      service_name: serviceName(environment, tenantId),
      target_group_name: targetGroupName(tenantId),
      task_role_name: taskRoleName(environment, tenantId),
      log_group_name: logGroupName(environment, tenantId),
      log_retention_days: environment === 'prod' ? 90 : 14,
      efs_root_path: `/tenants/${tenantId}`,
      database_name: databaseName(tenantId),
      database_user: databaseName(tenantId),
      database_secret_name: secretName(environment, tenantId, 'database'),
      app_password_secret_name: secretName(environment, tenantId, 'wordpress-app-password'),
      secret_recovery_window_days: environment === 'prod' ? 7 : 0,
      platform_wordpress_user: PLATFORM_WORDPRESS_USER,
      image: input.image,
      site_url: literal(input.site.url),
      admin_email: literal(input.site.adminEmail),
      site_domains: input.site.domains,
      host_rule_domains: chunks(input.site.domains, DOMAINS_PER_HOST_RULE),
      alb_number: String(input.albSlot.alb),
      listener_rule_priority: input.albSlot.priority,
      task_cpu: tier.cpu,
      task_memory: tier.memoryMiB,
      desired_count: suspended ? 0 : tier.desiredCount,
      min_capacity: suspended ? 0 : tier.minCount,
      max_capacity: suspended ? 0 : tier.maxCount,
      storage_gib: tier.storageGiB,
    },
  };
}
