import { z } from 'zod';

/**
 * The plans catalogue: what a tenant buys. One typed module, versioned as a whole (`PLANS_CATALOGUE_VERSION`) and
 * per plan (`version`): a change to a plan's tier, quota, environments or price bumps both, so an instance records
 * exactly which plan version it was given (INSTANCE_TIER_APPLIED) and nothing changes under a running instance
 * until the tier is applied again. Pure data: no I/O, nothing else of the platform.
 */
export const PLANS_CATALOGUE_VERSION = 1;

/** South African VAT, 15% since 1 April 2018. Prices are kept net; VAT and gross are derived, in cents. */
export const VAT_RATE_PERCENT = 15;

export const PlanEnvironment = z.enum(['dev', 'sit', 'prod']);
export type PlanEnvironment = z.infer<typeof PlanEnvironment>;

/**
 * The instance tier a plan gives each of the tenant's instances: the Fargate task size (a valid cpu/memory pair:
 * the instances context checks every plan against Terraform's InstanceTier), the count ECS starts with and the
 * autoscaling bounds a scale request must stay within, and the wp-content storage quota.
 */
export const PlanTier = z.strictObject({
  cpu: z.number().int().positive(),
  memoryMiB: z.number().int().positive(),
  desiredCount: z.number().int().min(0),
  minCount: z.number().int().min(0),
  maxCount: z.number().int().min(1),
  storageGiB: z.number().int().min(1),
});
export type PlanTier = z.infer<typeof PlanTier>;

export const MonthlyPrice = z.strictObject({
  currency: z.literal('ZAR'),
  vatRatePercent: z.number(),
  netCents: z.number().int().min(0),
  vatCents: z.number().int().min(0),
  grossCents: z.number().int().min(0),
});
export type MonthlyPrice = z.infer<typeof MonthlyPrice>;

export const Plan = z.strictObject({
  planId: z.string().regex(/^[a-z][a-z0-9-]{1,31}$/),
  version: z.number().int().min(1),
  name: z.string(),
  description: z.string(),
  tier: PlanTier,
  /** How many WordPress sites one instance of the plan may host (site management counts against it). */
  sitesPerInstance: z.number().int().min(1),
  /** The environments the plan includes; a tenant's instances are also bounded by its own environment. */
  environments: z.array(PlanEnvironment).min(1),
  monthlyPrice: MonthlyPrice,
});
export type Plan = z.infer<typeof Plan>;

/**
 * VAT in cents, rounded half up (a whole number of cents: integer arithmetic, no floating point), and the gross.
 */
export function priceOf(netCents: number): MonthlyPrice {
  if (!Number.isSafeInteger(netCents) || netCents < 0) throw new RangeError(`netCents ${netCents}`);
  const vatCents = Math.floor((netCents * VAT_RATE_PERCENT + 50) / 100);
  return {
    currency: 'ZAR',
    vatRatePercent: VAT_RATE_PERCENT,
    netCents,
    vatCents,
    grossCents: netCents + vatCents,
  };
}

const plan = (p: Omit<Plan, 'monthlyPrice'> & { netCents: number }): Plan => {
  const { netCents, ...rest } = p;
  return Plan.parse({ ...rest, monthlyPrice: priceOf(netCents) });
};

/** Every plan on sale, cheapest first. */
export const PLANS: readonly Plan[] = [
  plan({
    planId: 'starter',
    version: 1,
    name: 'Starter',
    description: 'One live WordPress site, with a development copy',
    tier: { cpu: 256, memoryMiB: 512, desiredCount: 1, minCount: 1, maxCount: 2, storageGiB: 5 },
    sitesPerInstance: 1,
    environments: ['dev', 'prod'],
    netCents: 34_900,
  }),
  plan({
    planId: 'business',
    version: 1,
    name: 'Business',
    description: 'Up to five sites per instance, with a staging (sit) environment',
    tier: { cpu: 512, memoryMiB: 1024, desiredCount: 1, minCount: 1, maxCount: 4, storageGiB: 20 },
    sitesPerInstance: 5,
    environments: ['dev', 'sit', 'prod'],
    netCents: 99_900,
  }),
  plan({
    planId: 'enterprise',
    version: 1,
    name: 'Enterprise',
    description: 'Two tasks at least, up to eight, 25 sites per instance, every environment',
    tier: { cpu: 1024, memoryMiB: 2048, desiredCount: 2, minCount: 2, maxCount: 8, storageGiB: 100 },
    sitesPerInstance: 25,
    environments: ['dev', 'sit', 'prod'],
    netCents: 349_900,
  }),
];

/** The plan of a tenant that never had one chosen (no PLAN_CHANGED on its stream). */
export const DEFAULT_PLAN_ID = 'starter';

export const PLAN_IDS = PLANS.map((p) => p.planId) as [string, ...string[]];

/** The plan with this id; undefined for an id the catalogue does not know. */
export const findPlan = (planId: string): Plan | undefined => PLANS.find((p) => p.planId === planId);

/** A tenant's plan: the one its stream chose, or the catalogue's default. */
export function planOf(planId: string | undefined): Plan {
  const found = findPlan(planId ?? DEFAULT_PLAN_ID);
  if (!found) throw new RangeError(`plan ${planId} is not in catalogue version ${PLANS_CATALOGUE_VERSION}`);
  return found;
}
