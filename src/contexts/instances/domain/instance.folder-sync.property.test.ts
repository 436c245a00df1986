import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fold } from '#src/platform/domain/decider.js';
import type { InstanceCommand } from './instance.commands.js';
import { instanceDecider } from './instance.decider.js';
import type { InstanceEvent } from './instance.events.js';
import { finished, type InstanceState, type Live } from './instance.state.js';
import { ecsFact, STATE_FIXTURES } from './transition-table.js';

/*
 * Claim: git says what the service runs. Whatever the order of suspensions, resumes, ECS facts and the provisioner's
 * steps (each change committed with the folder generated from the head at that moment, its apply succeeding or
 * failing), once the provisioner has finished every change it was given, the last folder committed says 0/0 exactly
 * when the instance is SUSPENDED; a sync never moves the status; each sync starts only when the change before it
 * has settled, as the next change (never superseding one in flight).
 */

type Action =
  | { kind: 'suspend' }
  | { kind: 'resume' }
  | { kind: 'steady' }
  | { kind: 'step'; applyFails: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  fc.constant({ kind: 'suspend' } as const),
  fc.constant({ kind: 'resume' } as const),
  fc.constant({ kind: 'steady' } as const),
  fc.boolean().map((applyFails) => ({ kind: 'step', applyFails }) as const),
);

const live = (state: InstanceState): Live => {
  if (state.status === 'NEW') throw new Error('no instance');
  return state;
};

/** The provisioner's next step for the change in flight (the folder generated from the head when it commits). */
function stepOf(state: Live, applyFails: boolean): InstanceCommand | undefined {
  const { n, phase } = state.change;
  const run = { runId: 1000 + n, runUrl: `https://github.com/bbws/env-prod/actions/runs/${1000 + n}` };
  switch (phase) {
    case 'requested':
    case 'committing':
      return {
        type: 'RecordCommit',
        change: n,
        commitSha: n.toString(16).padStart(40, '0'),
        changed: true,
        suspended: state.status === 'SUSPENDED',
      };
    case 'committed':
      return { type: 'RecordWorkflowQueued', change: n, ...run };
    case 'queued':
      return { type: 'RecordWorkflowRunning', change: n, ...run };
    case 'running':
      return applyFails
        ? {
            type: 'RecordWorkflowOutcome',
            change: n,
            runId: run.runId,
            outcome: 'failed',
            conclusion: 'failure',
          }
        : {
            type: 'RecordWorkflowOutcome',
            change: n,
            runId: run.runId,
            outcome: 'succeeded',
            conclusion: 'success',
          };
    default:
      return undefined;
  }
}

function commandOf(action: Action, state: Live, minute: number): InstanceCommand | undefined {
  switch (action.kind) {
    case 'suspend':
      return { type: 'Suspend', reason: 'tenant parked' };
    case 'resume':
      return { type: 'Resume' };
    case 'steady':
      return { type: 'RecordEcsEvent', fact: ecsFact('SERVICE_STEADY_STATE', minute) };
    case 'step':
      return stepOf(state, action.applyFails);
    default:
      return action satisfies never;
  }
}

describe('instance decider: the folder in git follows suspension (property)', () => {
  it('after the provisioner has finished, the folder says 0/0 exactly when SUSPENDED; syncs never move the status', () => {
    const active = STATE_FIXTURES.find((f) => f.label === 'ACTIVE')?.history ?? [];
    fc.assert(
      fc.property(
        fc.array(action, { maxLength: 40 }),
        fc.array(fc.boolean(), { maxLength: 40 }),
        (actions, fails) => {
          let state = live(fold(instanceDecider, instanceDecider.initialState(), active));
          const apply = (command: InstanceCommand) => {
            const before = state;
            const events: InstanceEvent[] = instanceDecider.decide(command, before);
            for (const event of events) {
              const next = live(instanceDecider.evolve(state, event));
              if (event.type === 'INSTANCE_FOLDER_SYNC_REQUESTED') {
                expect(finished(state.change.phase)).toBe(true); // never supersedes a change in flight
                expect(event.data.change).toBe(state.change.n + 1);
              }
              if (
                state.change.kind === 'sync' &&
                command.type.startsWith('Record') &&
                command.type !== 'RecordEcsEvent'
              )
                expect(next.status).toBe(state.status); // a sync's own steps never move the status
              state = next;
            }
          };
          actions.forEach((a, i) => {
            const command = commandOf(a, state, 100 + i);
            if (command) apply(command);
          });
          // The provisioner finishes what it was given (a failed sync's apply may start another: bounded).
          for (let i = 0; i < 200 && !finished(state.change.phase); i++) {
            const command = stepOf(state, fails[i % Math.max(fails.length, 1)] ?? false);
            if (command) apply(command);
          }
          expect(finished(state.change.phase)).toBe(true);
          expect(state.committedSuspended).toBe(state.status === 'SUSPENDED');
        },
      ),
      { numRuns: 300 },
    );
  });
});
