import { ulid } from 'ulid';
import { z } from 'zod';
import { personal } from '#src/platform/domain/personal-data.js';
import { EventCatalogue } from './catalogue.js';
import type { NewEvent } from './event-store.port.js';

/** A test event with personal data in an array, a field identified by its sibling, and a plain field. */
export const PeopleNoted = z.strictObject({
  note: z.string(),
  people: z.array(
    z.strictObject({
      email: personal(z.email(), { subject: 'customer', identifiedBy: 'self' }),
      name: personal(z.string().min(1), { subject: 'customer', identifiedBy: 'email' }),
    }),
  ),
});

/**
 * A system's catalogue plus PEOPLE_NOTED (streams `people-...`). The test running a suite gives the system's
 * catalogue: the platform's suites know no context.
 */
export const withPeopleNoted = (system: EventCatalogue): EventCatalogue =>
  new EventCatalogue([
    ...system.definitions,
    {
      type: 'PEOPLE_NOTED',
      context: 'payment',
      schemas: [PeopleNoted],
      upcasters: [],
      description: 'test: people with e-mails and names',
    },
  ]);

const event = (type: string, data: unknown, tenantId?: string): NewEvent => ({
  eventId: ulid(),
  type,
  occurredAt: new Date().toISOString(),
  data,
  metadata: { correlationId: ulid(), actor: 'test', ...(tenantId ? { tenantId } : {}) },
});

export const created = (tenantId: string, contactEmail: string): NewEvent =>
  event(
    'TENANT_CREATED',
    { tenantId, organizationName: `Org ${tenantId}`, contactEmail, environment: 'dev' },
    tenantId,
  );
export const contactChanged = (contactEmail: string): NewEvent => event('TENANT_UPDATED', { contactEmail });
export const userAssigned = (userId: string, email: string): NewEvent =>
  event('USER_ASSIGNED', { userId, email, role: 'TenantMember' });
export const peopleNoted = (people: { email: string; name: string }[], note = 'noted'): NewEvent =>
  event('PEOPLE_NOTED', { note, people });

/** A fresh e-mail nobody has used (a new data subject). */
export const freshEmail = (who = 'person'): string => `${who}.${ulid().toLowerCase()}@privacy.test`;

/**
 * Every form a value could leak in: as is, lower-cased, JSON-escaped, URL-encoded, and base64 (the stable part
 * of its encoding at each of the three alignments it can have inside a longer text).
 */
export function leakForms(value: string): string[] {
  const forms = new Set([
    value,
    value.toLowerCase(),
    JSON.stringify(value).slice(1, -1),
    encodeURIComponent(value),
    encodeURIComponent(value.toLowerCase()),
  ]);
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.from('x'.repeat(offset) + value, 'utf8').toString('base64');
    const core = encoded.slice(Math.ceil((offset * 4) / 3) + 1, -4);
    if (core.length >= 8) forms.add(core);
  }
  return [...forms];
}
