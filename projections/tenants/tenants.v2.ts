import { tenantsContactDomain } from '#migrations/tenants/read-models/0001-tenants-contact-domain.js';
import { migrate } from '#src/platform/projection-runtime/migration.js';
import { tenantsV1 } from './tenants.v1.js';

/** bbws-tenants v2 = v1 + migration 0001 (contactDomain, GSI3). */
export const tenantsV2 = migrate(tenantsV1, tenantsContactDomain);
