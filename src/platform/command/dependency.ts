import type { Decider, DomainEvent, Timed } from '#src/platform/domain/decider.js';
import { fold } from '#src/platform/domain/decider.js';
import type { LoadOptions, LoadResult } from '#src/platform/event-store/event-store.port.js';

/** What folding a stream needs of its decider. */
export type Folding<E extends DomainEvent, S> = Pick<
  Decider<never, E, S>,
  'version' | 'snapshotEvery' | 'initialState' | 'evolve'
>;

export const loadOptionsOf = (
  decider: Pick<Decider<never, DomainEvent, unknown>, 'version' | 'snapshotEvery'>,
) =>
  ({
    deciderVersion: decider.version,
    ...(decider.snapshotEvery ? { snapshotEvery: decider.snapshotEvery } : {}),
  }) satisfies LoadOptions;

/** The state a load describes: its snapshot (or the initial state) with the events after it folded in. */
export function stateOf<E extends DomainEvent, S>(decider: Folding<E, S>, loaded: LoadResult): S {
  const events = loaded.events.map(
    (event) => ({ type: event.type, data: event.data, occurredAt: event.occurredAt }) as Timed<E>,
  );
  return fold(decider, (loaded.snapshot?.state as S | undefined) ?? decider.initialState(), events);
}

/**
 * Another stream a command depends on (an instance command on its tenant's stream: membership, parked or not).
 * The runner loads it on every attempt, calls `check` with what it loaded, and makes the head it saw a
 * condition of the append: if the stream moves before the write, nothing is written and the runner decides
 * again on a fresh load. Built with `dependsOn`.
 */
export interface Dependency {
  readonly streamId: string;
  readonly loadOptions: LoadOptions;
  /** A load the caller already made (for its own access check): the first attempt uses it. */
  readonly loaded?: LoadResult | undefined;
  /** Throws (ForbiddenError, NotFoundError, IllegalStateError, ...) if the command may not go ahead on it. */
  check(loaded: LoadResult): void;
}

export function dependsOn<E extends DomainEvent, S>(
  decider: Folding<E, S>,
  streamId: string,
  check: (state: S, loaded: LoadResult) => void,
  loaded?: LoadResult,
): Dependency {
  return {
    streamId,
    loadOptions: loadOptionsOf(decider),
    loaded,
    check: (current) => check(stateOf(decider, current), current),
  };
}
