import { z } from 'zod';
import { TenantUlid, TerraformEnvironment } from '../input.js';

/** What a pushed `tenant.tf.json` says, for the stand-ins that act on the committed Terraform, not on requests. */
const TenantLocals = z.object({
  tenant_id: TenantUlid,
  environment: TerraformEnvironment,
  service_name: z.string(),
  alb_number: z.string().regex(/^\d+$/),
  listener_rule_priority: z.number().int(),
  site_domains: z.array(z.string()),
  task_cpu: z.number().int(),
  task_memory: z.number().int(),
  desired_count: z.number().int(),
  min_capacity: z.number().int(),
  max_capacity: z.number().int(),
  storage_gib: z.number().int(),
});

export interface TenantSettings {
  readonly tenantId: string;
  readonly environment: TerraformEnvironment;
  readonly serviceName: string;
  readonly alb: number;
  readonly priority: number;
  readonly domains: readonly string[];
  readonly task: { readonly cpu: number; readonly memoryMiB: number };
  readonly scaling: { readonly desiredCount: number; readonly minCount: number; readonly maxCount: number };
  readonly storageGiB: number;
}

/**
 * Reads the tenant's settings back from a folder's files (`tenant.tf.json`, with or without a folder prefix).
 * Throws a ZodError (or SyntaxError) when the file is missing or not what the generator writes.
 */
export function readTenantSettings(files: Readonly<Record<string, string>>): TenantSettings {
  const path = Object.keys(files).find(
    (name) => name === 'tenant.tf.json' || name.endsWith('/tenant.tf.json'),
  );
  const json = z.object({ locals: TenantLocals }).parse(JSON.parse(path ? (files[path] ?? '') : ''));
  const l = json.locals;
  return {
    tenantId: l.tenant_id,
    environment: l.environment,
    serviceName: l.service_name,
    alb: Number(l.alb_number),
    priority: l.listener_rule_priority,
    domains: l.site_domains,
    task: { cpu: l.task_cpu, memoryMiB: l.task_memory },
    scaling: { desiredCount: l.desired_count, minCount: l.min_capacity, maxCount: l.max_capacity },
    storageGiB: l.storage_gib,
  };
}
