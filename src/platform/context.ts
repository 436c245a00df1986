import type { Decider, DomainEvent } from '#src/platform/domain/decider.js';
import type { Projection } from '#src/platform/domain/projection.js';
import type { EventDefinition } from '#src/platform/event-store/catalogue.js';
import type { Deployables } from '#src/platform/infra/definitions.js';

/**
 * Everything the platform needs from one bounded context, exported by its `index.ts` and listed once in
 * src/contexts/index.ts: the event catalogue, the projections, the CLI's deciders, the routes (and with them
 * the OpenAPI document) and what it deploys are all built from these.
 */
export interface BoundedContext extends Deployables {
  /** The context's folder under src/contexts, projections and migrations. */
  name: string;
  events: readonly EventDefinition[];
  /** The aggregates whose streams this context writes, by stream category (`tenant` for `tenant-...`). */
  aggregates: Readonly<Record<string, Decider<never, DomainEvent, unknown>>>;
  /** Every version of every projection of the context; which one readers use is the registry's business. */
  projections: readonly Projection[];
}
