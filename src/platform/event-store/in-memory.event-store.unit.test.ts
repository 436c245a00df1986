import { catalogue } from '#src/contexts/catalogue.js';
import { eventStoreContract } from './event-store.contract.js';
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
