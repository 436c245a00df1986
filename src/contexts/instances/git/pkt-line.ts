import { GitRemoteError } from './errors.js';

/** The smart-HTTP protocol's framing (pkt-lines) and the receive-pack messages built on it. */
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

export const ZERO_OID = '0'.repeat(40);
export const FLUSH_PKT = utf8.encode('0000');

export function pktLine(payload: string): Uint8Array {
  const body = utf8.encode(payload);
  return concatBytes([utf8.encode((body.length + 4).toString(16).padStart(4, '0')), body]);
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The payloads of the pkt-lines in `data`, without a trailing newline; a flush-pkt is null. */
export function splitPktLines(data: Uint8Array): Array<string | null> {
  const lines: Array<string | null> = [];
  for (let at = 0; at < data.length; ) {
    const header = fromUtf8.decode(data.subarray(at, at + 4));
    const length = /^[0-9a-f]{4}$/i.test(header) ? Number.parseInt(header, 16) : Number.NaN;
    if (Number.isNaN(length) || (length > 0 && length < 4) || at + length > data.length) {
      throw new GitRemoteError(`malformed pkt-line at byte ${at}`);
    }
    lines.push(length === 0 ? null : fromUtf8.decode(data.subarray(at + 4, at + length)).replace(/\n$/, ''));
    at += length === 0 ? 4 : length;
  }
  return lines;
}

function throwOnErr(line: string | null): void {
  if (line?.startsWith('ERR ')) throw new GitRemoteError(`remote: ${line.slice(4)}`);
}

export interface RefAdvertisement {
  /** Full ref name -> object id. */
  refs: Map<string, string>;
  capabilities: Set<string>;
}

/** The body of `GET /info/refs?service=...`: an optional `# service=` section, then the refs. */
export function parseAdvertisement(body: Uint8Array): RefAdvertisement {
  const lines = splitPktLines(body);
  const start = lines[0]?.startsWith('# service=') ? 2 : 0;
  const refs = new Map<string, string>();
  let capabilities = new Set<string>();
  for (const [index, line] of lines.slice(start).entries()) {
    if (line === null) break;
    throwOnErr(line);
    const [head = '', caps] = line.split('\0');
    if (index === 0 && caps !== undefined) capabilities = new Set(caps.split(' ').filter(Boolean));
    const [oid = '', name = ''] = head.split(' ');
    if (!/^[0-9a-f]{40}$/.test(oid)) throw new GitRemoteError(`malformed ref advertisement line "${head}"`);
    if (name !== 'capabilities^{}') refs.set(name, oid);
  }
  return { refs, capabilities };
}

/** One ref update of a receive-pack request, followed by the pack. */
export function receivePackRequest(
  update: { ref: string; oldOid: string; newOid: string; capabilities: readonly string[] },
  pack: Uint8Array,
): Uint8Array {
  const command = `${update.oldOid} ${update.newOid} ${update.ref}\0${update.capabilities.join(' ')}\n`;
  return concatBytes([pktLine(command), FLUSH_PKT, pack]);
}

export type RefUpdateStatus = { ok: true } | { ok: false; reason: string };

/** The report-status answer for `ref`; throws when the pack did not unpack or the ref is not reported. */
export function parseReportStatus(body: Uint8Array, ref: string): RefUpdateStatus {
  const lines = splitPktLines(body).filter((line): line is string => line !== null);
  lines.forEach(throwOnErr);
  const unpack = lines.find((line) => line.startsWith('unpack '));
  if (unpack !== 'unpack ok') {
    throw new GitRemoteError(`remote could not unpack the pack: ${unpack ?? 'no unpack status'}`);
  }
  for (const line of lines) {
    if (line === `ok ${ref}`) return { ok: true };
    if (line.startsWith(`ng ${ref} `)) return { ok: false, reason: line.slice(`ng ${ref} `.length) };
  }
  throw new GitRemoteError(`remote did not report on ${ref}`);
}

/**
 * Rejections a rebuild on the fresh head fixes: someone else moved the ref between our read and our push
 * (git reports it as a non-fast-forward, `fetch first`, or a failed ref lock/update against our old value).
 */
export function isStaleRejection(reason: string): boolean {
  return /non-fast-forward|fetch first|stale info|failed to update ref|failed to lock|cannot lock ref|incorrect old value/i.test(
    reason,
  );
}
