import type { DirectoryRecord } from '#src/platform/identity/identity.port.js';
import type {
  PersonalDataHandler,
  SubjectMention,
} from '#src/platform/privacy/data-subjects/personal-data-handler.js';

/**
 * Tenant management's copies of a person outside the event table: their user in the identity directory (Cognito),
 * found by the user ids their e-mail was assigned with (USER_ASSIGNED names the user beside the e-mail; the id is
 * not personal data and still reads once the e-mail is erased). Erasure deletes the user: the pool signs in by
 * e-mail, so the attribute cannot be blanked on a live account (docs/architecture.md, "Erasure").
 */
export const tenantsPersonalData: PersonalDataHandler = {
  holder: 'identity directory',
  async export(_subjectId, mentions, { identity }) {
    const found = await Promise.all(usersOf(mentions).map((userId) => identity.user(userId)));
    return found.filter((user): user is DirectoryRecord => user !== undefined);
  },
  async erase(_subjectId, mentions, { identity }) {
    let erased = 0;
    for (const userId of usersOf(mentions)) {
      if ((await identity.deleteUser(userId)) === 'deleted') erased++;
    }
    return erased;
  },
  permissions: {
    export: [{ service: 'cognito-idp', actions: ['AdminGetUser'] }],
    erase: [{ service: 'cognito-idp', actions: ['AdminDeleteUser'] }],
  },
};

/** The users whose assignment carried the person's e-mail. */
function usersOf(mentions: readonly SubjectMention[]): string[] {
  const users = new Set<string>();
  for (const { event, paths } of mentions) {
    const userId = (event.data as { userId?: unknown } | null)?.userId;
    if (event.type === 'USER_ASSIGNED' && paths.includes('email') && typeof userId === 'string')
      users.add(userId);
  }
  return [...users];
}
