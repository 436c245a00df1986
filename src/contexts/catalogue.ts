import type { BoundedContext } from '#src/platform/context.js';
import { EventCatalogue } from '#src/platform/event-store/catalogue.js';
import { privacyEventDefinitions } from '#src/platform/privacy/data-subjects/data-subject.events.js';
import { instances } from './instances/index.js';
import { plans } from './plans/index.js';
import { tenants } from './tenants/index.js';

/** What every function may need of a context: its events, aggregates, projections and personal-data handler. */
export type ContextModel = Pick<
  BoundedContext,
  'name' | 'events' | 'aggregates' | 'projections' | 'personalData'
>;

/**
 * Every context's model, from its front door (its index.ts), in src/contexts/index.ts's order: not its routes,
 * consumers or deployables, so the functions that need the catalogue, the projections or the personal-data
 * handlers (all of them, through the wiring) bundle no other context's code. contexts.unit.test.ts checks that
 * this list and src/contexts/index.ts name the same contexts with the same models.
 */
export const contextModels: readonly ContextModel[] = [tenants, plans, instances];

/**
 * The event catalogue: every event type the system writes, with its schema per version — every context's, and
 * the platform's privacy events (data subjects' own streams, and the erasure marker any stream may hold).
 */
export const catalogue = new EventCatalogue([
  ...contextModels.flatMap((context) => context.events),
  ...privacyEventDefinitions,
]);
