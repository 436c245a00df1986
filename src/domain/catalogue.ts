import { EventCatalogue } from '../event-store/catalogue.js';
import { tenantEventDefinitions } from './tenant/tenant.events.js';

/** The event catalogue: every event type the system writes, with its schema per version. */
export const catalogue = new EventCatalogue([...tenantEventDefinitions]);
