import { describe, expect, it } from 'vitest';
import { GitRemoteError } from './errors.js';
import {
  concatBytes,
  FLUSH_PKT,
  isStaleRejection,
  parseAdvertisement,
  parseReportStatus,
  pktLine,
  receivePackRequest,
  splitPktLines,
  ZERO_OID,
} from './pkt-line.js';

const A = 'a'.repeat(40);
const B = 'b'.repeat(40);
const bytes = (...lines: Array<string | null>) =>
  concatBytes(lines.map((line) => (line === null ? FLUSH_PKT : pktLine(line))));
const text = (data: Uint8Array) => new TextDecoder().decode(data);

describe('pkt-line framing and receive-pack messages', () => {
  it('frames a line with its hex length, newline included', () => {
    expect(text(pktLine('unpack ok\n'))).toBe('000eunpack ok\n');
    expect(splitPktLines(bytes('one\n', null, 'two'))).toEqual(['one', null, 'two']);
  });

  it('refuses a malformed or truncated length', () => {
    expect(() => splitPktLines(new TextEncoder().encode('zzzzabc'))).toThrow(GitRemoteError);
    expect(() => splitPktLines(new TextEncoder().encode('0009ab'))).toThrow(GitRemoteError);
    expect(() => splitPktLines(new TextEncoder().encode('0002'))).toThrow(GitRemoteError);
  });

  it('reads the smart-HTTP advertisement: refs and the first line’s capabilities', () => {
    const advertisement = parseAdvertisement(
      bytes(
        '# service=git-receive-pack\n',
        null,
        `${A} refs/heads/main\0report-status delete-refs side-band-64k ofs-delta\n`,
        `${B} refs/heads/other\n`,
        null,
      ),
    );
    expect(advertisement.refs).toEqual(
      new Map([
        ['refs/heads/main', A],
        ['refs/heads/other', B],
      ]),
    );
    expect(advertisement.capabilities.has('report-status')).toBe(true);
  });

  it('reads an empty repository’s advertisement as no refs', () => {
    const advertisement = parseAdvertisement(
      bytes('# service=git-receive-pack\n', null, `${ZERO_OID} capabilities^{}\0report-status\n`, null),
    );
    expect(advertisement.refs.size).toBe(0);
    expect([...advertisement.capabilities]).toEqual(['report-status']);
  });

  it('surfaces an ERR line as a remote error', () => {
    expect(() => parseAdvertisement(bytes('ERR repository not exported', null))).toThrow(/not exported/);
  });

  it('writes one update command, a flush-pkt, then the pack', () => {
    const request = receivePackRequest(
      { ref: 'refs/heads/main', oldOid: A, newOid: B, capabilities: ['report-status'] },
      new TextEncoder().encode('PACK...'),
    );
    expect(text(request)).toBe(`0074${A} ${B} refs/heads/main\0report-status\n0000PACK...`);
  });

  it('reads report-status: ok, ng with its reason, and a failed unpack', () => {
    expect(parseReportStatus(bytes('unpack ok\n', 'ok refs/heads/main\n', null), 'refs/heads/main')).toEqual({
      ok: true,
    });
    expect(
      parseReportStatus(
        bytes('unpack ok\n', 'ng refs/heads/main non-fast-forward\n', null),
        'refs/heads/main',
      ),
    ).toEqual({ ok: false, reason: 'non-fast-forward' });
    expect(() =>
      parseReportStatus(
        bytes('unpack index-pack abnormal exit\n', 'ng refs/heads/main unpacker error\n', null),
        'refs/heads/main',
      ),
    ).toThrow(/could not unpack/);
    expect(() => parseReportStatus(bytes('unpack ok\n', null), 'refs/heads/main')).toThrow(/did not report/);
  });

  it('tells a stale push (retry on the fresh head) from a refusal (do not)', () => {
    for (const reason of ['non-fast-forward', 'fetch first', 'failed to update ref', 'stale info']) {
      expect(isStaleRejection(reason)).toBe(true);
    }
    for (const reason of [
      'pre-receive hook declined',
      'protected branch hook declined',
      'deny updating a hidden ref',
    ]) {
      expect(isStaleRejection(reason)).toBe(false);
    }
  });
});
