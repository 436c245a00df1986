import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { ENVIRONMENTS, instanceKey } from './domain/placement.js';

/**
 * How many instances a tenant owns, read consistently from the reservations a live instance holds
 * (`instance:<tenantId>:<environment>`, released when it is DELETED): three strongly consistent GetItems, not the
 * read model. The tenants context refuses a delete without force while it is not 0. The read is not a condition of
 * the delete: an instance created between it and the delete's write is deprovisioned by the reaction to
 * TENANT_DELETED, as a forced delete's instances are.
 */
export async function instancesOwnedBy(
  store: Pick<EventStore, 'reservationHolder'>,
  tenantId: string,
): Promise<number> {
  const holders = await Promise.all(
    ENVIRONMENTS.map((environment) => store.reservationHolder(instanceKey(tenantId, environment))),
  );
  return holders.filter((holder) => holder !== undefined).length;
}
