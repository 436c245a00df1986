import { type Decider, type DomainEvent, fold } from '#src/platform/domain/decider.js';
import { ConcurrencyError } from '#src/platform/event-store/errors.js';
import type {
  EventEnvelope,
  EventMetadata,
  EventStore,
  LoadResult,
  NewEvent,
} from '#src/platform/event-store/event-store.port.js';
import { defaultRetryPolicy, type RetryPolicy, withTransientRetry } from './retry.js';

/** The client pinned the version (If-Match) and the stream is elsewhere: 412, never retried. */
export class PreconditionFailedError extends ConcurrencyError {
  override readonly name = 'PreconditionFailedError';
}

export interface RunnerDependencies {
  store: EventStore;
  clock: () => Date;
  newEventId: () => string;
  retry?: RetryPolicy;
  /** Reload-and-decide attempts after a concurrency conflict. */
  maxConflictRetries?: number;
}

export interface CommandRequest<Command, Event extends DomainEvent, State, Result> {
  decider: Decider<Command, Event, State>;
  streamId: string;
  command: Command;
  metadata: EventMetadata;
  /** A load of this stream the caller already made (to authorize, say): the first attempt uses it. */
  loaded?: LoadResult | undefined;
  /** If-Match: the version the client saw. A mismatch is a PreconditionFailedError, not a retry. */
  expectedVersion?: number | undefined;
  idempotency?: { scope: string; key: string; requestHash: string } | undefined;
  /** What the caller answers with; stored with the idempotency key, so a retry gets the same answer. */
  result: (outcome: { state: State; version: number; occurredAt: string }) => Result;
}

export interface CommandOutcome<State, Result> {
  result: Result;
  version: number;
  events: EventEnvelope[];
  /** Undefined for an idempotent replay: the state is not reloaded. */
  state?: State;
  replayed: boolean;
}

/** load -> decide -> append, retried on concurrency conflicts (unless pinned) and on transient DynamoDB errors. */
export class CommandRunner {
  private readonly retry: RetryPolicy;
  private readonly maxConflictRetries: number;

  constructor(private readonly deps: RunnerDependencies) {
    this.retry = deps.retry ?? defaultRetryPolicy;
    this.maxConflictRetries = deps.maxConflictRetries ?? 5;
  }

  async run<C, E extends DomainEvent, S, R>(
    request: CommandRequest<C, E, S, R>,
  ): Promise<CommandOutcome<S, R>> {
    const { store } = this.deps;
    const { idempotency } = request;
    if (idempotency) {
      const found = await this.transient(() =>
        store.findIdempotent(idempotency.scope, idempotency.key, idempotency.requestHash),
      );
      if (found) return { result: found.result as R, version: Number.NaN, events: [], replayed: true };
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(request, attempt === 0 ? request.loaded : undefined);
      } catch (error) {
        const retry = error instanceof ConcurrencyError && !(error instanceof PreconditionFailedError);
        if (!retry || attempt >= this.maxConflictRetries) throw error;
      }
    }
  }

  private async attempt<C, E extends DomainEvent, S, R>(
    request: CommandRequest<C, E, S, R>,
    preloaded: LoadResult | undefined,
  ): Promise<CommandOutcome<S, R>> {
    const { decider, streamId, expectedVersion } = request;
    const loaded =
      preloaded ??
      (await this.transient(() =>
        this.deps.store.load(streamId, {
          deciderVersion: decider.version,
          ...(decider.snapshotEvery ? { snapshotEvery: decider.snapshotEvery } : {}),
        }),
      ));
    if (expectedVersion !== undefined && expectedVersion !== loaded.version) {
      throw new PreconditionFailedError(streamId, expectedVersion, loaded.version);
    }
    const before = fold(
      decider,
      (loaded.snapshot?.state as S) ?? decider.initialState(),
      asDomain<E>(loaded.events),
    );
    const decided = decider.decide(request.command, before);
    const occurredAt = this.deps.clock().toISOString();
    if (decided.length === 0) {
      const result = request.result({ state: before, version: loaded.version, occurredAt });
      return { result, version: loaded.version, events: [], state: before, replayed: false };
    }
    const after = fold(decider, before, decided);
    const version = loaded.version + decided.length;
    const events: NewEvent[] = decided.map((event) => ({
      eventId: this.deps.newEventId(),
      type: event.type,
      occurredAt,
      data: event.data,
      metadata: request.metadata,
    }));
    const result = request.result({ state: after, version, occurredAt });
    const every = decider.snapshotEvery;
    const snapshot =
      every && Math.floor(version / every) > Math.floor(loaded.version / every)
        ? { deciderVersion: decider.version, version, state: after }
        : undefined;
    const appended = await this.transient(() =>
      this.deps.store.append(streamId, loaded.version, events, {
        token: loaded.token,
        ...(snapshot ? { snapshot } : {}),
        ...(decider.reservations ? { reservations: decider.reservations(before, decided) } : {}),
        ...(request.idempotency ? { idempotency: { ...request.idempotency, result } } : {}),
      }),
    );
    if (appended.replayed) {
      return { result: appended.replayed.result as R, version: appended.version, events: [], replayed: true };
    }
    return { result, version, events: appended.events, state: after, replayed: false };
  }

  private transient<T>(fn: () => Promise<T>): Promise<T> {
    return withTransientRetry(fn, this.retry);
  }
}

function asDomain<E extends DomainEvent>(events: readonly EventEnvelope[]): E[] {
  return events.map((event) => ({ type: event.type, data: event.data }) as E);
}
