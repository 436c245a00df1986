import { z } from 'zod';

export const TerraformEnvironment = z.enum(['dev', 'sit', 'prod']);
export type TerraformEnvironment = z.infer<typeof TerraformEnvironment>;

/** The platform issues tenant ids as ULIDs; names derived from them (target group: 32 chars) need the bound. */
export const TenantUlid = z
  .string()
  .regex(/^[0-9A-HJKMNP-TV-Z]{26}$/, 'must be a ULID (26 upper-case Crockford base32 characters)');

/** Fargate's valid task sizes: memory (MiB) allowed for each CPU value. */
const step = (from: number, to: number, by: number): number[] =>
  Array.from({ length: (to - from) / by + 1 }, (_, i) => from + i * by);
export const FARGATE_SIZES: Readonly<Record<number, readonly number[]>> = {
  256: [512, 1024, 2048],
  512: step(1024, 4096, 1024),
  1024: step(2048, 8192, 1024),
  2048: step(4096, 16384, 1024),
  4096: step(8192, 30720, 1024),
  8192: step(16384, 61440, 4096),
  16384: step(32768, 122880, 8192),
};

const Count = z.number().int().min(0).max(100);

/** The instance tier of the tenant's plan (never hard-coded here: it comes from the plans catalogue). */
export const InstanceTier = z
  .strictObject({
    cpu: z.number().int(),
    memoryMiB: z.number().int(),
    desiredCount: Count,
    minCount: Count,
    maxCount: Count.min(1),
    storageGiB: z.number().int().min(1).max(1024),
  })
  .superRefine((tier, ctx) => {
    if (!FARGATE_SIZES[tier.cpu]?.includes(tier.memoryMiB)) {
      ctx.addIssue({ code: 'custom', path: ['memoryMiB'], message: 'not a valid Fargate cpu/memory pair' });
    }
    if (!(tier.minCount <= tier.desiredCount && tier.desiredCount <= tier.maxCount)) {
      ctx.addIssue({ code: 'custom', path: ['desiredCount'], message: 'must satisfy min <= desired <= max' });
    }
  });
export type InstanceTier = z.infer<typeof InstanceTier>;

/**
 * Listener rules per tenant: one on X-Tenant-Id plus one per three site domains (ALB: at most three values per
 * condition). The control plane reserves a block of this many consecutive priorities per tenant.
 */
export const DOMAINS_PER_HOST_RULE = 3;
export const MAX_SITE_DOMAINS = 9;
export const PRIORITIES_PER_TENANT = 1 + MAX_SITE_DOMAINS / DOMAINS_PER_HOST_RULE;

/** Which ALB of the environment the tenant sits behind, and the first priority of its block. */
export const AlbSlot = z.strictObject({
  alb: z.number().int().min(1).max(99),
  priority: z
    .number()
    .int()
    .min(1)
    .max(50_000 - PRIORITIES_PER_TENANT + 1),
});
export type AlbSlot = z.infer<typeof AlbSlot>;

const Hostname = z
  .string()
  .max(128)
  .regex(/^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a lower-case host name');

export const SiteSettings = z.strictObject({
  /** The URL WordPress is installed at on first boot (WP_HOME / siteurl). */
  url: z.url({ protocol: /^https?$/ }).regex(/^[^"\\${}%\s]+$/, 'must not contain quotes, braces, % or $'),
  /** The e-mail of the platform's WordPress administrator created at first boot. */
  adminEmail: z.email().max(254),
  /** The tenant's own site domains the ALB routes on Host (may be empty). */
  domains: z
    .array(Hostname)
    .max(MAX_SITE_DOMAINS)
    .refine((d) => new Set(d).size === d.length, 'domains must be unique'),
});

/** The WordPress image carrying the platform's must-use plugin, pinned by digest so a commit names one image. */
export const WordPressImage = z
  .string()
  .max(512)
  .regex(
    /^[a-z0-9][a-z0-9.-]*(:[0-9]+)?(\/[a-z0-9._-]+)+@sha256:[a-f0-9]{64}$/,
    'must be repository@sha256:digest',
  );

/** Where the environment keeps Terraform state and its shared stack's outputs (control-plane config). */
export const EnvironmentInfrastructure = z.strictObject({
  awsRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region'),
  stateBucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name'),
  lockTable: z.string().regex(/^[A-Za-z0-9_.-]{3,255}$/, 'must be a DynamoDB table name'),
  sharedStateKey: z.string().regex(/^[A-Za-z0-9_./-]+\.tfstate$/, 'must be an S3 key ending in .tfstate'),
});

export const TenantTerraformInput = z.strictObject({
  tenantId: TenantUlid,
  environment: TerraformEnvironment,
  tier: InstanceTier,
  albSlot: AlbSlot,
  image: WordPressImage,
  site: SiteSettings,
  infrastructure: EnvironmentInfrastructure,
  /** A parked tenant: autoscaling bounds 0/0, so a later apply (e.g. a plan change) never starts it again. */
  suspended: z.boolean(),
});
export type TenantTerraformInput = z.infer<typeof TenantTerraformInput>;
