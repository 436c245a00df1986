import { applyChanges, type Row } from '#src/platform/domain/projection.js';
import type { EventEnvelope, EventStore } from '#src/platform/event-store/event-store.port.js';
import { checkpointKey } from './dynamodb.projection-writer.js';
import type { ProjectionTarget, ProjectionWriter } from './ports.js';
import type { ProjectionRegistry, ShadowState } from './registry.js';

/** Writes whole rows in bulk (BatchWriteItem): the rebuild is the only writer of a table being built. */
export interface BulkRowWriter {
  putRows(tableName: string, rows: Row[]): Promise<void>;
  /** Deletes every item of the table; returns how many. */
  clear(tableName: string, onProgress?: (deleted: number) => void): Promise<number>;
}

export interface RebuildProgress {
  /** clear: emptying the table first (an old version's rows must not survive a rebuild into it) */
  phase: 'clear' | 'scan' | 'catch_up' | 'done';
  startedAt: string;
  /** per scan segment, the last stream written completely */
  resumeAfter: Record<number, string>;
  events: number;
  streams: number;
  /** items deleted by the clear phase */
  cleared?: number;
}

export interface ProgressStore {
  load(name: string, version: number): Promise<RebuildProgress | undefined>;
  save(name: string, version: number, progress: RebuildProgress): Promise<void>;
}

export interface RebuildDependencies {
  store: EventStore;
  registry: ProjectionRegistry;
  writer: ProjectionWriter;
  bulk: BulkRowWriter;
  progress: ProgressStore;
  clock: () => Date;
  sleep: (ms: number) => Promise<void>;
  /** How long readers and the dispatcher may keep an old registry entry. */
  registryTtlMs: number;
}

export interface RebuildOptions {
  segments?: number;
  onProgress?: (progress: RebuildProgress) => void;
}

/** Margin for clocks between writers: the second pass re-reads a little more than it must (idempotently). */
const CLOCK_SKEW_MS = 5_000;

/**
 * Blue/green rebuild of one projection version into its own table, from the event table (never from the
 * stream, which keeps 24 hours).
 *
 * 0. clear: the table is emptied first. It may hold an old run of this version (a rollback to a retained
 *    version, unfed since the switch): a row the events no longer produce must not survive.
 * 1. scan: a parallel scan of the projection's stream categories; each stream is folded in memory, in
 *    version order, and written with its checkpoint once complete (BatchWriteItem). Progress is saved per
 *    page, so an interrupted rebuild resumes after the last stream it wrote.
 * 2. catch_up: the shadow is marked catching_up, so the dispatcher feeds it live events; after the registry
 *    cache time, everything appended since the rebuild started is applied through the checkpointed writer.
 *    Every event reaches the new table exactly once: the checkpoints drop duplicates and fill gaps.
 * 3. ready: `projections switch` may make it active. Rebuilds write rows only: no side effects run.
 *
 * Registry writes are conditioned on the revision read (RegistryConflictError): a `projections drop` while the
 * rebuild runs ends the rebuild instead of being undone by it.
 */
