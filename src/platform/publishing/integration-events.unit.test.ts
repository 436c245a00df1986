import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { InMemoryEventStore, InMemoryStorage } from '#src/platform/event-store/in-memory.event-store.js';
import {
  created,
  freshEmail,
  leakForms,
  userAssigned,
} from '#src/platform/event-store/personal-data.fixtures.js';
import { publishedData, toBusEntry } from './integration-events.js';

describe('integration events: personal data', () => {
  it('carry the sealed form of every personal value, never the plaintext, live or erased', async () => {
    const storage = new InMemoryStorage();
    const store = new InMemoryEventStore(catalogue, { storage });
    const [contact, user] = [freshEmail('contact'), freshEmail('user')];
    const tenant = ulid();
    const appended = await store.append(`tenant-${tenant}`, 'no_stream', [
      created(tenant, contact),
      userAssigned('u-1', user),
    ]);
    const read = await new InMemoryEventStore(catalogue, { storage }).readStream(`tenant-${tenant}`);
    const contactId = await store.keys.subjectIdOf(contact);
    storage.keys.delete(contactId); // erased: the contact's field reads as a placeholder now
    const erased = await new InMemoryEventStore(catalogue, { storage }).readStream(`tenant-${tenant}`);

    for (const event of [...appended.events, ...read, ...erased]) {
      const detail = toBusEntry(catalogue, 'bus', event).Detail;
      for (const email of [contact, user]) {
        for (const form of leakForms(email)) expect(detail.includes(form), `${email} as ${form}`).toBe(false);
      }
      expect(detail).toContain('"$pd":1');
    }
    expect(publishedData(catalogue, read[0] as never)).toMatchObject({
      contactEmail: { $pd: 1, s: contactId, k: expect.any(String), c: expect.any(String) },
      organizationName: `Org ${tenant}`,
    });
    expect(publishedData(catalogue, erased[0] as never)).toEqual(publishedData(catalogue, read[0] as never));
    expect(publishedData(catalogue, appended.events[0] as never)).toMatchObject({
      contactEmail: { $pd: 1, s: contactId },
    });
  });
});
