import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import type { Decider, DomainEvent } from '#src/platform/domain/decider.js';
import type { SubjectKeys } from '#src/platform/privacy/subject-keys.js';
import { newStreamId } from '#test/fixtures.js';
import type { EventCatalogue } from './catalogue.js';
import { assertFits, ITEM_LIMIT_BYTES, ITEM_OVERHEAD_BYTES, validateBatch } from './core.js';
import { ConcurrencyError, EventTooLargeError, PersonalDataError, UniquenessError } from './errors.js';
import type { EventEnvelope, EventStore, NewEvent } from './event-store.port.js';
import {
  contactChanged,
  created,
  freshEmail,
  leakForms,
  peopleNoted,
  userAssigned,
  withPeopleNoted,
} from './personal-data.fixtures.js';

/**
 * What of the system the suite runs on, given by the test that runs it (the platform knows no context): the
 * event catalogue, and the tenant decider with a command that renames a tenant (a decider must still fold a
 * stream whose person was erased).
 */
export interface PersonalDataSystem<C, E extends DomainEvent, S> {
  catalogue: EventCatalogue;
  tenantDecider: Decider<C, E, S>;
  rename: (organizationName: string) => C;
}

export interface PersonalDataHarness {
  /** A store over this harness's storage, with a cold key cache (another process, in effect). */
  store(options?: { catalogue?: EventCatalogue }): EventStore & { keys: SubjectKeys };
  /** What an erasure does: deletes the subject's key item. */
  deleteKey(subjectId: string): Promise<void>;
  /** Every item stored (commits, snapshots, idempotency records, reservations, key items), each as raw JSON. */
  rawItems(): Promise<string[]>;
  /** A stream's commit items as stored (raw JSON), oldest first. */
  commitItems(streamId: string): Promise<string[]>;
  /** Rewrites one stored event's data in place, as someone with write access to the table could. */
  tamper(streamId: string, version: number, edit: (data: Record<string, unknown>) => void): Promise<void>;
}

const ERASED = 'erased@erased.invalid';
const PEOPLE_EMAIL = z.email();
const dataOf = (events: readonly EventEnvelope[]) => events.map((e) => e.data);

