import { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import { contexts } from './index.js';

/** The event catalogue: every event type the system writes, with its schema per version. */
export const catalogue = new EventCatalogue(contexts.flatMap((context) => context.events));
