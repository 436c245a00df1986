import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { DynamoEventStore } from '#src/platform/event-store/dynamodb/dynamodb.event-store.js';
import { created, freshEmail } from '#src/platform/event-store/personal-data.fixtures.js';
import { dataSubjectDecider } from '#src/platform/privacy/data-subjects/data-subject.decider.js';
import { testDocumentClient, testTable } from '#test/dynamo.js';
import { type EraseDependencies, erase } from './erase.js';

const client = testDocumentClient();
const table = testTable('EventStoreTable');
const store = new DynamoEventStore(client, table, catalogue);
const deps = (lines: string[]): EraseDependencies => ({
  store,
  keys: store.keys,
  runner: new CommandRunner({ store, clock: () => new Date(), newEventId: ulid }),
  storeOf: (name) => new DynamoEventStore(client, name, catalogue),
  out: (line) => lines.push(line),
});
const keyItem = async (subjectId: string) =>
  (
    await client.send(
      new GetCommand({ TableName: table, Key: { pk: `$key#${subjectId}`, sk: 0 }, ConsistentRead: true }),
    )
  ).Item;

describe('bbws erase', () => {
  it('erases a subject as the API does, refuses a second time, and re-applies an erasure after a restore', async () => {
    const email = freshEmail('cli');
    const tenant = ulid();
    await store.append(`tenant-${tenant}`, 'no_stream', [created(tenant, email)]);
    const subjectId = await store.keys.subjectIdOf(email);
    const restoredKey = await keyItem(subjectId);
    const lines: string[] = [];
    const since = new Date(Date.now() - 1000);
    const options = { reason: 'asked by phone (ticket 9)', wait: false, reapply: false };
    expect(await erase(deps(lines), subjectId, options, 'help')).toBe(0);
    expect(await keyItem(subjectId)).toBeUndefined();
    expect((await store.readStream(`tenant-${tenant}`))[0]?.data).toMatchObject({
      contactEmail: 'erased@erased.invalid',
    });
    const [requested] = await store.readStream(`datasubject-${subjectId}`);
    expect(requested).toMatchObject({
      type: 'ERASURE_REQUESTED',
      data: { subjectId, reason: 'asked by phone (ticket 9)', requestedBy: expect.stringMatching(/^cli:/) },
    });
    expect(await erase(deps(lines), subjectId, options, 'help')).toBe(1);
    expect(lines.at(-1)).toContain('in progress');
    await expect(
      erase(deps(lines), subjectId, { ...options, reason: 'mail a@b.test' }, 'help'),
    ).rejects.toThrow(/e-mail/);

    // the process completes it (it does not run here); then a point-in-time restore brings the key back, and
    // re-applying the erasures since the restore point deletes it again
    await deps(lines).runner.run({
      decider: dataSubjectDecider,
      streamId: `datasubject-${subjectId}`,
      command: {
        type: 'CompleteErasure',
        erasureId: String(requested?.data && (requested.data as { erasureId: string }).erasureId),
        streams: 1,
        downstream: [],
      },
      metadata: { correlationId: ulid(), actor: 'test' },
      result: () => undefined,
    });
    expect(await erase(deps(lines), subjectId, options, 'help')).toBe(1);
    expect(lines.at(-1)).toContain('the data subject is erased');
    await client.send(new PutCommand({ TableName: table, Item: restoredKey }));
    expect(
      await erase(deps(lines), undefined, { wait: false, reapply: true, fromTable: table, since }, 'help'),
    ).toBe(0);
    expect(lines).toContain(
      `${subjectId}: erased again (erasure ${lines.at(-1)?.match(/erasure (\w+)/)?.[1]})`,
    );
    expect(await keyItem(subjectId)).toBeUndefined();
  });
});
