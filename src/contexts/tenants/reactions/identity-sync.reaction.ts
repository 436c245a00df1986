import { z } from 'zod';
import type { Consumer } from '#src/platform/consumers/consumer.js';
import { fold } from '#src/platform/domain/decider.js';
import { streamCategory } from '#src/platform/domain/stream-id.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import type { IdentityDirectory, TenantMembership } from '#src/platform/identity/identity.port.js';
import { type TenantState, tenantDecider } from '../domain/tenant.decider.js';
import type { TenantEvent } from '../domain/tenant.events.js';

const tenantStreams = streamCategory('tenant');

/** Only who changed matters: what changed is read from the stream (below), not from the event. */
const MembershipChange = z.object({ userId: z.string().min(1) });

export interface IdentitySyncDependencies {
  store: Pick<EventStore, 'load'>;
  identity: IdentityDirectory;
}

/**
 * Carries tenant memberships to the identity directory (Cognito's membership attribute). Each write is computed
 * from the authoritative membership — the user's role in the tenant as of the stream's head, read consistently —
 * never from the event alone, and the directory ignores a version older than the one it holds. So a duplicate, a
 * stale message or any order of delivery writes what the stream says. What it cannot fix alone is two writes
 * for one user at once (Cognito rewrites the whole attribute): the FIFO queue feeding it serialises them.
 */
export function identitySync(deps: () => IdentitySyncDependencies) {
  return {
    name: 'identitySync',
    events: { USER_ASSIGNED: MembershipChange, USER_REMOVED: MembershipChange },
    async handle(event, { logger }) {
      const { store, identity } = deps();
      const userId = event.data.userId;
      const membership = await membershipAtHead(store, event.streamId, userId);
      const outcome = await identity.setMembership(userId, tenantStreams.parse(event.streamId), membership);
      // A user the directory does not know has no attribute to keep: nothing to retry (the API reads the stream).
      if (outcome === 'no-user') logger.warn('user not in the identity directory', { userId });
      else logger.info('membership synchronised', { userId, ...membership, outcome });
    },
  } satisfies Consumer<{ USER_ASSIGNED: typeof MembershipChange; USER_REMOVED: typeof MembershipChange }>;
}

/** The user's role in the tenant at the stream's head (null: not a member), with that head version. */
export async function membershipAtHead(
  store: Pick<EventStore, 'load'>,
  streamId: string,
  userId: string,
): Promise<TenantMembership> {
  const loaded = await store.load(streamId, {
    deciderVersion: tenantDecider.version,
    snapshotEvery: tenantDecider.snapshotEvery ?? 50,
  });
  const state = fold(
    tenantDecider,
    (loaded.snapshot?.state as TenantState | undefined) ?? tenantDecider.initialState(),
    loaded.events.map((e) => ({ type: e.type, data: e.data }) as TenantEvent),
  );
  // Own keys only: a user id such as `constructor` must not find Object.prototype's.
  const role = state.status !== 'NEW' && Object.hasOwn(state.users, userId) ? state.users[userId] : undefined;
  return role ? { role, version: loaded.version } : { role: null, version: loaded.version };
}
