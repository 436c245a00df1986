import { z } from 'zod';
import type { TenantMembership } from './identity.port.js';

/** Cognito's limit for a custom string attribute. */
export const MEMBERSHIP_ATTRIBUTE_LIMIT = 2048;

/** The membership attribute holds more than Cognito stores even without removal markers: a poison message. */
export class MembershipAttributeFullError extends Error {
  override readonly name = 'MembershipAttributeFullError';
}

/**
 * The user's memberships after recording `membership` for `tenantId`, or undefined when nothing changes (the
 * attribute already holds that version or a newer one: a duplicate, or a stale write).
 */
export function withMembership(
  current: Readonly<Record<string, TenantMembership>>,
  tenantId: string,
  membership: TenantMembership,
): Record<string, TenantMembership> | undefined {
  const recorded = Object.hasOwn(current, tenantId) ? current[tenantId] : undefined;
  if (recorded && recorded.version >= membership.version) return undefined;
  return { ...current, [tenantId]: membership };
}

/**
 * The attribute's value. Removals are kept as `{role: null, version}` markers (they make a stale write of an
 * older version a no-op) while they fit; when the value would pass Cognito's 2048 characters they go first
 * — with the platform's writes serialised and computed from the stream's head, a marker is a second guard, not
 * the only one.
 */
export function encodeMemberships(memberships: Readonly<Record<string, TenantMembership>>): string {
  const full = JSON.stringify(memberships);
  if (full.length <= MEMBERSHIP_ATTRIBUTE_LIMIT) return full;
  const current = JSON.stringify(
    Object.fromEntries(Object.entries(memberships).filter(([, m]) => m.role !== null)),
  );
  if (current.length <= MEMBERSHIP_ATTRIBUTE_LIMIT) return current;
  throw new MembershipAttributeFullError(
    `${Object.keys(memberships).length} memberships need ${current.length} characters; Cognito keeps ${MEMBERSHIP_ATTRIBUTE_LIMIT}`,
  );
}

const Stored = z.record(
  z.string(),
  z.union([
    z.object({ role: z.string(), version: z.number() }),
    z.object({ role: z.null(), version: z.number() }),
  ]),
);

/** The attribute as stored; a value that is not the platform's shape is an error, never silently reset. */
export function decodeMemberships(raw: string | undefined): Record<string, TenantMembership> {
  return raw ? Stored.parse(JSON.parse(raw)) : {};
}
