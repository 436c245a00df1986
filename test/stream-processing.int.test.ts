import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { membershipAtHead } from '#src/contexts/tenants/reactions/identity-sync.reaction.js';
import { documentClient } from '#src/platform/aws/dynamodb-client.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { LocalIdentityDirectory } from '#src/platform/identity/local.identity-directory.js';
import { tableName } from '#src/platform/infra/create-tables.js';
import { metadata } from './fixtures.js';
import { eventually, startTestRuntime } from './runtime.js';

let runtime: Awaited<ReturnType<typeof startTestRuntime>>;
let runner: CommandRunner;
let client: ReturnType<typeof documentClient>;
let store: DynamoEventStore;

beforeAll(async () => {
  runtime = await startTestRuntime();
  client = documentClient({ region: 'af-south-1', endpoint: runtime.dynamoEndpoint });
  store = new DynamoEventStore(client, tableName('EventStoreTable', 'rt'), catalogue);
  runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
});
afterAll(async () => {
  client?.destroy();
  await runtime?.stop();
});

const command = (tenantId: string, c: TenantCommand) =>
  runner.run({
    decider: tenantDecider,
    streamId: `tenant-${tenantId}`,
    command: c,
    metadata: metadata({ tenantId }),
    result: () => null,
  });

describe('stream processing in the local runtime', () => {
  it('projects appended events into bbws-tenants and carries user assignments to the identity directory', async () => {
    const tenantId = ulid();
    // the identity sync writes memberships of users the directory knows (Cognito has no others)
    const identity = new LocalIdentityDirectory(`${runtime.stateDir}/identity/users.json`);
    await identity.addUser({ userId: 'user-7', email: 'user-7@b.test' });
    await command(tenantId, {
      type: 'CreateTenant',
      tenantId,
      organizationName: `Org ${tenantId}`,
      contactEmail: 'a@b.test',
      environment: 'prod',
    });
    await command(tenantId, { type: 'AssignUser', userId: 'user-7', role: 'TenantAdmin' });
    await command(tenantId, { type: 'ParkTenant', reason: 'maintenance' });
    const row = await eventually(async () => {
      const { Item } = await client.send(
        new GetCommand({
          TableName: tableName('TenantsV1Table', 'rt'),
          Key: { PK: `TENANT#${tenantId}`, SK: 'METADATA' },
        }),
      );
      expect(Item).toMatchObject({ status: 'PARKED', version: 3 });
      return Item;
    });
    expect(row).toMatchObject({ environment: 'prod', GSI2PK: 'STATUS#PARKED' });
    await eventually(async () =>
      expect(await identity.memberships('user-7')).toEqual({
        // The head's version when the sync ran: 2, or 3 if TENANT_PARKED was already appended.
        [tenantId]: { role: 'TenantAdmin', version: expect.toSatisfy((v: number) => v === 2 || v === 3) },
      }),
    );
  });

  it('membership in the identity directory converges: assign, remove, re-assign across two tenants, racing', async () => {
    const identity = new LocalIdentityDirectory(`${runtime.stateDir}/identity/users.json`);
    const [t1, t2] = [ulid(), ulid()];
    for (const tenantId of [t1, t2]) {
      await command(tenantId, {
        type: 'CreateTenant',
        tenantId,
        organizationName: `Org ${tenantId}`,
        contactEmail: 'a@b.test',
        environment: 'prod',
      });
    }
    const users = Array.from({ length: 6 }, (_, i) => `racer-${i}-${ulid()}`);
    for (const userId of users) await identity.addUser({ userId, email: `${userId}@b.test` });
    // Twelve writers on two streams at once: a runner that keeps retrying its conflicts.
    const racer = new CommandRunner({
      store,
      clock: () => new Date(),
      newEventId: ulid,
      maxConflictRetries: 30,
    });
    const race = (tenantId: string, c: TenantCommand) =>
      racer.run({
        decider: tenantDecider,
        streamId: `tenant-${tenantId}`,
        command: c,
        metadata: metadata({ tenantId }),
        result: () => null,
      });
    await Promise.all(users.map((userId) => race(t1, { type: 'AssignUser', userId, role: 'TenantAdmin' })));
    // The race, for every user at once: removed from tenant 1 while assigned to tenant 2.
    await Promise.all(
      users.flatMap((userId) => [
        race(t1, { type: 'RemoveUser', userId }),
        race(t2, { type: 'AssignUser', userId, role: 'TenantMember' }),
      ]),
    );
    // And back: re-assigned to tenant 1 with another role, removed from tenant 2 (half of them).
    await Promise.all(
      users
        .slice(0, 3)
        .flatMap((userId) => [
          race(t1, { type: 'AssignUser', userId, role: 'TenantMember' }),
          race(t2, { type: 'RemoveUser', userId }),
        ]),
    );
    const truth = async (userId: string) => {
      const roles: Record<string, string> = {};
      for (const tenantId of [t1, t2]) {
        const { role } = await membershipAtHead(store, `tenant-${tenantId}`, userId);
        if (role) roles[tenantId] = role;
      }
      return roles;
    };
    await eventually(async () => {
      for (const userId of users) {
        const recorded = await identity.memberships(userId);
        const current = Object.fromEntries(
          Object.entries(recorded).flatMap(([tenantId, m]) => (m.role ? [[tenantId, m.role]] : [])),
        );
        expect(current).toEqual(await truth(userId));
      }
    }, 30_000);
    expect(await truth(users[0] ?? '')).toEqual({ [t1]: 'TenantMember' });
    expect(await truth(users[5] ?? '')).toEqual({ [t2]: 'TenantMember' });
    const [sync] = runtime.queuePollers.filter((p) => p.function === 'identitySync');
    expect(sync?.poller.invocations.flatMap((i) => i.failed)).toEqual([]);
  });

  it('publishes every event at least once even when PutEvents partly fails', async () => {
    let calls = 0;
    runtime.eventBridge.refuse = () => (++calls % 3 === 0 ? 'ThrottlingException' : undefined);
    const tenantIds = Array.from({ length: 6 }, () => ulid());
    const eventIds: string[] = [];
    for (const tenantId of tenantIds) {
      const created = await command(tenantId, {
        type: 'CreateTenant',
        tenantId,
        organizationName: `Org ${tenantId}`,
        contactEmail: 'a@b.test',
        environment: 'dev',
      });
      const assigned = await command(tenantId, {
        type: 'AssignUser',
        userId: `u-${tenantId}`,
        role: 'TenantMember',
      });
      eventIds.push(...created.events.map((e) => e.eventId), ...assigned.events.map((e) => e.eventId));
    }
    await eventually(() => {
      const published = new Set(
        runtime.eventBridge.accepted.map((e) => (e.detail as { eventId: string }).eventId),
      );
      expect(eventIds.filter((id) => !published.has(id))).toEqual([]);
    });
    expect(calls).toBeGreaterThan(eventIds.length); // some entries were refused and sent again
    runtime.eventBridge.refuse = () => undefined;
  });
});
