import type { Decider, DomainEvent, Timed } from '#src/platform/domain/decider.js';
import { fold } from '#src/platform/domain/decider.js';
import { ConcurrencyError } from '#src/platform/event-store/errors.js';
import type {
  EventEnvelope,
  EventMetadata,
  EventStore,
  IdempotentReplay,
  LoadOptions,
  LoadResult,
  LoadToken,
  NewEvent,
} from '#src/platform/event-store/event-store.port.js';
import { type Dependency, loadOptionsOf, stateOf } from './dependency.js';
import { defaultRetryPolicy, type RetryPolicy, withTransientRetry } from './retry.js';

/** If-Match as versions: one, any of several (a list of ETags), or `exists` (`If-Match: *`). */
export type VersionPrecondition = number | 'exists' | readonly number[];

/**
 * The client pinned the version (If-Match) and the stream is elsewhere: 412, never retried. Not a
 * ConcurrencyError: nothing raced, the client's copy is simply old.
 */
export class PreconditionFailedError extends Error {
  override readonly name = 'PreconditionFailedError';
  constructor(
    readonly streamId: string,
    readonly expected: VersionPrecondition,
    readonly actual: number,
    options?: ErrorOptions,
  ) {
    super(`stream ${streamId} is at version ${actual}, not ${describePrecondition(expected)}`, options);
  }
}

export function describePrecondition(expected: VersionPrecondition): string {
  if (expected === 'exists') return 'an existing stream';
  if (typeof expected === 'number') return String(expected);
  return expected.length === 0 ? 'any version named by a strong ETag' : expected.join(' or ');
}

function holds(expected: VersionPrecondition, version: number): boolean {
  if (expected === 'exists') return version > 0;
  return typeof expected === 'number' ? expected === version : expected.includes(version);
}

/** A request's Idempotency-Key: whose (scope), the key, and the hash of the request it was first used with. */
export interface IdempotencyRequest {
  scope: string;
  key: string;
  requestHash: string;
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
  /**
   * The caller minted `streamId` a moment ago (a create): the first attempt decides on the initial state without
   * loading, and appends expecting no stream. If the stream exists after all, the store refuses the append
   * (ConcurrencyError) and the next attempt loads it and decides again, as after any conflict.
   */
  newStream?: boolean | undefined;
  /** If-Match: the version(s) the client saw. A mismatch is a PreconditionFailedError, not a retry. */
  expectedVersion?: VersionPrecondition | undefined;
  /**
   * Authorisation, called on EVERY attempt with the state that attempt loaded — the state the append is
   * conditioned on — before `decide`. Throws (ForbiddenError, NotFoundError) to refuse. A check made once on the
   * caller's own load would let a write decided again after a conflict skip it.
   */
  authorize?: ((state: State) => void) | undefined;
  /** Other streams the command depends on: loaded and checked on every attempt, their heads conditions of the append. */
  dependsOn?: readonly Dependency[] | undefined;
  idempotency?: IdempotencyRequest | undefined;
  /** Data subjects whose keys the append deletes in the same atomic write (an erasure request). */
  eraseKeys?: readonly string[] | undefined;
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
  /**
   * A replay whose stored result named a person since erased: it cannot be read any more (`result` is
   * undefined); the caller answers without it.
   */
  resultErased?: true;
}

/**
 * load -> authorize -> decide -> append, retried on concurrency conflicts and on transient DynamoDB errors.
 * A conflict on the command's own stream is a 412 when the client pinned its version; a conflict on a stream it
 * depends on never is (If-Match pins the command's stream only): it is decided again on fresh loads.
 */
export class CommandRunner {
  private readonly retry: RetryPolicy;
  private readonly maxConflictRetries: number;

  constructor(private readonly deps: RunnerDependencies) {
    this.retry = deps.retry ?? defaultRetryPolicy;
    this.maxConflictRetries = deps.maxConflictRetries ?? 5;
  }

  /**
   * An Idempotency-Key costs no read up front: a retry that decides events again is recognised by the append
   * (its idempotency record is written in the same atomic write, conditioned on absence: the stored answer
   * comes back instead, and nothing is appended), and a retry that cannot be decided again (it already
   * parked the tenant; its If-Match is now stale; its caller lost access) or decides nothing looks the key up
   * then. Either way a retry of the same request gets the first answer and another request under the key is
   * refused (IdempotencyKeyReuseError), as when the key was looked up first.
   */
  async run<C, E extends DomainEvent, S, R>(
    request: CommandRequest<C, E, S, R>,
  ): Promise<CommandOutcome<S, R>> {
    try {
      return await this.attempts(request);
    } catch (error) {
      const replay = await this.storedAnswer<S, R>(request.idempotency);
      if (replay) return replay;
      throw error;
    }
  }

