import { type Json, ref } from './cloudformation.js';
import type { FunctionDefinition } from './definitions.js';

/**
 * The secrets the stack generates (Secrets Manager, src/platform/platform.definition.ts) and the variable that
 * carries each into a function. A `{{resolve:secretsmanager:...}}` reference in a Lambda environment is resolved
 * at deploy time into the function's configuration, in plain text for whoever may read it: so each function gets
 * only the secrets it uses, never the provider's environment every function shares.
 */
export const STACK_SECRETS = {
  /** Signs pagination cursors (src/platform/http/cursor.ts). */
  CursorSecret: 'CURSOR_SECRET',
  /** Keys the HMAC that names data subjects by their e-mails (src/platform/privacy/subject-index-key.ts). */
  SubjectIndexKey: 'SUBJECT_INDEX_KEY',
} as const;

export type StackSecret = keyof typeof STACK_SECRETS;

const appendsPersonalData = (fn: FunctionDefinition): boolean =>
  fn.permissions.some(
    (p) => p.service === 'kms' && p.key === 'PersonalDataKey' && p.actions.includes('GenerateDataKey'),
  );

/**
 * What a function uses, from what it declares: a function serving a route behind a token verifies tokens and signs
 * cursors (http-wiring.ts builds both: the cursor secret); one that appends personal data (GenerateDataKey on
 * PersonalDataKey) names its data subjects by their e-mails (the subject-index key); and whatever else the function
 * states in `secrets` (the privacy API finds people by e-mail). Nothing else gets either.
 */
export function secretsOf(fn: FunctionDefinition): StackSecret[] {
  const used = new Set<StackSecret>(fn.secrets ?? []);
  if ((fn.routes ?? []).some((route) => route.auth !== 'public')) used.add('CursorSecret');
  if (appendsPersonalData(fn)) used.add('SubjectIndexKey');
  return (Object.keys(STACK_SECRETS) as StackSecret[]).filter((secret) => used.has(secret));
}

/** The function's secret variables, as dynamic references CloudFormation resolves at deploy time. */
export function secretEnvironment(fn: FunctionDefinition): Record<string, Json> {
  return Object.fromEntries(
    secretsOf(fn).map((secret) => [
      STACK_SECRETS[secret],
      { 'Fn::Join': ['', ['{{resolve:secretsmanager:', ref(secret), ':SecretString}}']] },
    ]),
  );
}
