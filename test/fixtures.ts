import { ulid } from 'ulid';
import type { EventMetadata, NewEvent } from '#src/platform/event-store/event-store.port.js';

export const metadata = (overrides: Partial<EventMetadata> = {}): EventMetadata => ({
  correlationId: ulid(),
  actor: 'test-operator',
  ...overrides,
});

/** A valid TENANT_UPDATED: the cheapest real event to pile onto a stream. */
export const tenantUpdated = (contactEmail = 'ops@example.com'): NewEvent => ({
  eventId: ulid(),
  type: 'TENANT_UPDATED',
  occurredAt: new Date().toISOString(),
  data: { contactEmail },
  metadata: metadata(),
});

export const tenantCreated = (tenantId: string, organizationName = `Org ${tenantId}`): NewEvent => ({
  eventId: ulid(),
  type: 'TENANT_CREATED',
  occurredAt: new Date().toISOString(),
  data: { tenantId, organizationName, contactEmail: 'owner@example.com', environment: 'dev' },
  metadata: metadata({ tenantId }),
});

export const newStreamId = (category = 'tenant'): string => `${category}-${ulid()}`;
