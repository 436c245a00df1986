import { randomId } from './cipher.js';
import { DEFAULT_KEY_CACHE, KeyCache, type KeyCacheBounds } from './key-cache.js';
import { dataKeyContext, type MasterKey } from './master-key.port.js';
import { subjectIdOf } from './subject-id.js';
import type { SubjectIndexKey } from './subject-index-key.js';

/** A data subject's key as it is stored: wrapped by the master key. Deleting it erases the subject. */
export interface DataKeyItem {
  subjectId: string;
  /** This key's own id: a key made for the same person after an erasure has another, so old data stays erased. */
  kid: string;
  /** The data key wrapped by the master key, base64. */
  wrapped: string;
  /** The master key that wrapped it. */
  masterKeyId: string;
  createdAt: string;
}

/** A subject's data key in plain: held in memory only. */
export interface DataKey {
  subjectId: string;
  kid: string;
  key: Uint8Array;
}

/** A key made for an append: its item is written in the same atomic write as the append's events. */
export interface NewDataKey {
  item: DataKeyItem;
  key: DataKey;
}

/** Where a store keeps key items (the event table; the in-memory store's maps). Reads are strongly consistent. */
export interface KeyItems {
  read(subjectId: string): Promise<DataKeyItem | undefined>;
}

/** What a reader of events needs: the live keys of these subjects. A subject without one is erased. */
export interface KeyReader {
  readKeys(subjectIds: Iterable<string>): Promise<ReadonlyMap<string, DataKey>>;
}

/** The keys of a deployment: the master key, the subject-index key, and how long plain data keys are cached. */
export interface Privacy {
  masterKey: MasterKey;
  subjectIndexKey: SubjectIndexKey;
  cache?: KeyCacheBounds;
}

const PARALLEL_READS = 16;

/**
 * The data keys of one event store: read from its key items and unwrapped by the master key on a cache miss,
 * made (GenerateDataKey) for a subject that has none yet. Plain keys are cached within the bounds given (size,
 * and time since they were read), so a warm process unwraps each key once per TTL; a key never found (erased) is
 * not cached, and a made key only once its item is written.
 */
export class SubjectKeys implements KeyReader {
  private readonly cache: KeyCache<DataKey>;
  private readonly inflight = new Map<string, Promise<DataKey | undefined>>();
  private identifier: Promise<(identifier: string) => string> | undefined;

  constructor(
    private readonly items: KeyItems,
    private readonly privacy: Privacy,
    now: () => number = Date.now,
  ) {
    this.cache = new KeyCache(privacy.cache ?? DEFAULT_KEY_CACHE, now);
  }

  get masterKeyId(): string {
    return this.privacy.masterKey.id;
  }

  /** The subject id of an e-mail (HMAC with the subject-index key). */
  async subjectIdOf(identifier: string): Promise<string> {
    return (await this.identify())(identifier);
  }

  /** A function computing subject ids, once the subject-index key is loaded (once per instance). */
  identify(): Promise<(identifier: string) => string> {
    this.identifier ??= this.privacy.subjectIndexKey
      .key()
      .then((key) => (identifier: string) => subjectIdOf(key, identifier));
    return this.identifier;
  }

  async readKeys(subjectIds: Iterable<string>): Promise<ReadonlyMap<string, DataKey>> {
    const found = new Map<string, DataKey>();
    const missing: string[] = [];
    for (const id of new Set(subjectIds)) {
      const cached = this.cache.get(id);
      if (cached) found.set(id, cached);
      else missing.push(id);
    }
    for (let start = 0; start < missing.length; start += PARALLEL_READS) {
      const batch = missing.slice(start, start + PARALLEL_READS);
      const keys = await Promise.all(batch.map((id) => this.load(id)));
      keys.forEach((key, i) => {
        if (key) found.set(batch[i] as string, key);
      });
    }
    return found;
  }

  /** Keys to encrypt with: the live ones, and new ones (not yet stored) for subjects that have none. */
  async keysForWrite(
    subjectIds: Iterable<string>,
  ): Promise<{ keys: Map<string, DataKey>; created: NewDataKey[] }> {
    const wanted = [...new Set(subjectIds)];
    const cached = new Map<string, DataKey>();
    for (const id of wanted) {
      const key = this.cache.get(id);
      if (key) cached.set(id, key);
    }
    // A warm append: every key in the cache, nothing to read or make.
    if (cached.size === wanted.length) return { keys: cached, created: [] };
    const keys = new Map(await this.readKeys(wanted));
    const created = await Promise.all(wanted.filter((id) => !keys.has(id)).map((id) => this.make(id)));
    for (const made of created) keys.set(made.key.subjectId, made.key);
    return { keys, created };
  }

  /** A key item another writer stored first: its key, cached (the loser of a creation race encrypts again with it). */
  async adopt(item: DataKeyItem): Promise<DataKey> {
    const key = await this.unwrap(item);
    this.cache.set(item.subjectId, key);
    return key;
  }

  /** Keys made for an append that was written: from now on they are read like any other. */
  remember(created: readonly NewDataKey[]): void {
    for (const { key } of created) this.cache.set(key.subjectId, key);
  }

  /** Whether the subject has a key item now (one consistent read, no unwrapping): their data is held. */
  async held(subjectId: string): Promise<boolean> {
    return (await this.items.read(subjectId)) !== undefined;
  }

  /** Forgets a key in this process (the erasure's own process does so at once; others within the TTL). */
  evict(subjectId: string): void {
    this.cache.delete(subjectId);
  }

  private load(subjectId: string): Promise<DataKey | undefined> {
    let pending = this.inflight.get(subjectId);
    if (!pending) {
      pending = this.items
        .read(subjectId)
        .then(async (item) => {
          if (!item) return undefined;
          const key = await this.unwrap(item);
          this.cache.set(subjectId, key);
          return key;
        })
        .finally(() => this.inflight.delete(subjectId));
      this.inflight.set(subjectId, pending);
    }
    return pending;
  }

  private async unwrap(item: DataKeyItem): Promise<DataKey> {
    const wrapped = Buffer.from(item.wrapped, 'base64');
    const key = await this.privacy.masterKey.decrypt(wrapped, dataKeyContext(item.subjectId));
    return { subjectId: item.subjectId, kid: item.kid, key };
  }

  private async make(subjectId: string): Promise<NewDataKey> {
    const { masterKey } = this.privacy;
    const { plaintext, wrapped } = await masterKey.generateDataKey(dataKeyContext(subjectId));
    const kid = randomId();
    return {
      key: { subjectId, kid, key: plaintext },
      item: {
        subjectId,
        kid,
        wrapped: Buffer.from(wrapped).toString('base64'),
        masterKeyId: masterKey.id,
        createdAt: new Date().toISOString(),
      },
    };
  }
}
