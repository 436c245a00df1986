import type { z } from 'zod';
import type { Decider, Timed } from '#src/platform/domain/decider.js';
import { IllegalStateError, NotFoundError } from '#src/platform/domain/errors.js';
import type { DataSubjectEvent, DownstreamErasure } from './data-subject.events.js';

export type DataSubjectCommand =
  | {
      type: 'RequestErasure';
      erasureId: string;
      subjectId: string;
      reason: string;
      requestedBy: string;
      /** Whether the subject's key item exists (read by the caller just before): there is something to erase. */
      keyHeld: boolean;
    }
  | { type: 'RecordErasureProgress'; erasureId: string; marked: number; total: number }
  | {
      type: 'CompleteErasure';
      erasureId: string;
      streams: number;
      downstream: z.infer<typeof DownstreamErasure>[];
    };

export interface ErasureState {
  erasureId: string;
  requestedAt: string;
  requestedBy: string;
  reason: string;
  status: 'erasing' | 'completed';
  /** streams marked so far; `total` is unknown until the process has found them */
  marked: number;
  total: number | null;
  completedAt?: string;
  downstream?: z.infer<typeof DownstreamErasure>[];
}

/** Every erasure of the person, oldest first (a person may come back and be erased again). */
export interface DataSubjectState {
  subjectId: string | null;
  erasures: ErasureState[];
}

export const dataSubjectDecider: Decider<DataSubjectCommand, DataSubjectEvent, DataSubjectState> = {
  name: 'datasubject',
  version: 'datasubject-1',
  initialState: () => ({ subjectId: null, erasures: [] }),
  decide,
  evolve,
};

/** The erasure still running, if any (at most one at a time). */
export const erasureInProgress = (state: DataSubjectState): ErasureState | undefined =>
  state.erasures.find((erasure) => erasure.status === 'erasing');

function decide(command: DataSubjectCommand, state: DataSubjectState): DataSubjectEvent[] {
  switch (command.type) {
    case 'RequestErasure': {
      if (erasureInProgress(state))
        throw new IllegalStateError('erasure_in_progress', 'an erasure of this data subject is in progress');
      if (!command.keyHeld) {
        if (state.erasures.length === 0) throw new NotFoundError('data subject not found');
        throw new IllegalStateError(
          'already_erased',
          'the data subject is erased: nothing of theirs is held',
        );
      }
      const { type: _type, keyHeld: _held, ...data } = command;
      return [{ type: 'ERASURE_REQUESTED', data }];
    }
    case 'RecordErasureProgress': {
      const erasure = erasureOf(state, command.erasureId);
      if (erasure.status === 'completed') return [];
      if (erasure.marked === command.marked && erasure.total === command.total) return [];
      const { erasureId, marked, total } = command;
      return [{ type: 'ERASURE_PROGRESSED', data: { erasureId, marked, total } }];
    }
    case 'CompleteErasure': {
      if (erasureOf(state, command.erasureId).status === 'completed') return [];
      const { erasureId, streams, downstream } = command;
      return [{ type: 'ERASURE_COMPLETED', data: { erasureId, streams, downstream } }];
    }
    default:
      return command satisfies never;
  }
}

function erasureOf(state: DataSubjectState, erasureId: string): ErasureState {
  const erasure = state.erasures.find((e) => e.erasureId === erasureId);
  if (!erasure) throw new NotFoundError(`no erasure ${erasureId} of this data subject`);
  return erasure;
}

function evolve(state: DataSubjectState, event: Timed<DataSubjectEvent>): DataSubjectState {
  const at = event.occurredAt ?? '';
  const update = (erasureId: string, change: (erasure: ErasureState) => ErasureState) => ({
    ...state,
    erasures: state.erasures.map((e) => (e.erasureId === erasureId ? change(e) : e)),
  });
  switch (event.type) {
    case 'ERASURE_REQUESTED': {
      const { erasureId, subjectId, reason, requestedBy } = event.data;
      const erasure: ErasureState = {
        erasureId,
        requestedAt: at,
        requestedBy,
        reason,
        status: 'erasing',
        marked: 0,
        total: null,
      };
      return { subjectId, erasures: [...state.erasures, erasure] };
    }
    case 'ERASURE_PROGRESSED':
      return update(event.data.erasureId, (e) => ({
        ...e,
        marked: event.data.marked,
        total: event.data.total,
      }));
    case 'ERASURE_COMPLETED':
      return update(event.data.erasureId, (e) => ({
        ...e,
        status: 'completed',
        marked: event.data.streams,
        total: event.data.streams,
        completedAt: at,
        downstream: event.data.downstream,
      }));
    case 'PERSONAL_DATA_ERASED':
      // never appended to a data subject's own stream (it holds no personal data); nothing to fold
      return state;
    default:
      return event satisfies never;
  }
}
