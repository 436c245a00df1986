import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import type { SQSEvent } from 'aws-lambda';
import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { InMemoryConsumerLedger } from '#src/platform/consumers/ledger.js';
import { sqsConsumer } from '#src/platform/consumers/sqs-consumer.js';
import { DomainError } from '#src/platform/domain/errors.js';
import { InMemoryEventStore } from '#src/platform/event-store/in-memory.event-store.js';
import type { IdentityDirectory } from '#src/platform/identity/identity.port.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { RecordingMetrics } from '#src/platform/projection-runtime/metrics.js';
import { metadata } from '#test/fixtures.js';
import { busEvent, sqsRecord } from '#test/lambda-events.js';
import { type TenantCommand, tenantDecider } from '../domain/tenant.decider.js';
import { identitySync, membershipAtHead } from './identity-sync.reaction.js';

const USERS = ['alice', 'bob'];
const TENANTS = 3;

/** What happens, in some order: a membership command on a tenant, a delivery, or a Cognito outage. */
type Step =
  | { kind: 'command'; tenant: number; user: number; change: 'TenantAdmin' | 'TenantMember' | 'remove' }
  | { kind: 'deliver'; picks: number[]; keepDuplicate: boolean }
  | { kind: 'outage' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('command' as const),
    tenant: fc.nat(TENANTS - 1),
    user: fc.nat(USERS.length - 1),
    change: fc.constantFrom('TenantAdmin' as const, 'TenantMember' as const, 'remove' as const),
  }),
  fc.record({
    kind: fc.constant('deliver' as const),
    picks: fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
    keepDuplicate: fc.boolean(),
  }),
  fc.constant({ kind: 'outage' as const }),
);

/** The identity directory, failing its next write when an outage is on (the mapping redelivers the message). */
function flaky(directory: IdentityDirectory) {
  const state = { outage: false };
  const wrapped: IdentityDirectory = {
    findByEmail: (email) => directory.findByEmail(email),
    memberships: (userId) => directory.memberships(userId),
    user: (userId) => directory.user(userId),
    deleteUser: (userId) => directory.deleteUser(userId),
    setMembership: async (userId, tenantId, membership) => {
      if (state.outage) {
        state.outage = false;
        throw new Error('Cognito: TooManyRequestsException');
      }
      return directory.setMembership(userId, tenantId, membership);
    },
  };
  return { wrapped, state };
}

async function setUp() {
  const store = new InMemoryEventStore(catalogue);
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const directory = new LocalIdentityDirectory(
    join(mkdtempSync(join(tmpdir(), 'identity-sync-')), 'users.json'),
    0,
  );
  for (const user of USERS) await directory.addUser({ userId: user, email: `${user}@b.test` });
  const { wrapped, state } = flaky(directory);
  const handler = sqsConsumer(
    identitySync(() => ({ store, identity: wrapped })),
    () => ({
      logger: new Logger({ logLevel: 'SILENT' }),
      metrics: new RecordingMetrics(),
      ledger: new InMemoryConsumerLedger(),
    }),
  );
  const tenantIds = Array.from({ length: TENANTS }, () => ulid());
  for (const tenantId of tenantIds) {
    await runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command: {
        type: 'CreateTenant',
        tenantId,
        organizationName: `Org ${tenantId}`,
        contactEmail: 'a@b.test',
        environment: 'dev',
      },
      metadata: metadata({ tenantId }),
      result: () => null,
    });
  }
  return { store, runner, directory, handler, tenantIds, outage: state };
}

type World = Awaited<ReturnType<typeof setUp>> & { queue: string[] };

/** One FIFO batch through the real handler; what it reports failed stays in the queue (redelivered later). */
async function deliver(world: World, bodies: string[]): Promise<void> {
  const records = bodies.map((body) => sqsRecord(body, { groupId: 'identity-sync' }));
  const { batchItemFailures } = await world.handler({ Records: records } satisfies SQSEvent);
  const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
  world.queue.push(...records.filter((r) => failed.has(r.messageId)).map((r) => r.body));
}

/** A membership command; what it appends is published (the rule puts it in the queue). */
async function command(world: World, step: Extract<Step, { kind: 'command' }>): Promise<void> {
  const tenantId = world.tenantIds[step.tenant] ?? '';
  const userId = USERS[step.user] ?? '';
  const command: TenantCommand =
    step.change === 'remove'
      ? { type: 'RemoveUser', userId }
      : { type: 'AssignUser', userId, role: step.change };
  try {
    const { events } = await world.runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command,
      metadata: metadata({ tenantId }),
      result: () => null,
    });
    world.queue.push(...events.map((e) => JSON.stringify(busEvent(e))));
  } catch (error) {
    if (!(error instanceof DomainError)) throw error; // removing a non-member: nothing appended
  }
}

async function run(world: World, step: Step): Promise<void> {
  if (step.kind === 'outage') world.outage.outage = true;
  if (step.kind === 'command') await command(world, step);
  if (step.kind === 'deliver' && world.queue.length > 0) {
    // Any messages, in any order; a duplicate stays queued to come again.
    const bodies = [...new Set(step.picks.map((p) => p % world.queue.length))].map(
      (i) => world.queue[i] ?? '',
    );
    if (!step.keepDuplicate) world.queue = world.queue.filter((body) => !bodies.includes(body));
    await deliver(world, bodies);
  }
}

/** The current memberships (role not null) the directory holds for a user, and the ones the streams say. */
async function compare(world: World, userId: string) {
  const expected: Record<string, string> = {};
  for (const tenantId of world.tenantIds) {
    const { role } = await membershipAtHead(world.store, `tenant-${tenantId}`, userId);
    if (role) expected[tenantId] = role;
  }
  const recorded = await world.directory.memberships(userId);
  const actual = Object.fromEntries(
    Object.entries(recorded).flatMap(([t, m]) => (m.role ? [[t, m.role]] : [])),
  );
  return { actual, expected };
}

describe('identity sync converges', () => {
  it('any interleaving, duplication and reordering of membership events ends with the directory equal to the streams', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 1, maxLength: 30 }), async (steps) => {
        const world: World = { ...(await setUp()), queue: [] };
        for (const step of steps) await run(world, step);
        world.outage.outage = false;
        while (world.queue.length > 0) await deliver(world, world.queue.splice(0, 10));
        for (const userId of USERS) {
          const { actual, expected } = await compare(world, userId);
          expect(actual).toEqual(expected);
        }
      }),
      { numRuns: 60 },
    );
  }, 120_000);
});
