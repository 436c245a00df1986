import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { eventBridgeConsumer } from '#src/platform/consumers/eventbridge-consumer.js';
import { InMemoryConsumerLedger } from '#src/platform/consumers/ledger.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { metadata } from '#test/fixtures.js';
import { busEvent } from '#test/lambda-events.js';
import { type TenantCommand, tenantDecider } from '../domain/tenant.decider.js';
import { identitySync } from './identity-sync.reaction.js';

async function tenantWith(commands: (userId: string) => TenantCommand[]) {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const tenantId = ulid();
  const userId = `u-${ulid()}`;
  const create: TenantCommand = {
    type: 'CreateTenant',
    tenantId,
    organizationName: `Org ${tenantId}`,
    contactEmail: 'a@b.test',
    environment: 'prod',
  };
  const events = [];
  for (const command of [create, ...commands(userId)]) {
    const out = await runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command,
      metadata: metadata({ tenantId }),
      result: () => null,
    });
    events.push(...out.events);
  }
  const directory = new LocalIdentityDirectory(join(mkdtempSync(join(tmpdir(), 'sync-')), 'users.json'), 0);
  await directory.addUser({ userId, email: `${userId}@b.test` });
  const handler = eventBridgeConsumer(
    identitySync(() => ({ store, identity: directory })),
    () => ({
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new RecordingMetrics(),
      ledger: new InMemoryConsumerLedger(),
    }),
  );
  return { tenantId, userId, events, directory, handler };
}

describe('identitySync', () => {
  it("writes the stream head's membership, not the event's: a stale assignment cannot re-add a removed user", async () => {
    const { tenantId, userId, events, directory, handler } = await tenantWith((u) => [
      { type: 'AssignUser', userId: u, role: 'TenantAdmin' },
      { type: 'RemoveUser', userId: u },
    ]);
    // The directory has no marker for the removal (dropped to fit 2048 characters, or never written): only the
    // head can tell that the late USER_ASSIGNED v2 is stale.
    const assigned = events.find((e) => e.type === 'USER_ASSIGNED');
    if (!assigned) throw new Error('no USER_ASSIGNED');
    await handler(busEvent(assigned));
    expect(await directory.memberships(userId)).toEqual({ [tenantId]: { role: null, version: 3 } });
  });

  it('finds no membership for a user id named like an Object.prototype member', async () => {
    const { tenantId, directory, handler, events } = await tenantWith(() => []);
    await directory.addUser({ userId: 'constructor', email: 'c@b.test' });
    const created = events[0];
    if (!created) throw new Error('no event');
    const removal = {
      ...created,
      eventId: ulid(),
      version: 1,
      type: 'USER_REMOVED',
      data: { userId: 'constructor' },
    };
    await handler(busEvent(removal));
    expect(await directory.memberships('constructor')).toEqual({ [tenantId]: { role: null, version: 1 } });
  });
});
