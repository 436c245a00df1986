import type { TenantTerraformInput } from '../input.js';

const infrastructure = (env: string) => ({
  awsRegion: 'af-south-1',
  stateBucket: `bbws-terraform-state-${env}`,
  lockTable: `bbws-terraform-locks-${env}`,
  sharedStateKey: 'shared/terraform.tfstate',
});

const IMAGE = `123456789012.dkr.ecr.af-south-1.amazonaws.com/bbws/wordpress@sha256:${'ab12'.repeat(16)}`;

/** A prod tenant with two site domains, behind ALB 2. */
export const prodTenant: TenantTerraformInput = {
  tenantId: '01JD8ZQ4M6Y7X3K2P9R5T1V0WA',
  environment: 'prod',
  tier: { cpu: 1024, memoryMiB: 2048, desiredCount: 2, minCount: 2, maxCount: 6, storageGiB: 50 },
  albSlot: { alb: 2, priority: 405 },
  image: IMAGE,
  site: {
    url: 'https://www.acme.co.za',
    adminEmail: 'ops@acme.co.za',
    domains: ['www.acme.co.za', 'acme.co.za'],
  },
  infrastructure: infrastructure('prod'),
  suspended: false,
};

/** A dev tenant: smallest tier, no domains of its own. */
export const devTenant: TenantTerraformInput = {
  tenantId: '01JD9A0B1C2D3E4F5G6H7J8K9M',
  environment: 'dev',
  tier: { cpu: 256, memoryMiB: 512, desiredCount: 1, minCount: 1, maxCount: 1, storageGiB: 5 },
  albSlot: { alb: 1, priority: 1 },
  image: IMAGE,
  site: {
    url: 'https://01jd9a0b1c2d3e4f5g6h7j8k9m.dev.bbws.internal',
    adminEmail: 'dev@bbws.test',
    domains: [],
  },
  infrastructure: infrastructure('dev'),
  suspended: false,
};

/** The prod tenant after a plan change to a larger tier. */
export const prodTenantUpgraded: TenantTerraformInput = {
  ...prodTenant,
  tier: { cpu: 2048, memoryMiB: 4096, desiredCount: 3, minCount: 3, maxCount: 10, storageGiB: 100 },
};
