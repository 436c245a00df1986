import { z } from 'zod';

/** Every environment variable the system reads, parsed once: nothing else touches process.env. */
const Env = z.object({
  STAGE: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .default('local'),
  AWS_REGION: z.string().default('af-south-1'),
  DYNAMODB_ENDPOINT: z.url().optional(),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
});

export type Config = z.infer<typeof Env>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment: ${issue?.path.join('.')}: ${issue?.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