/** Personal data in the event store: encrypted per data subject, readable while the subject's key lives. */
export function personalDataContract<C, E extends DomainEvent, S>(
  name: string,
  system: PersonalDataSystem<C, E, S>,
  makeHarness: () => PersonalDataHarness,
  runs = 20,
): void {
  const privacyCatalogue = withPeopleNoted(system.catalogue);
  const { tenantDecider } = system;
  describe(`${name}: personal data`, () => {
    it('stores personal fields sealed and hands every reader the plain values', async () => {
      const harness = makeHarness();
      const store = harness.store({ catalogue: privacyCatalogue });
      const [contact, user, next] = [freshEmail('contact'), freshEmail('user'), freshEmail('next')];
      const tenant = ulid();
      const stream = `tenant-${tenant}`;
      const written = [created(tenant, contact), userAssigned('u-1', user), contactChanged(next)];
      const appended = await store.append(stream, 'no_stream', written);
      const people = `people-${ulid()}`;
      const noted = peopleNoted([
        { email: contact, name: 'Ada Contact' },
        { email: freshEmail('other'), name: 'Bo Other' },
      ]);
      await store.append(people, 'no_stream', [noted]);

      const fresh = harness.store({ catalogue: privacyCatalogue });
      const expected = written.map((e) => e.data);
      expect(dataOf(appended.events)).toEqual(expected);
      expect(dataOf(await fresh.readStream(stream))).toEqual(expected);
      expect(dataOf((await fresh.load(stream)).events)).toEqual(expected);
      expect(dataOf((await fresh.load(stream, { deciderVersion: 'd' })).events)).toEqual(expected);
      expect(dataOf(await fresh.readStream(people))).toEqual([noted.data]);
      const all: EventEnvelope[] = [];
      for await (const batch of fresh.readAll({ categories: ['people'] })) all.push(...batch.events);
      expect(all.find((e) => e.streamId === people)?.data).toEqual(noted.data);
      expect([...appended.events, ...(await fresh.readStream(stream))].some((e) => e.erased)).toBe(false);

      const raw = (await harness.rawItems()).join('\n');
      for (const value of [contact, user, next, 'Ada Contact', 'Bo Other']) expect(raw).not.toContain(value);
    });

    it('binds a ciphertext to its event and field: moved, it fails to decrypt and never reads as the other value', async () => {
      const harness = makeHarness();
      const store = harness.store({ catalogue: privacyCatalogue });
      const stream = newStreamId();
      const [first, second] = [freshEmail('first'), freshEmail('second')];
      await store.append(stream, 'no_stream', [contactChanged(first), contactChanged(second)]);
      let copied: unknown;
      await harness.tamper(stream, 1, (data) => {
        copied = data.contactEmail;
      });
      await harness.tamper(stream, 2, (data) => {
        data.contactEmail = copied; // the first event's sealed value, in the second event
      });
      const moved = await harness
        .store()
        .readStream(stream)
        .catch((e: unknown) => e);
      expect(moved).toBeInstanceOf(PersonalDataError);
      expect(String((moved as Error).message)).not.toContain(first);

      const people = `people-${ulid()}`;
      const email = freshEmail('person');
      await store.append(people, 'no_stream', [peopleNoted([{ email, name: 'Cy Person' }])]);
      await harness.tamper(people, 1, (data) => {
        const [person] = data.people as Record<string, unknown>[];
        if (person) person.email = person.name; // same subject and key, another field
      });
      const swapped = await harness
        .store({ catalogue: privacyCatalogue })
        .readStream(people)
        .catch((e) => e);
      expect(swapped).toBeInstanceOf(PersonalDataError);
      expect(String((swapped as Error).message)).not.toContain('Cy Person');
    });

    it('checks the item size limit on the sealed events: a batch that fits only in plain is refused', async () => {
      const harness = makeHarness();
      const store = harness.store();
      const batch = (pad: number) =>
        Array.from({ length: 100 }, (_, i) => ({
          ...contactChanged(`p${i}.${ulid().toLowerCase()}@privacy.test`),
          metadata: { correlationId: ulid(), actor: 'test', causationId: 'x'.repeat(pad) },
        }));
      const plainBytes = (events: ReturnType<typeof batch>) =>
        JSON.stringify(validateBatch(privacyCatalogue, 0, events).map((e) => e.stored)).length;
      // Padded so the plain events use all but 6 KB of the item; sealing adds about 130 bytes to each of 100.
      const pad = Math.floor((ITEM_LIMIT_BYTES - ITEM_OVERHEAD_BYTES - 6000 - plainBytes(batch(0))) / 100);
      const events = batch(pad);
      const stream = newStreamId();
      expect(() =>
        assertFits(
          stream,
          validateBatch(privacyCatalogue, 0, events).map((e) => e.stored),
        ),
      ).not.toThrow();
      await expect(store.append(stream, 'no_stream', events)).rejects.toBeInstanceOf(EventTooLargeError);
      expect(await store.readStream(stream)).toEqual([]);
    });

    it("writes a subject's key in the same atomic write as its first event, and not at all if the append fails", async () => {
      const harness = makeHarness();
      const store = harness.store();
      const email = freshEmail('first');
      const subjectId = await store.keys.subjectIdOf(email);
      const keyItems = async () =>
        (await harness.rawItems()).filter((item) => item.includes(subjectId)).length;
      const [holder, refused] = [newStreamId(), newStreamId()];
      const reservation = `org:${ulid()}`;
      await store.append(holder, 'no_stream', [contactChanged(freshEmail())], {
        reservations: { claim: [reservation] },
      });
      const failed = store.append(refused, 'no_stream', [contactChanged(email)], {
        reservations: { claim: [reservation] },
      });
      await expect(failed).rejects.toBeInstanceOf(UniquenessError);
      expect(await keyItems()).toBe(0);
      await store.append(refused, 'no_stream', [contactChanged(email)]);
      expect(await keyItems()).toBe(2); // the key item, and the commit item naming the subject
      expect((await harness.store().readStream(refused))[0]?.data).toEqual({ contactEmail: email });
    });

    it('makes exactly one key when 20 first appends for one subject race, and every event reads back', async () => {
      const harness = makeHarness();
      const email = freshEmail('racer');
      const streams = Array.from({ length: 20 }, () => newStreamId());
      const settled = await Promise.allSettled(
        streams.map((stream) => harness.store().append(stream, 'no_stream', [contactChanged(email)])),
      );
      expect(settled.filter((s) => s.status === 'rejected')).toEqual([]);
      const reader = harness.store();
      const subjectId = await reader.keys.subjectIdOf(email);
      const raw = await harness.rawItems();
      expect(raw.filter((item) => item.includes(`$key#${subjectId}`))).toHaveLength(1);
      for (const stream of streams) {
        expect((await reader.readStream(stream))[0]?.data).toEqual({ contactEmail: email });
      }
    });

    it('after a key is deleted: placeholders and erased fields, others intact, commits unchanged, deciders fold', async () => {
      const harness = makeHarness();
      const store = harness.store();
      const [contact, user] = [freshEmail('erased'), freshEmail('kept')];
      const tenant = ulid();
      const stream = `tenant-${tenant}`;
      const idem = { scope: 'op', key: ulid(), requestHash: 'h', result: { contactEmail: contact } };
      await store.append(stream, 'no_stream', [created(tenant, contact), userAssigned('u-1', user)], {
        snapshot: { deciderVersion: tenantDecider.version, version: 2, state: { contactEmail: contact } },
        idempotency: idem,
      });
      expect((await store.load(stream, { deciderVersion: tenantDecider.version })).snapshot).toBeDefined();
      const before = await harness.commitItems(stream);
      const erased = await store.keys.subjectIdOf(contact);

      await harness.deleteKey(erased);
      store.keys.evict(erased);
      const reader = harness.store();
      const events = await reader.readStream(stream);
      expect(events[0]?.data).toMatchObject({ contactEmail: ERASED, tenantId: tenant });
      expect(events[0]?.erased).toEqual([{ path: 'contactEmail', subjectId: erased }]);
      expect(events[1]?.data).toMatchObject({ email: user });
      expect(events[1]?.erased).toBeUndefined();
      const loaded = await reader.load(stream, { deciderVersion: tenantDecider.version });
      expect(loaded.snapshot).toBeUndefined();
      expect(loaded.events.map((e) => e.version)).toEqual([1, 2]);
      expect(await reader.findIdempotent('op', idem.key, 'h')).toEqual({
        result: undefined,
        resultErased: true,
      });
      expect(await harness.commitItems(stream)).toEqual(before);

      const runner = new CommandRunner({ store: reader, clock: () => new Date(), newEventId: ulid });
      const renamed = await runner.run({
        decider: tenantDecider,
        streamId: stream,
        command: system.rename('Still Works Ltd'),
        metadata: { correlationId: ulid(), actor: 'test' },
        result: ({ state }) => state,
      });
      expect(renamed.result).toMatchObject({ organizationName: 'Still Works Ltd', contactEmail: ERASED });

      // The same person again, later: a new key; the old events stay erased, the new one reads.
      await reader.append(stream, 'exists', [contactChanged(contact)]);
      const after = await harness.store().readStream(stream);
      expect(after.map((e) => e.erased?.length ?? 0)).toEqual([1, 0, 0, 0]);
      expect(after[3]?.data).toEqual({ contactEmail: contact });
      expect((await harness.commitItems(stream)).slice(0, before.length)).toEqual(before);
    });

    it("erases a subject's key in the same atomic write as an append (not at all if it is refused); the erasing store forgets it at once", async () => {
      const harness = makeHarness();
      const store = harness.store();
      const [email, kept] = [freshEmail('erased'), freshEmail('kept')];
      const tenant = ulid();
      const stream = `tenant-${tenant}`;
      await store.append(stream, 'no_stream', [created(tenant, email), userAssigned('u-1', kept)]);
      const subjectId = await store.keys.subjectIdOf(email);
      expect((await store.readStream(stream))[0]?.data).toMatchObject({ contactEmail: email }); // cached now
      const before = await harness.commitItems(stream);
      const keyItem = async () => (await harness.rawItems()).some((i) => i.includes(`$key#${subjectId}`));
      const note = (): NewEvent => ({
        eventId: ulid(),
        type: 'TENANT_UPDATED',
        occurredAt: new Date().toISOString(),
        data: { organizationName: `Erasure log ${ulid()}` },
        metadata: { correlationId: ulid(), actor: 'admin' },
      });
      const log = newStreamId();
      await store.append(log, 'no_stream', [note()]);

      const refused = store.append(log, 'no_stream', [note()], { eraseKeys: [subjectId] });
      await expect(refused).rejects.toBeInstanceOf(ConcurrencyError);
      expect(await keyItem()).toBe(true);
      expect((await harness.store().readStream(stream))[0]?.erased).toBeUndefined();
      await expect(
        store.append(newStreamId(), 'no_stream', [contactChanged(email)], { eraseKeys: [subjectId] }),
      ).rejects.toBeInstanceOf(RangeError);

      await store.append(log, 1, [note()], { eraseKeys: [subjectId] });
      expect(await keyItem()).toBe(false);
      for (const reader of [store, harness.store()]) {
        const [first, second] = await reader.readStream(stream);
        expect(first?.data).toMatchObject({ contactEmail: ERASED });
        expect(first?.erased).toEqual([{ path: 'contactEmail', subjectId }]);
        expect(second?.data).toMatchObject({ email: kept });
      }
      expect(await harness.commitItems(stream)).toEqual(before);
    });

    it('tells every reader whose personal values an event holds, erased or not, with the sealed form stored', async () => {
      const harness = makeHarness();
      const store = harness.store({ catalogue: privacyCatalogue });
      const [a, b] = [freshEmail('a'), freshEmail('b')];
      const people = `people-${ulid()}`;
      const appended = await store.append(people, 'no_stream', [
        peopleNoted([
          { email: a, name: 'Ann A' },
          { email: b, name: 'Ben B' },
        ]),
      ]);
      const [idA, idB] = [await store.keys.subjectIdOf(a), await store.keys.subjectIdOf(b)];
      const paths = [
        ['people.0.email', idA],
        ['people.0.name', idA],
        ['people.1.email', idB],
        ['people.1.name', idB],
      ];
      const named = (e: EventEnvelope | undefined) =>
        (e?.subjects ?? []).map((f) => [f.path, f.subjectId]).sort();
      expect(named(appended.events[0])).toEqual(paths);
      await harness.deleteKey(idA);
      const [read] = await harness.store({ catalogue: privacyCatalogue }).readStream(people);
      expect(named(read)).toEqual(paths);
      for (const field of read?.subjects ?? []) {
        expect(field.sealed).toMatchObject({ $pd: 1, s: field.subjectId });
        expect(JSON.stringify(field.sealed)).not.toContain(field.subjectId === idA ? a : b);
      }
    });

    it("finds no live person's data in storage in any encoding (commits, snapshots, idempotency records, keys)", async () => {
      const harness = makeHarness();
      const person = fc.record({
        email: fc.emailAddress().filter((e) => e.length >= 8 && PEOPLE_EMAIL.safeParse(e).success),
        name: fc.stringMatching(/^[A-Z][a-z]{3,10} [A-Z][a-z]{3,10}$/),
      });
      const searched: string[] = [];
      const people = fc.uniqueArray(person, {
        minLength: 2,
        maxLength: 4,
        selector: (p) => p.email.toLowerCase(),
      });
      await fc.assert(
        fc.asyncProperty(people, async ([contact, ...users]) => {
          if (!contact) return;
          const store = harness.store({ catalogue: privacyCatalogue });
          const tenant = ulid();
          const everyone = [contact, ...users].flatMap((p) => [p.email, p.name]);
          const result = { everyone };
          await store.append(`tenant-${tenant}`, 'no_stream', [created(tenant, contact.email)]);
          await store.append(
            `tenant-${tenant}`,
            1,
            users.map((u, i) => userAssigned(`u-${i}`, u.email)),
            {
              snapshot: { deciderVersion: 'd1', version: users.length + 1, state: result },
              idempotency: { scope: 'op', key: ulid(), requestHash: 'h', result },
            },
          );
          await store.append(`people-${ulid()}`, 'no_stream', [peopleNoted([contact, ...users])], {
            idempotency: { scope: 'op', key: ulid(), requestHash: 'h', result },
          });
          searched.push(...everyone);
        }),
        { numRuns: runs },
      );
      const raw = (await harness.rawItems()).join('\n');
      for (const value of searched) {
        for (const form of leakForms(value)) expect(raw.includes(form), `${value} as ${form}`).toBe(false);
      }
    });
  });
}
