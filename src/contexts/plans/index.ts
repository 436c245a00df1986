import type { BoundedContext } from '#src/platform/context.js';

/**
 * Plans: the catalogue of what a tenant buys (instance tier, site quota, environments, price). A context of its own
 * because the tenants context (PLAN_CHANGED), the instances context (tiers) and later payments (prices) all read
 * it, and it reads none of them: kept inside instances, tenants would have to import instances, which imports
 * tenants (tenant access). It writes no events; its one function is in registration.ts.
 */
export const plans = {
  name: 'plans',
  events: [],
  aggregates: {},
  projections: [],
} satisfies Pick<BoundedContext, 'name' | 'events' | 'aggregates' | 'projections'>;

export {
  DEFAULT_PLAN_ID,
  findPlan,
  PLAN_IDS,
  PLANS,
  PLANS_CATALOGUE_VERSION,
  type Plan,
  type PlanEnvironment,
  type PlanTier,
  planOf,
  priceOf,
  VAT_RATE_PERCENT,
} from './catalogue.js';
