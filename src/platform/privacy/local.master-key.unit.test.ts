import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalMasterKey } from './local.master-key.js';
import { masterKeyContract } from './master-key.contract.js';
import { dataKeyContext } from './master-key.port.js';

const dir = mkdtempSync(join(tmpdir(), 'bbws-master-key-'));

masterKeyContract('local file', async () => ({
  key: LocalMasterKey.fromFile(join(dir, 'a.key')),
  other: LocalMasterKey.fromFile(join(dir, 'b.key')),
}));

describe('local master key file', () => {
  it('is made once, readable only by its owner, and the same key for every process that opens it', async () => {
    const path = join(dir, 'shared', 'master.key');
    const first = LocalMasterKey.fromFile(path);
    const made = await first.generateDataKey(dataKeyContext('ds_z'));
    const second = LocalMasterKey.fromFile(path);
    expect(second.id).toBe(first.id);
    expect(Buffer.from(await second.decrypt(made.wrapped, dataKeyContext('ds_z')))).toEqual(
      Buffer.from(made.plaintext),
    );
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(Buffer.from(readFileSync(path, 'utf8').trim(), 'base64')).toHaveLength(32);
  });
});