  private async attempts<C, E extends DomainEvent, S, R>(
    request: CommandRequest<C, E, S, R>,
  ): Promise<CommandOutcome<S, R>> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.attempt(request, attempt === 0);
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= this.maxConflictRetries) throw error;
      }
    }
  }

  /** The answer stored under the request's Idempotency-Key, if it was seen before (a reused key throws). */
  private async storedAnswer<S, R>(
    idempotency: IdempotencyRequest | undefined,
  ): Promise<CommandOutcome<S, R> | undefined> {
    if (!idempotency) return undefined;
    const found = await this.transient(() =>
      this.deps.store.findIdempotent(idempotency.scope, idempotency.key, idempotency.requestHash),
    );
    return found && replayOf<S, R>(found, Number.NaN);
  }

  private async attempt<C, E extends DomainEvent, S, R>(
    request: CommandRequest<C, E, S, R>,
    first: boolean,
  ): Promise<CommandOutcome<S, R>> {
    const { decider, streamId } = request;
    const fresh = first && request.newStream === true;
    const [loaded, conditions] = await Promise.all([
      fresh ? undefined : this.load(streamId, loadOptionsOf(decider), first ? request.loaded : undefined),
      this.checkDependencies(request.dependsOn ?? [], first),
    ]);
    return this.decideAndAppend(request, loaded, conditions);
  }

  /** Authorise, check If-Match, decide and append on `loaded` (undefined: a stream the caller just minted). */
  private async decideAndAppend<C, E extends DomainEvent, S, R>(
    request: CommandRequest<C, E, S, R>,
    loaded: LoadResult | undefined,
    conditions: LoadToken[],
  ): Promise<CommandOutcome<S, R>> {
    const { decider, streamId, expectedVersion } = request;
    const head = loaded?.version ?? 0;
    const before = loaded ? stateOf(decider, loaded) : decider.initialState();
    request.authorize?.(before);
    if (expectedVersion !== undefined && !holds(expectedVersion, head)) {
      throw new PreconditionFailedError(streamId, expectedVersion, head);
    }
    const occurredAt = this.deps.clock().toISOString();
    const decided = decider.decide(request.command, before).map((event) => ({ ...event, occurredAt }));
    if (decided.length === 0) {
      // Nothing to append, so nothing would meet the key's record: a retry whose command was already applied.
      const replay = await this.storedAnswer<S, R>(request.idempotency);
      if (replay) return replay;
      const result = request.result({ state: before, version: head, occurredAt });
      return { result, version: head, events: [], state: before, replayed: false };
    }
    const after = fold(decider, before, decided);
    const version = head + decided.length;
    const result = request.result({ state: after, version, occurredAt });
    const appended = await this.transient(() =>
      this.deps.store.append(
        streamId,
        loaded ? head : 'no_stream',
        this.newEvents(decided, request.metadata),
        {
          ...(loaded ? { token: loaded.token } : {}),
          ...(conditions.length > 0 ? { conditions } : {}),
          ...snapshotOption(decider, head, version, after),
          ...(decider.reservations ? { reservations: decider.reservations(before, decided) } : {}),
          ...(request.idempotency ? { idempotency: { ...request.idempotency, result } } : {}),
          ...(request.eraseKeys?.length ? { eraseKeys: request.eraseKeys } : {}),
        },
      ),
    );
    if (appended.replayed) return replayOf<S, R>(appended.replayed, appended.version);
    return { result, version, events: appended.events, state: after, replayed: false };
  }

  /** Loads and checks every dependency (the caller's own loads on the first attempt): their tokens. */
  private checkDependencies(dependencies: readonly Dependency[], first: boolean): Promise<LoadToken[]> {
    return Promise.all(
      dependencies.map(async (dependency) => {
        const loaded = await this.load(
          dependency.streamId,
          dependency.loadOptions,
          first ? dependency.loaded : undefined,
        );
        dependency.check(loaded);
        return loaded.token;
      }),
    );
  }

  private load(
    streamId: string,
    options: LoadOptions,
    preloaded: LoadResult | undefined,
  ): Promise<LoadResult> {
    return preloaded
      ? Promise.resolve(preloaded)
      : this.transient(() => this.deps.store.load(streamId, options));
  }

  private newEvents(decided: readonly Timed<DomainEvent>[], metadata: EventMetadata): NewEvent[] {
    return decided.map((event) => ({
      eventId: this.deps.newEventId(),
      type: event.type,
      occurredAt: event.occurredAt ?? this.deps.clock().toISOString(),
      data: event.data,
      metadata,
    }));
  }

  private transient<T>(fn: () => Promise<T>): Promise<T> {
    return withTransientRetry(fn, this.retry);
  }
}

function replayOf<S, R>(replay: IdempotentReplay, version: number): CommandOutcome<S, R> {
  const outcome: CommandOutcome<S, R> = { result: replay.result as R, version, events: [], replayed: true };
  if (replay.resultErased) outcome.resultErased = true;
  return outcome;
}

/** The state after an append that takes the stream across a multiple of the decider's snapshot cadence. */
function snapshotOption<S>(
  decider: Pick<Decider<never, DomainEvent, S>, 'version' | 'snapshotEvery'>,
  from: number,
  version: number,
  state: S,
) {
  const every = decider.snapshotEvery;
  if (!every || Math.floor(version / every) === Math.floor(from / every)) return {};
  return { snapshot: { deciderVersion: decider.version, version, state } };
}
