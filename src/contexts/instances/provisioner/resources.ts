import type { z } from 'zod';
import { UnprocessableError } from '#src/platform/domain/errors.js';
import { Resources } from '../domain/instance.events.js';

const { shape } = Resources;
/** The tenant folder's outputs (generator/outputs.ts) the instance records; others (tenant_id, ...) are not read. */
const OUTPUTS = {
  service_arn: ['serviceArn', shape.serviceArn],
  service_name: ['serviceName', shape.serviceName],
  task_definition_arn: ['taskDefinitionArn', shape.taskDefinitionArn],
  target_group_arn: ['targetGroupArn', shape.targetGroupArn],
  efs_access_point_id: ['efsAccessPointId', shape.efsAccessPointId],
  database_secret_arn: ['databaseSecretArn', shape.databaseSecretArn],
  app_password_secret_arn: ['appPasswordSecretArn', shape.appPasswordSecretArn],
} as const satisfies Record<string, readonly [keyof z.infer<typeof Resources>, z.ZodType]>;

/**
 * A successful apply's outputs as the decider's resources. Every output it reads is checked as the event will
 * hold it: one that is missing (`service_arn`) or not what Terraform gives (not an ARN, too long, not a string)
 * is refused, 422 naming `outputs.<name>`, so that a broken report records nothing instead of being dropped.
 */
export function resourcesOf(outputs: Record<string, unknown>): z.infer<typeof Resources> {
  const resources: Record<string, unknown> = {};
  for (const [name, [field, schema]] of Object.entries(OUTPUTS)) {
    const parsed = schema.safeParse(outputs[name]);
    if (!parsed.success) {
      const problem = outputs[name] === undefined ? 'is required' : 'is not valid';
      throw new UnprocessableError(`outputs.${name}`, 'invalid_output', `outputs.${name} ${problem}`, {
        cause: parsed.error,
      });
    }
    if (parsed.data !== undefined) resources[field] = parsed.data;
  }
  return Resources.parse(resources);
}
