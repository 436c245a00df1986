import fc from 'fast-check';
import {
  FARGATE_SIZES,
  MAX_SITE_DOMAINS,
  PRIORITIES_PER_TENANT,
  type TenantTerraformInput,
} from '../input.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/);
const hostname = fc
  .tuple(
    fc.boolean(),
    fc.array(label, { minLength: 1, maxLength: 3 }),
    fc.constantFrom('co.za', 'com', 'org'),
  )
  .map(([wildcard, labels, tld]) => `${wildcard ? '*.' : ''}${labels.join('.')}.${tld}`);

const tier = fc
  .constantFrom(...Object.keys(FARGATE_SIZES).map(Number))
  .chain((cpu) => fc.tuple(fc.constant(cpu), fc.constantFrom(...(FARGATE_SIZES[cpu] ?? []))))
  .chain(([cpu, memoryMiB]) =>
    fc
      .tuple(
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 1024 }),
      )
      .chain(([min, max, storageGiB]) => {
        const maxCount = Math.max(min, max);
        return fc.integer({ min, max: maxCount }).map((desiredCount) => ({
          cpu,
          memoryMiB,
          desiredCount,
          minCount: min,
          maxCount,
          storageGiB,
        }));
      }),
  );

/** Any input the schema accepts (within the shapes the control plane produces). */
export const tenantInput: fc.Arbitrary<TenantTerraformInput> = fc.record({
  tenantId: fc
    .string({ unit: fc.constantFrom(...CROCKFORD), minLength: 26, maxLength: 26 })
    .map((s) => `0${s.slice(1)}`),
  environment: fc.constantFrom('dev', 'sit', 'prod'),
  tier,
  albSlot: fc.record({
    alb: fc.integer({ min: 1, max: 99 }),
    priority: fc.integer({ min: 1, max: 50_000 - PRIORITIES_PER_TENANT + 1 }),
  }),
  image: fc
    .tuple(fc.stringMatching(/^[a-z0-9]{1,12}$/), fc.stringMatching(/^[a-f0-9]{64}$/))
    .map(([repo, digest]) => `123456789012.dkr.ecr.af-south-1.amazonaws.com/bbws/${repo}@sha256:${digest}`),
  site: fc.record({
    url: hostname.filter((h) => !h.startsWith('*')).map((h) => `https://${h}`),
    adminEmail: fc
      .tuple(
        label,
        hostname.filter((h) => !h.startsWith('*')),
      )
      .map(([user, host]) => `${user}@${host}`),
    domains: fc.uniqueArray(hostname, { maxLength: MAX_SITE_DOMAINS }),
  }),
  infrastructure: fc.record({
    awsRegion: fc.constantFrom('af-south-1', 'eu-west-1', 'us-east-1'),
    stateBucket: fc.stringMatching(/^[a-z0-9][a-z0-9-]{2,20}[a-z0-9]$/),
    lockTable: fc.stringMatching(/^[A-Za-z0-9_-]{3,30}$/),
    sharedStateKey: fc.constantFrom('shared/terraform.tfstate', 'env/shared.tfstate'),
  }),
  suspended: fc.boolean(),
});
