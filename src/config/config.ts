import { z } from 'zod';
import tables from '../infra/tables.cjs';

/** Every environment variable the system reads, parsed once: nothing else touches process.env. */
const Env = z.object({
  STAGE: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .default('local'),
  AWS_REGION: z.string().default('af-south-1'),
  /** Local stand-ins; absent in AWS. */
  DYNAMODB_ENDPOINT: z.url().optional(),
  EVENTBRIDGE_ENDPOINT: z.url().optional(),
  SQS_ENDPOINT: z.url().optional(),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Failed attempts before a projection parks an event. */
  PROJECTION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /** `cognito` in AWS; `local` verifies tokens of the project's own issuer (keys in LOCAL_AUTH_DIR). */
  AUTH_MODE: z.enum(['cognito', 'local']).default('local'),
  COGNITO_USER_POOL_ID: z.string().optional(),
  COGNITO_CLIENT_ID: z.string().optional(),
  LOCAL_AUTH_DIR: z.string().default('.local/auth'),
  /** `cognito` in AWS; `local` keeps users in LOCAL_IDENTITY_FILE. */
  IDENTITY_MODE: z.enum(['cognito', 'local']).default('local'),
  LOCAL_IDENTITY_FILE: z.string().default('.local/identity/users.json'),
  /** `emf`: CloudWatch EMF log lines (AWS); `record`: kept in memory (local runtime, benchmarks). */
  METRICS_MODE: z.enum(['emf', 'record']).default('emf'),
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

export const tableNameFor = (config: Pick<Config, 'STAGE'>, logicalId: string): string =>
  tables.tableName(logicalId as tables.LogicalTableId, config.STAGE);

export const eventBusName = (config: Pick<Config, 'STAGE'>): string => `bbws-events-${config.STAGE}`;
