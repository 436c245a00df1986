import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PLAN_ID, findPlan, PLANS, Plan, planOf, priceOf, VAT_RATE_PERCENT } from './catalogue.js';

describe('plans catalogue', () => {
  it('holds valid plans with unique ids, and the default among them', () => {
    for (const plan of PLANS) expect(Plan.parse(plan)).toEqual(plan);
    expect(new Set(PLANS.map((p) => p.planId)).size).toBe(PLANS.length);
    expect(findPlan(DEFAULT_PLAN_ID)).toBeDefined();
    expect(planOf(undefined).planId).toBe(DEFAULT_PLAN_ID);
    expect(() => planOf('gold')).toThrow(RangeError);
  });

  it('gives every plan an autoscaling range that holds its desired count', () => {
    for (const { tier } of PLANS) {
      expect(tier.minCount).toBeLessThanOrEqual(tier.desiredCount);
      expect(tier.desiredCount).toBeLessThanOrEqual(tier.maxCount);
    }
  });

  it('prices in cents: VAT is 15% rounded half up, gross = net + VAT', () => {
    expect(VAT_RATE_PERCENT).toBe(15);
    expect(priceOf(34_900)).toEqual({
      currency: 'ZAR',
      vatRatePercent: 15,
      netCents: 34_900,
      vatCents: 5_235,
      grossCents: 40_135,
    });
    expect(priceOf(10).vatCents).toBe(2); // 1.5 -> 2
    expect(priceOf(3).vatCents).toBe(0); // 0.45 -> 0
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000_000_00 }), (net) => {
        const { vatCents, grossCents } = priceOf(net);
        expect(grossCents).toBe(net + vatCents);
        // the exact VAT is within half a cent of the rounded one
        expect(Math.abs(vatCents * 100 - net * VAT_RATE_PERCENT)).toBeLessThanOrEqual(50);
      }),
    );
    for (const plan of PLANS) expect(plan.monthlyPrice).toEqual(priceOf(plan.monthlyPrice.netCents));
    expect(() => priceOf(-1)).toThrow(RangeError);
    expect(() => priceOf(1.5)).toThrow(RangeError);
  });
});
