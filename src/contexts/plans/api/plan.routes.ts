import { z } from 'zod';
import type { Route } from '#src/platform/http/route.js';
import { DEFAULT_PLAN_ID, PLANS, PLANS_CATALOGUE_VERSION, Plan, VAT_RATE_PERCENT } from '../catalogue.js';

export const PlansView = z.object({
  catalogueVersion: z.number(),
  currency: z.literal('ZAR'),
  vatRatePercent: z.number(),
  defaultPlanId: z.string(),
  items: z.array(Plan),
});

const body: z.infer<typeof PlansView> = {
  catalogueVersion: PLANS_CATALOGUE_VERSION,
  currency: 'ZAR',
  vatRatePercent: VAT_RATE_PERCENT,
  defaultPlanId: DEFAULT_PLAN_ID,
  items: [...PLANS],
};

/** The catalogue is public: prices and tiers are what the sign-up page shows. */
export const planRoutes: Route<unknown>[] = [
  {
    method: 'GET',
    path: '/v1.0/plans',
    auth: 'public',
    summary: 'The plans catalogue: tiers, site quota, environments, monthly price in ZAR with VAT (public)',
    response: { status: 200, schema: PlansView },
    handle: async () => ({
      status: 200,
      headers: { 'cache-control': 'public, max-age=300', etag: `"catalogue-${PLANS_CATALOGUE_VERSION}"` },
      body,
    }),
  },
];
