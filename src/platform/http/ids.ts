import { randomFillSync } from 'node:crypto';
import { ulid } from 'ulid';

/**
 * Random bytes drawn from a pool refilled by the OS's CSPRNG, one byte per call, as a number in [0, 1): 256 / 32 is
 * exact, so each of a ULID's 32 characters is equally likely.
 */
const pool = Buffer.alloc(4096);
let next = pool.length;
function pooledRandom(): number {
  if (next >= pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  return (pool[next++] as number) / 256;
}

/**
 * A ULID (correlation ids, tenant ids, event ids). The `ulid` package's own source asks the CSPRNG for one byte
 * per character, sixteen calls per id: 40-120 µs on this machine, about a tenth of a GET's own CPU in the tenant API
 * (docs/performance.md, "API"). The same randomness, taken from a pool: about 1 µs.
 */
export const newUlid = (): string => ulid(undefined, pooledRandom);
