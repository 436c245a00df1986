import { readYourWrites } from '#src/platform/http/read-your-writes.js';
import { instanceStream } from '../domain/instance.stream.js';
import { ENVIRONMENTS, instanceKey } from '../domain/placement.js';
import type { InstanceApiDependencies } from './instance.routes.js';

/**
 * A tenant's list includes the caller's own create: the reservations (read consistently) name the tenant's live
 * instances, and the list waits, bounded, until the read model has a row for each (503 with Retry-After past the
 * bound, never a list without it). Later changes of an instance may lag: its own GET is consistent.
 */
export async function caughtUp(deps: InstanceApiDependencies, tenantId: string): Promise<void> {
  const live = await Promise.all(
    ENVIRONMENTS.map(async (environment) => {
      const holder = await deps.store.reservationHolder(instanceKey(tenantId, environment));
      return holder ? { environment, instanceId: instanceStream.parse(holder) } : undefined;
    }),
  );
  const expected = live.filter((i) => i !== undefined);
  if (expected.length === 0) return;
  await readYourWrites(
    expected.length,
    async () => {
      const rows = await Promise.all(
        expected.map((i) => deps.readModel.get(tenantId, i.environment, i.instanceId)),
      );
      return rows.filter(Boolean).length;
    },
    { timeoutMs: deps.readYourWritesMs },
  );
}
