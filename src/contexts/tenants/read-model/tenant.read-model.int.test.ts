import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { tenantsV1 } from '#projections/tenants/tenants.v1.js';
import { catalogue } from '#src/contexts/catalogue.js';
import { type TenantCommand, tenantDecider } from '#src/contexts/tenants/domain/tenant.decider.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { DynamoProjectionWriter } from '#src/platform/projection-runtime/dynamodb.projection-writer.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { metadata } from '#test/fixtures.js';
import { TenantReadModel } from './tenant.read-model.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
const writer = new DynamoProjectionWriter(client, store);
const target = { projection: tenantsV1, tableName: testTable('TenantsV1Table') };
const readModel = new TenantReadModel(client, async () => target.tableName);

/** Runs commands and projects their events straight away (what the dispatcher does downstream). */
async function given(tenantId: string, commands: TenantCommand[]) {
  for (const command of commands) {
    const { events } = await runner.run({
      decider: tenantDecider,
      streamId: `tenant-${tenantId}`,
      command,
      metadata: metadata({ tenantId }),
      result: () => null,
    });
    for (const event of events) await writer.apply(target, event);
  }
}

describe('bbws-tenants: the six access patterns of design section 4.1 on DynamoDB Local', async () => {
  const [a, b] = [ulid(), ulid()];
  const user = `user-${ulid()}`;
  const org = `Pattern Org ${a}`;
  await given(a, [
    {
      type: 'CreateTenant',
      tenantId: a,
      organizationName: org,
      contactEmail: 'a@a.test',
      environment: 'prod',
    },
    { type: 'AssignUser', userId: user, role: 'TenantAdmin' },
    { type: 'AssignUser', userId: 'other-user', role: 'TenantMember' },
    { type: 'ParkTenant', reason: 'pattern test' },
  ]);
  await given(b, [
    {
      type: 'CreateTenant',
      tenantId: b,
      organizationName: `Pattern Org ${b}`,
      contactEmail: 'b@b.test',
      environment: 'sit',
    },
    { type: 'AssignUser', userId: user, role: 'TenantMember' },
  ]);

  it('1. gets a tenant by id (PK=TENANT#{id}, SK=METADATA)', async () => {
    expect(await readModel.get(a)).toMatchObject({ tenantId: a, status: 'PARKED', version: 4 });
  });

  it('2. finds a tenant by organisation name, ignoring case and spacing (GSI1 ORG#)', async () => {
    const page = await readModel.list({ organizationName: `  ${org.toUpperCase()} ` }, 10);
    expect(page.items.map((t) => t.tenantId)).toEqual([a]);
  });

  it('3. lists tenants by status, newest change first (GSI2 STATUS#), and by environment (GSI2 ENV#)', async () => {
    const parked = await readModel.list({ status: 'PARKED' }, 100);
    expect(parked.items.map((t) => t.tenantId)).toContain(a);
    expect(parked.items.every((t) => t.status === 'PARKED')).toBe(true);
    const sit = await readModel.list({ environment: 'sit' }, 100);
    expect(sit.items.map((t) => t.tenantId)).toContain(b);
    expect(sit.items.every((t) => t.environment === 'sit')).toBe(true);
  });

  it("4. gets a user's tenants (GSI1 USER#)", async () => {
    const page = await readModel.tenantsOfUser(user, 10);
    expect(page.items.map((i) => [i.member.tenantId, i.member.role, i.tenant?.status]).sort()).toEqual(
      [
        [a, 'TenantAdmin', 'PARKED'],
        [b, 'TenantMember', 'ACTIVE'],
      ].sort(),
    );
  });

  it('5. lists the users of a tenant (SK begins_with USER#), one page at a time', async () => {
    const first = await readModel.members(a, 1);
    expect(first.items).toHaveLength(1);
    const second = await readModel.members(a, 1, first.next);
    expect([...first.items, ...second.items].map((u) => u.userId).sort()).toEqual(
      ['other-user', user].sort(),
    );
  });

  it("6. reads a tenant's audit events in order (SK begins_with EVENT#)", async () => {
    const page = await readModel.events(a, 10);
    expect(page.items.map((e) => e.type)).toEqual([
      'TENANT_CREATED',
      'USER_ASSIGNED',
      'USER_ASSIGNED',
      'TENANT_PARKED',
    ]);
  });
});
