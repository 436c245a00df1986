import type { DataKey, KeyReader } from '#src/platform/privacy/subject-keys.js';
import type { IdempotentReplay, Snapshot } from './event-store.port.js';
import { openForSubjects, type SealedForSubjects, sealForSubjects } from './sealing.js';

/**
 * A snapshot as stored (`snap` of a commit item): the decider's state in plain when its stream holds no personal
 * data, otherwise sealed with one key derived from the keys of every person the stream mentions, so erasing any
 * of them makes it unusable and the store folds the events instead (whose fields then read as placeholders).
 */
export interface SnapshotRecord {
  dv: string;
  v: number;
  state?: unknown;
  sealed?: SealedForSubjects;
}

const snapshotPurpose = (streamId: string, version: number, deciderVersion: string) =>
  `bbws-snap/1|${streamId}|${version}|${deciderVersion}`;

export function snapshotRecord(streamId: string, snapshot: Snapshot, keys: readonly DataKey[]): string {
  const { deciderVersion: dv, version: v, state } = snapshot;
  if (keys.length === 0) return JSON.stringify({ dv, v, state });
  const sealed = sealForSubjects(keys, JSON.stringify(state), snapshotPurpose(streamId, v, dv));
  return JSON.stringify({ dv, v, sealed });
}

/** The subjects whose keys a snapshot record needs. */
export const snapshotSubjects = (record: SnapshotRecord): string[] =>
  (record.sealed?.ks ?? []).map(([subjectId]) => subjectId);

/** The snapshot's state, or undefined when one of its subjects was erased (then it is not used). */
export async function openSnapshot(
  streamId: string,
  record: SnapshotRecord,
  reader: KeyReader,
): Promise<{ state: unknown } | undefined> {
  if (!record.sealed) return { state: record.state };
  const keys = await reader.readKeys(snapshotSubjects(record));
  const plain = openForSubjects(record.sealed, keys, snapshotPurpose(streamId, record.v, record.dv));
  return plain === undefined ? undefined : { state: JSON.parse(plain) as unknown };
}

/**
 * An idempotency record's stored result: in plain (`result`) when its stream holds no personal data, otherwise
 * sealed (`sealed`) for the people of the stream, like a snapshot.
 */
export interface StoredResult {
  result?: string;
  sealed?: string;
}

const resultPurpose = (idempotencyId: string) => `bbws-idem/1|${idempotencyId}`;

export function storedResult(idempotencyId: string, result: unknown, keys: readonly DataKey[]): StoredResult {
  const json = JSON.stringify(result ?? null);
  if (keys.length === 0) return { result: json };
  return { sealed: JSON.stringify(sealForSubjects(keys, json, resultPurpose(idempotencyId))) };
}

/** The stored result, or none with `resultErased` once one of its subjects was erased. */
export async function openResult(
  idempotencyId: string,
  stored: StoredResult,
  reader: KeyReader,
): Promise<IdempotentReplay> {
  if (stored.sealed === undefined) return { result: JSON.parse(stored.result ?? 'null') as unknown };
  const sealed = JSON.parse(stored.sealed) as SealedForSubjects;
  const keys = await reader.readKeys(sealed.ks.map(([subjectId]) => subjectId));
  const plain = openForSubjects(sealed, keys, resultPurpose(idempotencyId));
  return plain === undefined ? { result: undefined, resultErased: true } : { result: JSON.parse(plain) };
}
