/**
 * Terraform for one tenant's WordPress instance, generated from typed inputs, checked offline, and the deploy
 * workflow of the environment repositories. Pure: no I/O, no clock, no AWS SDK.
 */
export { type CheckOptions, checkTerraform } from './checker/check.js';
export { generateTenantFolder, type TenantFolder } from './generator/generate.js';
export { readTenantSettings, type TenantSettings } from './generator/read-folder.js';
export { TIER_LOCALS } from './generator/tenant-locals.js';
export {
  AlbSlot,
  FARGATE_SIZES,
  InstanceTier,
  PRIORITIES_PER_TENANT,
  TenantTerraformInput,
  TerraformEnvironment,
} from './input.js';
export {
  PLATFORM_WORDPRESS_USER,
  secretName,
  serviceName,
  stateKey,
  tenantFolder,
  tenantOfService,
} from './naming.js';
export { SHARED_OUTPUTS } from './shared-infrastructure.js';
export { PROVIDERS, TERRAFORM_VERSION } from './versions.js';
export { DEPLOY_TENANT_WORKFLOW_PATH, deployTenantWorkflow } from './workflow/deploy-tenant.js';
