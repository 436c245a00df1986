import { afterAll, describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { tenantStream } from '../domain/tenant.stream.js';
import { api } from './tenant-api.harness.js';

const client = testDocumentClient();
const store = new DynamoEventStore(client, testTable('EventStoreTable'), catalogue);
afterAll(() => client.destroy());

describe('tenant routes on DynamoDB Local: authorisation holds for the state the write is conditioned on', () => {
  it('does not add the user of a TenantAdmin removed while her POST /users is in flight', async () => {
    const { call, newTenant, assign, beforeNextAppend } = api({ store });
    const id = await newTenant();
    await assign(id, 'ta', 'TenantAdmin');
    beforeNextAppend(async () => {
      beforeNextAppend(async () => {});
      expect((await call('DELETE', `/tenants/${id}/users/ta`, 'op')).status).toBe(204);
    });
    const reply = await call('POST', `/tenants/${id}/users`, 'ta', {
      body: { userId: 'newbie', role: 'TenantAdmin' },
    });
    expect(reply.status).toBe(404);
    const events = await store.readStream(tenantStream.id(id));
    expect(events.map((e) => e.type)).toEqual(['TENANT_CREATED', 'USER_ASSIGNED', 'USER_REMOVED']);
  });

  it('lets no write of a removed admin through when removals and her writes race for real', async () => {
    const { call, newTenant, assign } = api({ store });
    for (let round = 0; round < 5; round++) {
      const id = await newTenant();
      await assign(id, 'ta', 'TenantAdmin');
      const writes = Array.from({ length: 6 }, (_, i) =>
        call('POST', `/tenants/${id}/users`, 'ta', { body: { userId: `u${i}`, role: 'TenantMember' } }),
      );
      const removal = call('DELETE', `/tenants/${id}/users/ta`, 'op');
      await Promise.all([...writes, removal]);
      // Every assignment she made comes before her removal in the stream: none was decided after it.
      const types = (await store.readStream(tenantStream.id(id))).map((e) => `${e.type}:${e.metadata.actor}`);
      const removedAt = types.indexOf('USER_REMOVED:op');
      expect(removedAt).toBeGreaterThan(0);
      expect(types.slice(removedAt + 1)).toEqual([]);
    }
  });
});
