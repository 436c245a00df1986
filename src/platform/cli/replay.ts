import { contexts } from '#src/contexts/index.js';
import { fold } from '#src/platform/domain/decider.js';
import type { EventStore } from '#src/platform/event-store/event-store.port.js';
import { UsageError } from './usage.js';

const aggregates = Object.fromEntries(contexts.flatMap((c) => Object.entries(c.aggregates)));

/** `replay <streamId> [--at t] [--json]`: the audit trail of one stream, with the state after each event. */
export async function replay(
  store: Pick<EventStore, 'readStream'>,
  streamId: string,
  options: { at?: Date; json: boolean },
  help: string,
): Promise<number> {
  const category = streamId.split('-')[0] ?? '';
  const decider = aggregates[category];
  if (!decider)
    throw new UsageError(
      `no aggregate for stream category "${category}" (known: ${Object.keys(aggregates).join(', ')})`,
      help,
    );
  const until = options.at?.getTime();
  const events = (await store.readStream(streamId)).filter(
    (e) => until === undefined || Date.parse(e.occurredAt) <= until,
  );
  if (events.length === 0) {
    console.log(`${streamId}: no events${options.at ? ` at or before ${options.at.toISOString()}` : ''}`);
    return 0;
  }
  let state = decider.initialState();
  for (const event of events) {
    state = fold(decider, state, [{ type: event.type, data: event.data }]);
    if (options.json) console.log(JSON.stringify({ event, state }));
    else {
      console.log(
        `v${event.version}  ${event.occurredAt}  ${event.type}  by ${event.metadata.actor}  ${JSON.stringify(event.data)}`,
      );
      console.log(`     state: ${JSON.stringify(state)}`);
    }
  }
  if (!options.json && options.at)
    console.log(
      `\n${streamId} as of ${options.at.toISOString()}: version ${events.at(-1)?.version}, ${JSON.stringify(state)}`,
    );
  return 0;
}
