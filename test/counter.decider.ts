import { z } from 'zod';
import type { Decider } from '#src/platform/domain/decider.js';
import { IllegalStateError } from '#src/platform/domain/errors.js';
import { EventCatalogue } from '#src/platform/event-store/catalogue.js';

/** A deliberately small decider for testing the runner and benchmarks without any one context's rules. */
export type CounterCommand = { type: 'Add'; amount: number } | { type: 'Noop' };
export type CounterEvent = { type: 'COUNTER_ADDED'; data: { amount: number } };
export interface CounterState {
  total: number;
  adds: number;
}

export const counterCatalogue = new EventCatalogue([
  {
    type: 'COUNTER_ADDED',
    context: 'tenant-management',
    schemas: [z.strictObject({ amount: z.number().int() })],
    upcasters: [],
    description: 'test counter',
  },
]);

export const counterDecider = (
  snapshotEvery?: number,
): Decider<CounterCommand, CounterEvent, CounterState> => ({
  name: 'counter',
  version: 'counter-1',
  ...(snapshotEvery ? { snapshotEvery } : {}),
  initialState: () => ({ total: 0, adds: 0 }),
  decide(command, state) {
    switch (command.type) {
      case 'Add':
        if (state.total + command.amount > 1_000_000) throw new IllegalStateError('limit', 'counter limit');
        return [{ type: 'COUNTER_ADDED', data: { amount: command.amount } }];
      case 'Noop':
        return [];
      default:
        return command satisfies never;
    }
  },
  evolve: (state, event) => ({ total: state.total + event.data.amount, adds: state.adds + 1 }),
});
