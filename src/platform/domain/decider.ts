/** A domain event as the decider sees it: the envelope's type and data, nothing about storage. */
export interface DomainEvent {
  type: string;
  data: unknown;
}

/**
 * An event as `evolve` folds it: with the time it happened, as data (emmett: time arrives as data). Stored events
 * carry theirs; the runner stamps the events it decides with its clock before folding them. Only pure
 * specifications leave it out.
 */
export type Timed<E extends DomainEvent> = E & { readonly occurredAt?: string | undefined };

/**
 * One aggregate's behaviour, pure: `decide` turns a command and the current state into events (or throws a
 * DomainError); `evolve` folds one event into state. No I/O, no clock, no ids inside: they arrive as data.
 */
export interface Decider<Command, Event extends DomainEvent, State> {
  readonly name: string;
  /** Bump when `evolve` or the state shape changes: snapshots of another version are ignored. */
  readonly version: string;
  /** Snapshot cadence in events; loading then costs a snapshot plus at most N-1 events. */
  readonly snapshotEvery?: number;
  initialState(): State;
  decide(command: Command, state: State): Event[];
  evolve(state: State, event: Timed<Event>): State;
  /** Uniqueness keys these events take or give back (written atomically with them). */
  reservations?(state: State, events: readonly Timed<Event>[]): { claim: string[]; release: string[] };
}

export function fold<Event extends DomainEvent, State>(
  decider: Pick<Decider<unknown, Event, State>, 'evolve'>,
  state: State,
  events: readonly Timed<Event>[],
): State {
  return events.reduce((current, event) => decider.evolve(current, event), state);
}
