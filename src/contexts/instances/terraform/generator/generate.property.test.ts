import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkTerraform } from '../checker/check.js';
import { tenantOfService } from '../naming.js';
import { tenantInput } from '../test-support/arbitraries.js';
import { generateTenantFolder } from './generate.js';
import { renderJson } from './tf-json.js';

describe('generateTenantFolder (properties)', () => {
  it('is deterministic, sorted, and always passes the checker', () => {
    fc.assert(
      fc.property(tenantInput, (input) => {
        const first = generateTenantFolder(input);
        const second = generateTenantFolder(structuredClone(input));
        expect(second).toEqual(first);
        for (const content of Object.values(first.files))
          expect(renderJson(JSON.parse(content))).toBe(content);
        expect(checkTerraform(first.files)).toEqual([]);
      }),
      { numRuns: 150 },
    );
  });

  it('gives the tenant back from its service name', () => {
    fc.assert(
      fc.property(tenantInput, (input) => {
        const locals = JSON.parse(generateTenantFolder(input).files['tenant.tf.json'] ?? '{}').locals;
        expect(tenantOfService(locals.service_name)).toEqual({
          environment: input.environment,
          tenantId: input.tenantId,
        });
      }),
    );
  });

  it('routes on one header rule plus one host rule per three domains, within the reserved priorities', () => {
    fc.assert(
      fc.property(tenantInput, (input) => {
        const locals = JSON.parse(generateTenantFolder(input).files['tenant.tf.json'] ?? '{}').locals;
        expect(locals.host_rule_domains.flat()).toEqual(input.site.domains);
        expect(locals.host_rule_domains.every((group: string[]) => group.length <= 3)).toBe(true);
        expect(1 + locals.host_rule_domains.length).toBeLessThanOrEqual(4);
      }),
    );
  });
});
