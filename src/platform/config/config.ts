import { z } from 'zod';

/** An unset variable and an empty one (serverless.yml's `${env:X, ''}`) mean the same. */
const unset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** Every environment variable the system reads, parsed once: nothing else reads the function's environment. */
const Env = z.object({
  STAGE: z
    .string()
    .regex(/^[a-z][a-z0-9-]*$/)
    .default('local'),
  AWS_REGION: z.string().default('af-south-1'),
  /** Local stand-ins; absent in AWS. */
  DYNAMODB_ENDPOINT: unset(z.url()),
  EVENTBRIDGE_ENDPOINT: unset(z.url()),
  SQS_ENDPOINT: unset(z.url()),
  LOG_LEVEL: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  /** Failed attempts before a projection parks an event. */
  PROJECTION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /** Failed attempts before the publisher parks an event EventBridge refuses for good. */
  PUBLISH_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(3),
  /**
   * Both stream consumers park whatever still fails once its stream record is this old (seconds), transient
   * failures included, well before Lambda drops the record at 24 hours (docs/operations.md).
   */
  STREAM_PARK_AFTER_SECONDS: z.coerce.number().int().min(1).max(72_000).default(3600),
  /** PutEvents' request limit (bytes, all entries together): 256 KB, whatever newer limits some sources report. */
  EVENTBRIDGE_MAX_REQUEST_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024),
  /** `cognito` in AWS; `local` verifies tokens of the project's own issuer (keys in LOCAL_AUTH_DIR). */
  AUTH_MODE: z.enum(['cognito', 'local']).default('local'),
  COGNITO_USER_POOL_ID: unset(z.string()),
  COGNITO_CLIENT_ID: unset(z.string()),
  LOCAL_AUTH_DIR: z.string().default('.local/auth'),
  /** HMAC key of pagination cursors (AWS: from a secret; local: generated beside the issuer keys). */
  CURSOR_SECRET: unset(z.string().min(32)),
  /** `cognito` in AWS; `local` keeps users in LOCAL_IDENTITY_FILE. */
  IDENTITY_MODE: z.enum(['cognito', 'local']).default('local'),
  LOCAL_IDENTITY_FILE: z.string().default('.local/identity/users.json'),
  /**
   * What wraps the data keys of personal data: `kms` (PERSONAL_DATA_KEY_ID, the stack's KMS key; KMS_ENDPOINT only
   * for a stand-in) or `local`, a key in a git-ignored file in LOCAL_KEYS_DIR (made on first use). Unset: `kms`
   * when PERSONAL_DATA_KEY_ID is set (AWS: the template sets it), else `local`.
   */
  MASTER_KEY_MODE: unset(z.enum(['kms', 'local'])),
  PERSONAL_DATA_KEY_ID: unset(z.string()),
  KMS_ENDPOINT: unset(z.url()),
  LOCAL_KEYS_DIR: z.string().default('.local/keys'),
  /** HMAC key of the subject index (AWS: from a secret of the stack; local: a file in LOCAL_KEYS_DIR). */
  SUBJECT_INDEX_KEY: unset(z.string().min(32)),
  /**
   * How long a process keeps a plain data key after reading it (also how long an erased key can still decrypt
   * in a warm process), and how many it keeps.
   */
  DATA_KEY_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  DATA_KEY_CACHE_ENTRIES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** `emf`: CloudWatch EMF log lines (AWS); `record`: kept in memory (local runtime, benchmarks). */
  METRICS_MODE: z.enum(['emf', 'record']).default('emf'),
});

export type Config = z.infer<typeof Env>;

/**
 * The local runtime's view of a function's environment (src/platform/local/function-environment.ts), under this
 * well-known symbol: given a module's URL, the environment of the function whose scope it carries, or undefined.
 */
export const FUNCTION_ENVIRONMENT = Symbol.for('bbws.local.functionEnvironment');
type FunctionEnvironmentView = (moduleUrl: string) => NodeJS.ProcessEnv | undefined;

/**
 * The function's environment: in AWS (and the CLI, the benchmarks) the process's. The local runtime runs every
 * function in one process, each with its own instance of this module (src/platform/local/function-scope.ts,
 * the scope in its URL): there it is the variables the function's template gives it, not every function's, so a
 * function missing a variable fails locally as it would in AWS.
 */
export function functionEnvironment(): NodeJS.ProcessEnv {
  const view = (globalThis as { [FUNCTION_ENVIRONMENT]?: FunctionEnvironmentView })[FUNCTION_ENVIRONMENT];
  return view?.(import.meta.url) ?? process.env;
}

export function loadConfig(env: NodeJS.ProcessEnv = functionEnvironment()): Config {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment: ${issue?.path.join('.')}: ${issue?.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

export const eventBusName = (config: Pick<Config, 'STAGE'>): string => `bbws-events-${config.STAGE}`;

/**
 * The tables the function was given: each `TABLE_<logical id>` of its environment, the table's name (rendered per
 * function from the tables it uses: src/platform/infra/function-tables.ts). Asking for another is a mistake of the
 * function's declaration: it throws, naming the variable.
 */
export function configuredTables(
  env: NodeJS.ProcessEnv = functionEnvironment(),
): (logicalId: string) => string {
  return (logicalId) => {
    const name = env[`TABLE_${logicalId}`];
    if (!name)
      throw new RangeError(
        `no table ${logicalId}: TABLE_${logicalId} is not in this function's environment (a function is given the tables its permissions name)`,
      );
    return name;
  };
}
