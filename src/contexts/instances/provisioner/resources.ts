import { z } from 'zod';
import { Resources } from '../domain/instance.events.js';

/** The tenant folder's outputs (generator/outputs.ts) as the decider's resources; undefined without a service. */
const Outputs = z.object({
  service_arn: z.string(),
  service_name: z.string().optional(),
  task_definition_arn: z.string().optional(),
  target_group_arn: z.string().optional(),
  efs_access_point_id: z.string().optional(),
  database_secret_arn: z.string().optional(),
  app_password_secret_arn: z.string().optional(),
});

export function resourcesOf(outputs: Record<string, unknown>): z.infer<typeof Resources> | undefined {
  const parsed = Outputs.safeParse(outputs);
  if (!parsed.success) return undefined;
  const o = parsed.data;
  const candidate = {
    serviceArn: o.service_arn,
    serviceName: o.service_name,
    taskDefinitionArn: o.task_definition_arn,
    targetGroupArn: o.target_group_arn,
    efsAccessPointId: o.efs_access_point_id,
    databaseSecretArn: o.database_secret_arn,
    appPasswordSecretArn: o.app_password_secret_arn,
  };
  const defined = Object.fromEntries(Object.entries(candidate).filter(([, v]) => v !== undefined));
  const resources = Resources.safeParse(defined);
  return resources.success ? resources.data : undefined;
}