export async function rebuild(
  deps: RebuildDependencies,
  name: string,
  version: number,
  options: RebuildOptions = {},
): Promise<RebuildProgress> {
  let entry = await deps.registry.entry(name, true);
  if (entry.active === version)
    throw new Error(`${name} v${version} is the active version: rebuild a new version`);
  if (entry.shadow && entry.shadow.version !== version) {
    throw new Error(`${name} v${entry.shadow.version} is being rebuilt already; finish or drop it first`);
  }
  const target = deps.registry.target(name, version);
  // Resume only a rebuild of this version that is still under way; anything else starts afresh.
  const saved = entry.shadow ? await deps.progress.load(name, version) : undefined;
  const progress = saved && saved.phase !== 'done' ? saved : freshProgress(deps.clock());
  const fed = entry.shadow !== undefined && entry.shadow.state !== 'building';
  const shadow = (state: ShadowState) => ({ version, state, startedAt: progress.startedAt });
  entry = await deps.registry.save({
    ...entry,
    shadow: shadow(progress.phase === 'catch_up' ? 'catching_up' : 'building'),
  });
  await deps.progress.save(name, version, progress);
  if (progress.phase === 'clear') {
    // the dispatcher may still feed it for the registry cache time
    if (fed) await deps.sleep(deps.registryTtlMs + 500);
    progress.cleared = await deps.bulk.clear(target.tableName, (deleted) =>
      options.onProgress?.({ ...progress, cleared: deleted }),
    );
    progress.phase = 'scan';
    await deps.progress.save(name, version, progress);
  }
  if (progress.phase === 'scan') {
    await scan(deps, target, progress, options);
    progress.phase = 'catch_up';
    await deps.progress.save(name, version, progress);
  }
  entry = await deps.registry.save({ ...entry, shadow: shadow('catching_up') });
  await deps.sleep(deps.registryTtlMs + 500);
  const since = new Date(Date.parse(progress.startedAt) - CLOCK_SKEW_MS);
  for await (const batch of deps.store.readAll({
    categories: target.projection.categories,
    appendedSince: since,
  })) {
    for (const event of batch.events) await deps.writer.apply(target, event);
  }
  progress.phase = 'done';
  await deps.progress.save(name, version, progress);
  await deps.registry.save({ ...entry, shadow: shadow('ready') });
  options.onProgress?.(progress);
  return progress;
}

function freshProgress(now: Date): RebuildProgress {
  return { phase: 'clear', startedAt: now.toISOString(), resumeAfter: {}, events: 0, streams: 0 };
}

interface OpenStream {
  streamId: string;
  version: number;
  rows: Map<string, Row>;
}

async function scan(
  deps: RebuildDependencies,
  target: ProjectionTarget,
  progress: RebuildProgress,
  options: RebuildOptions,
) {
  const open = new Map<number, OpenStream>();
  const rows: Row[] = [];
  let writing: Promise<void> = Promise.resolve();
  const writePage = async (page: Row[], written: RebuildProgress) => {
    await deps.bulk.putRows(target.tableName, page);
    await deps.progress.save(target.projection.name, target.projection.version, written);
    options.onProgress?.(written);
  };
  const flush = (segment: number, stream: OpenStream) => {
    rows.push(...stream.rows.values(), {
      ...checkpointKey(stream.streamId),
      version: stream.version,
      streamId: stream.streamId,
    });
    progress.resumeAfter[segment] = stream.streamId;
    progress.streams++;
  };
  for await (const batch of deps.store.readAll({
    categories: target.projection.categories,
    resumeAfter: progress.resumeAfter,
    ...(options.segments ? { segments: options.segments } : {}),
  })) {
    for (const event of batch.events) {
      let stream = open.get(batch.segment);
      if (stream?.streamId !== event.streamId) {
        if (stream) flush(batch.segment, stream);
        stream = { streamId: event.streamId, version: 0, rows: new Map() };
        open.set(batch.segment, stream);
      }
      fold(target, stream, event);
      progress.events++;
    }
    // One bulk write per page (full 25-item batches), overlapping the next page's decoding and folding.
    // Progress may only say what is written: it is saved once the page's write is done.
    await writing;
    writing = writePage(rows.splice(0), structuredClone(progress));
  }
  await writing;
  for (const [segment, stream] of open) flush(segment, stream);
  await deps.bulk.putRows(target.tableName, rows.splice(0));
}

function fold(target: ProjectionTarget, stream: OpenStream, event: EventEnvelope): void {
  if (event.version !== stream.version + 1) {
    throw new Error(`rebuild: ${event.streamId} jumped from ${stream.version} to ${event.version}`);
  }
  applyChanges(stream.rows, target.projection.apply(stream.rows, event));
  stream.version = event.version;
}
