import { describe, expect, it } from 'vitest';
import type { AlbSlot } from '../terraform/input.js';
import { ALB_CAPACITY, type AlbCapacity, albSlots, slotCandidates, stableHash } from './placement.js';

const key = (slot: AlbSlot) => `${slot.alb}:${slot.priority}`;
const keys = (slots: readonly AlbSlot[]) => slots.map(key);

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/**
 * Tenant ids as one ULID factory gives them within one millisecond (monotonic): the same 10-character time and a
 * random part that only counts up: the hardest case for a spread, as a burst of tenants created together.
 */
function burstOfTenantIds(n: number): string[] {
  const random = 'M1QZ7K3D9F2B';
  return Array.from({ length: n }, (_, i) => {
    let tail = '';
    for (let v = i, d = 0; d < 4; d++, v = Math.floor(v / 32)) tail = (CROCKFORD[v % 32] ?? '0') + tail;
    return `01M8JM2EEA${random}${tail}`;
  });
}

describe('placement: the order ALB slots are tried in', () => {
  const prod = ALB_CAPACITY.prod; // 8 ALBs x 25 slots
  const small: AlbCapacity = { albs: 2, listenerRulesPerAlb: 8 }; // 4 slots

  it('is deterministic: one tenant gets one order, in any process', () => {
    const tenantId = '01M8JM2EEAMAWJ791C3HBGAFYS';
    expect(slotCandidates(prod, [], tenantId)).toEqual(slotCandidates(prod, [], tenantId));
    // fixed figures: the hash must not change between releases or processes (where a retried create starts)
    expect(stableHash(tenantId)).toBe(3956488536);
    expect(stableHash('a')).toBe(444641715);
  });

  it('covers every slot exactly once, those the read model shows taken last (in order)', () => {
    const every = keys([...albSlots(prod)]).sort();
    const held: AlbSlot[] = [
      { alb: 1, priority: 1 },
      { alb: 3, priority: 41 },
      { alb: 8, priority: 97 },
      { alb: 9, priority: 1 }, // no such ALB (a stale or foreign row): never tried
    ];
    for (const tenantId of burstOfTenantIds(100)) {
      for (const hint of [[], held]) {
        const order = slotCandidates(prod, hint, tenantId);
        expect(keys(order).sort()).toEqual(every);
        expect(new Set(keys(order)).size).toBe(order.length);
      }
      const withHeld = keys(slotCandidates(prod, held, tenantId));
      expect(withHeld.slice(-3)).toEqual(['1:1', '3:41', '8:97']);
    }
  });

  it('starts at an offset of the free slots and wraps round, keeping their order', () => {
    const tenantId = '01M8JM2EEAMAWJ791C3HBGAFYS';
    const free = keys([...albSlots(prod)]);
    const order = keys(slotCandidates(prod, [], tenantId));
    const start = free.indexOf(order[0] ?? '');
    expect(start).toBe(stableHash(tenantId) % free.length);
    expect(order).toEqual([...free.slice(start), ...free.slice(0, start)]);
  });

  it('starts different tenants apart, even a burst of ids from one millisecond', () => {
    const tenants = burstOfTenantIds(50);
    const firsts = new Set(tenants.map((t) => key(slotCandidates(prod, [], t)[0] as AlbSlot)));
    // 50 tenants on 200 slots: uniform starts give about 44 distinct ones; the old fixed order gave 1
    expect(firsts.size).toBeGreaterThanOrEqual(38);
    // and on the few slots left free, every one is somebody's start
    const held = [...albSlots(prod)].slice(4);
    const onFour = new Set(tenants.map((t) => key(slotCandidates(prod, held, t)[0] as AlbSlot)));
    expect([...onFour].sort()).toEqual(['1:1', '1:13', '1:5', '1:9']);
  });

  it('is every slot of a small environment, and every held one when none is free', () => {
    const all = [...albSlots(small)];
    expect(slotCandidates(small, all, 'any')).toEqual(all);
    expect(slotCandidates(small, [], 'any')).toHaveLength(4);
  });
});
