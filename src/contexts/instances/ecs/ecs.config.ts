import { z } from 'zod';

const unset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * The environment ECS control reads, parsed once (the ECS adapters' part of the configuration, kept beside them:
 * src/platform/config holds the platform's own). In AWS both endpoints are unset; locally they point at the ECS +
 * Application Auto Scaling stand-in.
 */
const EcsEnv = z.object({
  AWS_REGION: z.string().default('af-south-1'),
  ECS_ENDPOINT: unset(z.url()),
  APPLICATION_AUTOSCALING_ENDPOINT: unset(z.url()),
  /**
   * Each workload environment's cluster ARN, as JSON ({"dev": "arn:aws:ecs:...:cluster/...", ...}): ECS control's
   * fallback to the service the naming convention gives when a run's outputs were never recorded (ecs-control.ts).
   */
  ECS_CLUSTER_ARNS: unset(
    z.string().transform((text, ctx) => {
      try {
        return z.record(z.string(), z.string()).parse(JSON.parse(text));
      } catch {
        ctx.addIssue({ code: 'custom', message: 'ECS_CLUSTER_ARNS must be a JSON object of cluster ARNs' });
        return z.NEVER;
      }
    }),
  ),
});
export type EcsConfig = z.infer<typeof EcsEnv>;

export function loadEcsConfig(env: NodeJS.ProcessEnv = process.env): EcsConfig {
  const parsed = EcsEnv.safeParse(env);
  if (!parsed.success)
    throw new Error(`invalid environment for ECS control: ${parsed.error.issues[0]?.message}`, {
      cause: parsed.error,
    });
  return parsed.data;
}
