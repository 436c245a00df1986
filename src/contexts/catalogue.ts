import { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import { privacyEventDefinitions } from '#src/platform/privacy/data-subjects/data-subject.events.js';
import { contexts } from './index.js';

/**
 * The event catalogue: every event type the system writes, with its schema per version — every context's, and
 * the platform's privacy events (data subjects' own streams, and the erasure marker any stream may hold).
 */
export const catalogue = new EventCatalogue([
  ...contexts.flatMap((context) => context.events),
  ...privacyEventDefinitions,
]);
