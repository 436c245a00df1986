import type { Row } from '#src/platform/domain/projection.js';
import type { ReadModelMigration } from '#src/platform/projection-runtime/migration.js';

/**
 * bbws-tenants v2: tenants by contact e-mail domain ("which tenants does acme.com run?"). Adds the field
 * `contactDomain` to the tenant row and to its markers, and the index GSI3 (DOMAIN#{domain} / {createdAt}#{id})
 * on the tenant row only.
 */
export const tenantsContactDomain: ReadModelMigration = {
  id: '0001',
  projection: 'tenants',
  from: 1,
  to: 2,
  table: 'TenantsV2Table',
  description: 'add contactDomain and GSI3 (tenants by contact e-mail domain)',
  migrateRow(row: Row): Row {
    if (typeof row.contactEmail !== 'string') return row;
    const contactDomain = row.contactEmail.slice(row.contactEmail.lastIndexOf('@') + 1).toLowerCase();
    if (row.SK !== 'METADATA') return { ...row, contactDomain };
    return {
      ...row,
      contactDomain,
      GSI3PK: `DOMAIN#${contactDomain}`,
      GSI3SK: `${row.createdAt}#${row.tenantId}`,
    };
  },
};
