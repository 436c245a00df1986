import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { catalogue } from '#src/contexts/catalogue.js';
import { CommandRunner } from '#src/platform/command/command-runner.js';
import { PERSONAL_DATA_ERASED } from '#src/platform/domain/personal-data.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { InMemoryEventStore, InMemoryStorage } from '#src/platform/event-store/in-memory.event-store.js';
import {
  contactChanged,
  created,
  freshEmail,
  userAssigned,
} from '#src/platform/event-store/personal-data.fixtures.js';
import { dataSubjectDecider } from './data-subject.decider.js';
import { dataSubjectStream } from './data-subject.stream.js';
import { type ErasureProcessDependencies, runErasure } from './erasure-process.js';
import type { PersonalDataHandler, SubjectMention } from './personal-data-handler.js';
import { inMemorySubjectStreams } from './subject-streams.js';

/** A person in three tenants' streams (contact of one, user of two), another person beside them; erased. */
async function setUp(options: { keyCacheMs?: number; now?: () => Date } = {}) {
  const storage = new InMemoryStorage();
  const store = new InMemoryEventStore(catalogue, { storage });
  const runner = new CommandRunner({ store, clock: () => new Date(), newEventId: ulid });
  const [person, other] = [freshEmail('erased'), freshEmail('kept')];
  const streams = [ulid(), ulid(), ulid()].map((t) => `tenant-${t}`);
  const [a, b, c] = streams as [string, string, string];
  await store.append(a, 'no_stream', [created(a.slice(7), person), userAssigned('u-2', other)]);
  await store.append(b, 'no_stream', [created(b.slice(7), other), userAssigned('u-1', person)]);
  await store.append(c, 'no_stream', [created(c.slice(7), other), userAssigned('u-1', person)]);
  await store.append(c, 2, [contactChanged(freshEmail('later'))]);
  const subjectId = await store.keys.subjectIdOf(person);
  const erasureId = ulid();
  await runner.run({
    decider: dataSubjectDecider,
    streamId: dataSubjectStream.id(subjectId),
    command: {
      type: 'RequestErasure',
      erasureId,
      subjectId,
      reason: 'asked',
      requestedBy: 'admin',
      keyHeld: true,
    },
    eraseKeys: [subjectId],
    metadata: { correlationId: ulid(), actor: 'admin' },
    result: () => undefined,
  });
  const erased: SubjectMention[][] = [];
  const handler: PersonalDataHandler = {
    holder: 'test directory',
    export: async () => [],
    erase: async (_id, mentions) => {
      erased.push([...mentions]);
      return mentions.length;
    },
    permissions: { export: [], erase: [] },
  };
  const slept: number[] = [];
  const deps: ErasureProcessDependencies = {
    store,
    runner,
    streams: inMemorySubjectStreams(storage),
    handlers: [{ context: 'test', handler }],
    handlerDeps: () => ({}) as never,
    clock: options.now ?? (() => new Date()),
    sleep: async (ms) => {
      slept.push(ms);
    },
    newEventId: ulid,
    keyCacheMs: options.keyCacheMs ?? 0,
    clockSkewMs: 0,
    progressEvery: 1,
  };
  const request = {
    erasureId,
    subjectId,
    requestedAt: new Date().toISOString(),
    requestedBy: 'admin',
    correlationId: ulid(),
  };
  const markers = async (streamId: string) =>
    (await store.readStream(streamId)).filter((e) => e.type === PERSONAL_DATA_ERASED);
  const own = async () =>
    (await store.readStream(dataSubjectStream.id(subjectId))).map((e) => [e.type, e.data]);
  return { store, deps, request, streams, markers, own, erased, slept, subjectId };
}

describe('the erasure process', () => {
  it('marks every stream holding the person once, records progress, erases downstream copies, then completes', async () => {
    const { deps, request, streams, markers, own, erased } = await setUp();
    expect(await runErasure(deps, request)).toEqual({ streams: 3, ran: true });
    for (const streamId of streams) expect(await markers(streamId)).toHaveLength(1);
    const [a] = await markers(streams[0] as string);
    expect(a?.data).toMatchObject({
      erasureId: request.erasureId,
      subjectId: request.subjectId,
      erasedBy: 'admin',
      fields: [
        { version: 1, type: 'TENANT_CREATED', path: 'contactEmail', placeholder: 'erased@erased.invalid' },
      ],
    });
    expect(await own()).toEqual([
      ['ERASURE_REQUESTED', expect.objectContaining({ erasureId: request.erasureId })],
      ['ERASURE_PROGRESSED', { erasureId: request.erasureId, marked: 1, total: 3 }],
      ['ERASURE_PROGRESSED', { erasureId: request.erasureId, marked: 2, total: 3 }],
      [
        'ERASURE_COMPLETED',
        {
          erasureId: request.erasureId,
          streams: 3,
          downstream: [{ context: 'test', holder: 'test directory', erased: 3 }],
        },
      ],
    ]);
    expect(erased[0]?.map((m) => [m.event.type, m.paths]).sort()).toEqual([
      ['TENANT_CREATED', ['contactEmail']],
      ['USER_ASSIGNED', ['email']],
      ['USER_ASSIGNED', ['email']],
    ]);
    // a redelivered request changes nothing
    expect(await runErasure(deps, request)).toEqual({ streams: 3, ran: false });
    for (const streamId of streams) expect(await markers(streamId)).toHaveLength(1);
  });

  it('resumes after a crash without marking a stream twice, and is not aborted by appends racing its markers', async () => {
    const { deps, request, streams, markers, own, store } = await setUp();
    let marking = 0;
    const racing: EventStore = Object.assign(Object.create(store) as EventStore, {
      append: async (...args: Parameters<EventStore['append']>) => {
        if (args[1] === 'any') {
          // someone appends to the stream just before every marker lands
          await store.append(args[0], 'exists', [contactChanged(freshEmail('racer'))]);
          if (++marking === 2) throw new Error('Lambda timed out'); // after the first stream's markers
        }
        return store.append(...args);
      },
    });
    const flaky = { ...deps, store: racing };
    await expect(runErasure(flaky, request)).rejects.toThrow('Lambda timed out');
    expect((await own()).at(-1)).toEqual([
      'ERASURE_PROGRESSED',
      { erasureId: request.erasureId, marked: 1, total: 3 },
    ]);
    expect(await runErasure(flaky, request)).toEqual({ streams: 3, ran: true });
    for (const streamId of streams) expect(await markers(streamId)).toHaveLength(1);
    expect((await own()).at(-1)?.[0]).toBe('ERASURE_COMPLETED');
  });

  it('lands no marker before every process has forgotten the key (the data-key cache bound)', async () => {
    const now = new Date();
    const { deps, request, streams, markers, slept } = await setUp({ keyCacheMs: 300_000, now: () => now });
    const sleeping = {
      ...deps,
      sleep: async (ms: number) => {
        slept.push(ms);
        for (const streamId of streams) expect(await markers(streamId)).toEqual([]);
      },
    };
    await runErasure(sleeping, { ...request, requestedAt: now.toISOString() });
    expect(slept).toEqual([300_000]);
    for (const streamId of streams) expect(await markers(streamId)).toHaveLength(1);
  });
});
