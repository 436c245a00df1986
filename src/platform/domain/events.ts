import type { z } from 'zod';
import type { BoundedContext, EventDefinition } from '#src/platform/event-store/catalogue.js';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import type { DomainEvent } from './decider.js';
import { PERSONAL_DATA_ERASED, type PersonalDataErasedEvent } from './personal-data.js';

/** One event type as a context declares it: every schema version ever written (oldest first) and the upcasters. */
export interface EventSpec<Current extends z.ZodType = z.ZodType> {
  schemas: readonly [...z.ZodType[], Current];
  /** upcasters[i] turns version i+1 into version i+2; none while there is one version. */
  upcasters?: readonly ((data: never) => unknown)[];
  description: string;
}

type CurrentData<Spec> = Spec extends { schemas: readonly [...unknown[], infer S extends z.ZodType] }
  ? z.output<S>
  : never;

type Specs = Record<string, EventSpec>;

type UnionOf<S extends Specs> = {
  [T in keyof S & string]: { type: T; data: CurrentData<S[T]> };
}[keyof S & string];

/**
 * The `{type, data}` union of a context's events, derived from its schemas (never written by hand), plus the
 * platform's PERSONAL_DATA_ERASED: the erasure process appends it to any stream holding an erased person's data,
 * so every decider and typed projection must take it (their exhaustive switches make the compiler say so).
 */
export type EventsOf<Set extends { readonly specs: Specs }> = UnionOf<Set['specs']> | PersonalDataErasedEvent;

/** The envelope of one of these events: a switch on `type` narrows `data` (distributes over the union). */
export type Envelope<E extends DomainEvent> = E extends DomainEvent
  ? EventEnvelope<E['type'], E['data']>
  : never;

export interface EventSet<S extends Specs> {
  readonly specs: S;
  /** For the event catalogue (src/contexts/catalogue.ts builds it from every context's). */
  readonly definitions: EventDefinition[];
  readonly types: readonly (keyof S & string)[];
  /**
   * Whether a stored event is one of these, or the erasure marker any stream may hold (the catalogue validated its
   * data when it was written or read).
   */
  has(event: EventEnvelope): event is Envelope<UnionOf<S> | PersonalDataErasedEvent>;
}

/** A context's events, declared once: the catalogue's definitions and the TypeScript union come from the same specs. */
export function defineEvents<const S extends Specs>(context: BoundedContext, specs: S): EventSet<S> {
  const types = Object.keys(specs) as (keyof S & string)[];
  const known = new Set<string>([...types, PERSONAL_DATA_ERASED]);
  return {
    specs,
    definitions: types.map((type) => {
      const { schemas, upcasters = [], description } = specs[type] as EventSpec;
      return { type, context, schemas, upcasters, description };
    }),
    types,
    has: (event: EventEnvelope): event is Envelope<UnionOf<S> | PersonalDataErasedEvent> =>
      known.has(event.type),
  };
}
