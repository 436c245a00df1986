import type { Live } from '../domain/instance.state.js';
import {
  checkTerraform,
  generateTenantFolder,
  type TenantFolder,
  type TenantTerraformInput,
} from '../terraform/index.js';

/** What a tenant folder takes beyond the instance's state: the environment's image, state bucket, site names. */
export interface FolderSettings {
  region: string;
  image: string;
  siteBaseDomain: string;
  adminEmail: string;
  infrastructure?: Partial<Record<string, TenantTerraformInput['infrastructure']>>;
}

/** Until an image pipeline publishes one: the platform's WordPress image, pinned by digest. */
export const DEFAULT_WORDPRESS_IMAGE = `bbws/wordpress@sha256:${'0'.repeat(64)}`;

/** The folder's input, from the instance's state at its head (never from the event: it may be old). */
export function folderInput(state: Live, settings: FolderSettings): TenantTerraformInput {
  const { environment, tenantId } = state;
  return {
    tenantId,
    environment,
    tier: state.tier,
    albSlot: state.albSlot,
    image: settings.image,
    site: {
      url: `https://${tenantId.toLowerCase()}.${environment}.${settings.siteBaseDomain}`,
      adminEmail: settings.adminEmail,
      domains: [],
    },
    infrastructure: settings.infrastructure?.[environment] ?? {
      awsRegion: settings.region,
      stateBucket: `bbws-terraform-state-${environment}`,
      lockTable: `bbws-terraform-locks-${environment}`,
      sharedStateKey: 'shared/terraform.tfstate',
    },
    suspended: state.status === 'SUSPENDED',
  };
}

/** Generates the folder and checks it; `problems` non-empty: the folder must not be committed. */
export function checkedFolder(
  input: TenantTerraformInput,
  generate: (input: TenantTerraformInput) => TenantFolder = generateTenantFolder,
): { folder: TenantFolder; problems: string[] } {
  const folder = generate(input);
  return { folder, problems: checkTerraform(folder.files) };
}
