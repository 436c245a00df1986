import { catalogue } from '#src/contexts/catalogue.js';
import { personalDataSystem } from '#test/personal-data-system.js';
import { eventStoreContract } from './event-store.contract.js';
import { personalDataContract } from './event-store.personal-data.contract.js';
import { InMemoryEventStore, InMemoryStorage } from './in-memory.event-store.js';

eventStoreContract('in-memory', () => {
  const storage = new InMemoryStorage();
  return {
    store: (options = {}) =>
      new InMemoryEventStore(options.catalogue ?? catalogue, {
        storage,
        ...(options.now ? { now: options.now } : {}),
      }),
  };
});

/** Everything the in-memory store keeps, one raw JSON per stored event, snapshot, record and key. */
function rawItems(storage: InMemoryStorage): string[] {
  return [
    ...[...storage.streams].flatMap(([pk, stream]) => [
      ...stream.events.map((event) => JSON.stringify({ pk, ...event })),
      ...(stream.snapshot ? [JSON.stringify({ pk, ...stream.snapshot })] : []),
    ]),
    ...[...storage.idempotency].map(([id, record]) => JSON.stringify({ pk: `$idem#${id}`, ...record })),
    ...[...storage.reservations].map(([key, owner]) => JSON.stringify({ pk: `$res#${key}`, owner })),
    ...[...storage.keys].map(([id, item]) => JSON.stringify({ pk: `$key#${id}`, ...item })),
  ];
}

personalDataContract('in-memory', personalDataSystem, () => {
  const storage = new InMemoryStorage();
  return {
    store: (options = {}) => new InMemoryEventStore(options.catalogue ?? catalogue, { storage }),
    deleteKey: async (subjectId) => {
      storage.keys.delete(subjectId);
    },
    rawItems: async () => rawItems(storage),
    commitItems: async (streamId) =>
      (storage.streams.get(streamId)?.events ?? []).map((event) => JSON.stringify(event)),
    tamper: async (streamId, version, edit) => {
      const event = storage.streams.get(streamId)?.events.find((e) => e.v === version);
      if (!event) throw new Error(`no event ${streamId}@${version}`);
      const data = JSON.parse(event.d) as Record<string, unknown>;
      edit(data);
      event.d = JSON.stringify(data);
    },
  };
});
