import { z } from 'zod';
import { InstanceEnvironment } from '../domain/instance.events.js';
import { EnvironmentInfrastructure, WordPressImage } from '../terraform/input.js';

const unset = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

const Repository = z.object({ owner: z.string().min(1), name: z.string().min(1), url: z.url() });
const Workload = z.object({
  repository: Repository,
  cluster: z.string().min(1),
  albUrl: z.string().optional(),
  /** Where the environment keeps Terraform state (default: `bbws-terraform-state-<env>` and its lock table). */
  infrastructure: EnvironmentInfrastructure.optional(),
  /**
   * The role the control plane assumes in the environment's account (`bbws-control-<env>`, made by
   * infra/workload-account.template.json): ECS control and the ECS state sync act in the environment with its
   * credentials, and the environment's account is this ARN's (ecs/workloads.ts, accountOfEnvironment). Absent: a
   * single-account stage, where they act with their own role in the control plane's account (CONTROL_PLANE_ACCOUNT).
   */
  roleArn: z
    .string()
    .regex(/^arn:aws:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN')
    .optional(),
});
const Json = z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
});

/** WORKLOAD_ENVIRONMENTS: the provisioner's, ECS control's and the state sync's one copy of the environments. */
export const WorkloadEnvironments = Json.pipe(z.record(InstanceEnvironment, Workload));
export type WorkloadEnvironments = z.infer<typeof WorkloadEnvironments>;

/** The variables the provisioner reads (the instances context's; parsed once, here and nowhere else). */
const ProvisionerEnv = z.object({
  STAGE: z.string().default('local'),
  AWS_REGION: z.string().default('af-south-1'),
  GITHUB_API_URL: unset(z.url()),
  WORKLOAD_ENVIRONMENTS: WorkloadEnvironments,
  /**
   * The stack's own account (the deploy-outcome webhook's: an environment without a roleArn is in it, and the
   * outputs it reports must be; ecs/workloads.ts workloadPlacements).
   */
  CONTROL_PLANE_ACCOUNT: unset(z.string().regex(/^\d{12}$/)),
  SECRETS_MANAGER_ENDPOINT: unset(z.url()),
  SQS_ENDPOINT: unset(z.url()),
  /** How long the GitHub credentials are kept after a read. */
  GITHUB_CREDENTIALS_TTL_SECONDS: z.coerce.number().int().min(0).max(3600).default(300),
  /** The WordPress image (with the platform's must-use plugin) every tenant folder runs, pinned by digest. */
  WORDPRESS_IMAGE: unset(WordPressImage),
  /** Tenants' sites are installed at https://<tenant>.<environment>.<SITE_BASE_DOMAIN> first. */
  SITE_BASE_DOMAIN: z.string().default('bbws.internal'),
  PLATFORM_ADMIN_EMAIL: z.email().default('platform@bbws.internal'),
});
export type ProvisionerSettings = z.infer<typeof ProvisionerEnv>;

export function provisionerSettings(env: NodeJS.ProcessEnv = process.env): ProvisionerSettings {
  const parsed = ProvisionerEnv.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`invalid environment: ${issue?.path.join('.')}: ${issue?.message}`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
