import { tenantEventDefinitions } from '#src/contexts/tenants/domain/tenant.events.js';
import { EventCatalogue } from '#src/platform/event-store/catalogue.js';

/** The event catalogue: every event type the system writes, with its schema per version. */
export const catalogue = new EventCatalogue([...tenantEventDefinitions]);
