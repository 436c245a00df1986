import { expect } from 'vitest';
import { type Decider, type DomainEvent, fold } from '#src/platform/domain/decider.js';

/** Given/when/then for deciders (thenEmits / thenThrows, since `then` would make it a thenable) (emmett's DeciderSpecification): events in, command, events or error out. */
export function deciderSpec<C, E extends DomainEvent, S>(decider: Decider<C, E, S>) {
  return {
    given: (history: E[]) => ({
      when: (command: C) => {
        const run = () => decider.decide(command, fold(decider, decider.initialState(), history));
        return {
          thenEmits: (expected: E[]) => expect(run()).toEqual(expected),
          thenThrows: (type: abstract new (...args: never[]) => Error, shape: object = {}) => {
            let error: unknown;
            try {
              run();
            } catch (e) {
              error = e;
            }
            expect(error).toBeInstanceOf(type);
            expect(error).toMatchObject(shape);
          },
        };
      },
    }),
  };
}
