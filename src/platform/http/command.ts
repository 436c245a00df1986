import type { CommandRunner } from '#src/platform/command/command-runner.js';
import type { Dependency } from '#src/platform/command/dependency.js';
import type { Decider, DomainEvent } from '#src/platform/domain/decider.js';
import type { LoadResult } from '#src/platform/event-store/event-store.port.js';
import type { HttpRequest, HttpResult } from './http-handler.js';
import { idempotencyOf } from './idempotency.js';
import { ifMatch } from './preconditions.js';

export interface HttpCommand<C, E extends DomainEvent, S> {
  decider: Decider<C, E, S>;
  streamId: string;
  command: C;
  /** The tenant the command is about, for the events' metadata. */
  tenantId?: string | undefined;
  /** The stream as the route's access check loaded it: the first attempt needs no second load. */
  loaded?: LoadResult | undefined;
  /** The route minted `streamId` for this request (a create): no load before the first append (the runner's). */
  newStream?: boolean | undefined;
  /** Re-checked by the runner on every attempt against the state that attempt loaded. */
  authorize?: ((state: S) => void) | undefined;
  /** Streams the command depends on (its tenant's, for an instance command), checked and conditioned on. */
  dependsOn?: readonly Dependency[] | undefined;
  /** Data subjects whose keys the append deletes in the same atomic write (an erasure request). */
  eraseKeys?: readonly string[] | undefined;
  /** The answer, from the state after the command; stored with the Idempotency-Key for retries. */
  respond: (outcome: { state: S; version: number; occurredAt: string }) => HttpResult;
}

/**
 * A command from an HTTP request: the caller and correlation id into the events' metadata, If-Match (strong
 * comparison) as the expected version, a POST's Idempotency-Key scoped to the caller, and
 * `Idempotent-Replayed: true` on a replayed answer. Routes say only what to run and how to answer.
 *
 * A replay whose stored answer can no longer be read (it named a person who has been erased since: the store
 * sealed it with their key) is `204 No Content` with `Idempotent-Replayed: true` and
 * `Idempotent-Result-Erased: true`: the request had succeeded, its answer is gone with the person's data.
 */
export async function runCommand<C, E extends DomainEvent, S>(
  runner: CommandRunner,
  request: HttpRequest,
  spec: HttpCommand<C, E, S>,
): Promise<HttpResult> {
  const outcome = await runner.run({
    decider: spec.decider,
    streamId: spec.streamId,
    command: spec.command,
    loaded: spec.loaded,
    newStream: spec.newStream,
    authorize: spec.authorize,
    dependsOn: spec.dependsOn,
    eraseKeys: spec.eraseKeys,
    metadata: { correlationId: request.correlationId, actor: request.principal.sub, tenantId: spec.tenantId },
    expectedVersion: ifMatch(request),
    idempotency: idempotencyOf(request),
    result: spec.respond,
  });
  if (!outcome.replayed) return outcome.result;
  if (outcome.resultErased) return ERASED_REPLAY;
  return { ...outcome.result, headers: { ...outcome.result.headers, 'idempotent-replayed': 'true' } };
}

const ERASED_REPLAY: HttpResult = {
  status: 204,
  headers: { 'idempotent-replayed': 'true', 'idempotent-result-erased': 'true' },
};
