import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { EventEnvelope } from '#src/platform/event-store/event-store.port.js';
import { defineEvents, type Envelope, type EventsOf } from './events.js';
import { projectionOf } from './projection.js';

const Opened = z.strictObject({ id: z.string() });
const OpenedV2 = Opened.extend({ size: z.number() });
const events = defineEvents('tenant-management', {
  THING_OPENED: {
    schemas: [Opened, OpenedV2],
    upcasters: [(data: z.infer<typeof Opened>) => ({ ...data, size: 1 })],
    description: 'opened',
  },
  THING_CLOSED: { schemas: [z.strictObject({})], description: 'closed' },
});
type ThingEvent = EventsOf<typeof events>;

// Compile-time: the union follows the schemas (current version), and nothing else is a ThingEvent.
const opened: ThingEvent = { type: 'THING_OPENED', data: { id: 'a', size: 2 } };
// @ts-expect-error the data of v1 is not the current shape
const stale: ThingEvent = { type: 'THING_OPENED', data: { id: 'a' } };
// @ts-expect-error no such event type
const unknown: ThingEvent = { type: 'THING_LOST', data: {} };

const envelope = (type: string, data: unknown): EventEnvelope => ({
  eventId: 'e',
  streamId: 'thing-1',
  version: 1,
  type,
  schemaVersion: 1,
  occurredAt: '2026-01-01T00:00:00.000Z',
  data,
  metadata: { correlationId: 'c', actor: 'a' },
});

describe('events derived from their schemas', () => {
  it('gives the catalogue one definition per type, with every schema version and upcaster', () => {
    expect(events.definitions.map((d) => [d.type, d.context, d.schemas.length, d.upcasters.length])).toEqual([
      ['THING_OPENED', 'tenant-management', 2, 1],
      ['THING_CLOSED', 'tenant-management', 1, 0],
    ]);
    expect([opened, stale, unknown].map((e) => e.type)).toHaveLength(3);
  });

  it('types a projection by them, and refuses an event type it does not know instead of skipping it', () => {
    const seen: string[] = [];
    const projection = projectionOf(events, {
      name: 'things',
      version: 1,
      table: 'ThingsTable',
      categories: ['thing'],
      reads: () => [],
      apply(_rows, event: Envelope<ThingEvent>) {
        switch (event.type) {
          case 'THING_OPENED':
            seen.push(`${event.data.id}:${event.data.size}`);
            return [];
          case 'THING_CLOSED':
            seen.push('closed');
            return [];
          case 'PERSONAL_DATA_ERASED':
            seen.push('erased');
            return [];
          default:
            return event satisfies never;
        }
      },
    });
    projection.apply(new Map(), envelope('THING_OPENED', { id: 'a', size: 3 }));
    projection.apply(new Map(), envelope('THING_CLOSED', {}));
    expect(seen).toEqual(['a:3', 'closed']);
    expect(() => projection.apply(new Map(), envelope('THING_LOST', {}))).toThrow(/does not know/);
  });
});
