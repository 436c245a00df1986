import { describe, expect, it } from 'vitest';
import { PLANS } from '#src/contexts/plans/index.js';
import { InstanceTier } from '../terraform/input.js';

describe('the plans catalogue, as the instances take it', () => {
  it('gives every plan a tier Terraform accepts (a valid Fargate cpu/memory pair, min <= desired <= max)', () => {
    for (const plan of PLANS) expect(InstanceTier.safeParse(plan.tier).success, plan.planId).toBe(true);
  });
});
