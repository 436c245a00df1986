import { TenantTerraformInput } from '../input.js';
import { tenantFolder } from '../naming.js';
import { appPasswordFile } from './app-password.js';
import { databaseFile } from './database.js';
import { outputsFile } from './outputs.js';
import { routingFile } from './routing.js';
import { scalingFile } from './scaling.js';
import { serviceFile } from './service.js';
import { tenantFile } from './tenant-locals.js';
import { backendFile, providersFile, sharedFile, versionsFile } from './terraform-files.js';
import { renderJson, type TfBody } from './tf-json.js';

export interface TenantFolder {
  /** The folder in the environment repository, e.g. `tenants/01J...`. */
  readonly folder: string;
  /** File name -> content, byte-identical for equal inputs. */
  readonly files: Readonly<Record<string, string>>;
}

/** The files of one tenant's folder, in Terraform's JSON syntax. Pure: same input, same bytes. */
export function generateTenantFolder(raw: TenantTerraformInput): TenantFolder {
  const input = TenantTerraformInput.parse(raw);
  const bodies: Record<string, TfBody> = {
    'versions.tf.json': versionsFile(),
    'backend.tf.json': backendFile(input),
    'providers.tf.json': providersFile(),
    'shared.tf.json': sharedFile(input),
    'tenant.tf.json': tenantFile(input),
    'service.tf.json': serviceFile(),
    'routing.tf.json': routingFile(),
    'scaling.tf.json': scalingFile(),
    'database.tf.json': databaseFile(),
    'app-password.tf.json': appPasswordFile(),
    'outputs.tf.json': outputsFile(),
  };
  const files = Object.fromEntries(
    Object.keys(bodies)
      .sort()
      .map((name) => [name, renderJson(bodies[name] as TfBody)]),
  );
  return { folder: tenantFolder(input.tenantId), files };
}
