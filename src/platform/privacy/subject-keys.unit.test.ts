import { describe, expect, it } from 'vitest';
import { KeyCache } from './key-cache.js';
import { LocalMasterKey } from './local.master-key.js';
import type { EncryptionContext, MasterKey } from './master-key.port.js';
import { SUBJECT_ID, subjectIdOf } from './subject-id.js';
import { ephemeralSubjectIndexKey } from './subject-index-key.js';
import { type DataKeyItem, SubjectKeys } from './subject-keys.js';

/** A master key that counts its calls: a warm process must not call KMS per event. */
const master = LocalMasterKey.ephemeral();

function countingMasterKey() {
  const inner = master;
  const calls = { generate: 0, decrypt: 0 };
  const key: MasterKey = {
    get id() {
      return inner.id;
    },
    generateDataKey: (context: EncryptionContext) => {
      calls.generate++;
      return inner.generateDataKey(context);
    },
    decrypt: (wrapped: Uint8Array, context: EncryptionContext) => {
      calls.decrypt++;
      return inner.decrypt(wrapped, context);
    },
  };
  return { key, calls };
}

function keysOver(items: Map<string, DataKeyItem>, now: () => number, ttlMs = 60_000) {
  const { key, calls } = countingMasterKey();
  const keys = new SubjectKeys(
    { read: async (id) => items.get(id) },
    { masterKey: key, subjectIndexKey: ephemeralSubjectIndexKey(), cache: { ttlMs, maxEntries: 2 } },
    now,
  );
  return { keys, calls };
}

describe('subject keys', () => {
  it('unwraps each key once per TTL in a warm process, and reads an erased key as absent once it expires', async () => {
    const items = new Map<string, DataKeyItem>();
    let now = 0;
    const writer = keysOver(items, () => now);
    const { created } = await writer.keys.keysForWrite(['ds_a']);
    for (const { item } of created) items.set(item.subjectId, item);
    const reader = keysOver(items, () => now);
    for (let i = 0; i < 50; i++) expect((await reader.keys.readKeys(['ds_a'])).has('ds_a')).toBe(true);
    expect(reader.calls.decrypt).toBe(1);
    items.delete('ds_a'); // erased: a warm reader still holds it until its TTL runs out, and no longer
    now = 59_999;
    expect((await reader.keys.readKeys(['ds_a'])).has('ds_a')).toBe(true);
    now = 60_000;
    expect((await reader.keys.readKeys(['ds_a'])).has('ds_a')).toBe(false);
  });

  it('makes a key only for a subject that has none, and caches it only once remembered (written)', async () => {
    const items = new Map<string, DataKeyItem>();
    const { keys, calls } = keysOver(items, () => 0);
    const first = await keys.keysForWrite(['ds_b', 'ds_b']);
    expect(first.created).toHaveLength(1);
    expect((await keys.keysForWrite(['ds_b'])).created).toHaveLength(1); // not written yet: made again
    keys.remember(first.created);
    expect((await keys.keysForWrite(['ds_b'])).created).toHaveLength(0);
    expect(calls.generate).toBe(2);
  });
});

describe('key cache', () => {
  it('holds at most maxEntries, dropping the least recently used, and forgets by age since loaded', () => {
    let now = 0;
    const cache = new KeyCache<number>({ maxEntries: 2, ttlMs: 100 }, () => now);
    cache.set('a', 1);
    cache.set('b', 2);
    expect(cache.get('a')).toBe(1);
    cache.set('c', 3);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([1, undefined, 3]);
    now = 99;
    expect(cache.get('a')).toBe(1); // a hit does not extend its life
    now = 100;
    expect(cache.get('a')).toBeUndefined();
  });
});

describe('subject ids', () => {
  it('are keyed hashes of the normalised e-mail: stable, case- and space-blind, and key-dependent', () => {
    const key = Buffer.alloc(32, 7);
    const id = subjectIdOf(key, 'Ops@Example.test');
    expect(id).toMatch(SUBJECT_ID);
    expect(subjectIdOf(key, '  ops@example.TEST ')).toBe(id);
    expect(subjectIdOf(Buffer.alloc(32, 8), 'ops@example.test')).not.toBe(id);
    expect(id).not.toContain('ops');
  });
});
