import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { DynamoConsumerLedger } from './dynamodb.ledger.js';

const client = testDocumentClient();
afterAll(() => client.destroy());

describe('the consumer ledger on DynamoDB', () => {
  it('claims once, says busy while the lease runs and done after completion', async () => {
    const ledger = new DynamoConsumerLedger(client, testTable('ConsumerLedgerTable'));
    const eventId = ulid();
    const claims = await Promise.all(Array.from({ length: 5 }, () => ledger.claim('c', eventId, 60_000)));
    expect(claims.sort()).toEqual(['busy', 'busy', 'busy', 'busy', 'claimed']);
    await ledger.complete('c', eventId);
    expect(await ledger.claim('c', eventId, 60_000)).toBe('done');
    expect(await ledger.claim('other-consumer', eventId, 60_000)).toBe('claimed');
  });

  it('gives a failed claim back, and lets a claim whose lease ran out be taken over', async () => {
    let now = Date.now();
    const ledger = new DynamoConsumerLedger(client, testTable('ConsumerLedgerTable'), () => now);
    const [failed, crashed] = [ulid(), ulid()];
    await ledger.claim('c', failed, 1_000);
    await ledger.release('c', failed);
    expect(await ledger.claim('c', failed, 1_000)).toBe('claimed');
    await ledger.claim('c', crashed, 1_000);
    now += 1_001;
    expect(await ledger.claim('c', crashed, 1_000)).toBe('claimed');
    await ledger.complete('c', crashed);
    await ledger.release('c', crashed); // a late release never undoes a completion
    expect(await ledger.claim('c', crashed, 1_000)).toBe('done');
  });
});
