/**
 * The local runtime's STS state, one per process: the roles a local account defines (trust policy, permission
 * policies, maximum session duration), the long-term access keys that stand for an account's own principals, and
 * the temporary credentials STS issued (sts-server.ts). The IAM enforcement (enforcement.ts) checks a call made
 * with issued credentials against the assumed role's policies, and the AWS stand-ins resolve a caller's account
 * from the SigV4 access key through {@link callerOf}: calling into another account without assuming its role fails
 * locally as it does in AWS.
 *
 * Nothing here is bundled into a Lambda: only the local runtime and its stand-ins import it.
 */
import { randomBytes } from 'node:crypto';
import { AccessDeniedException, type CommandCheck, commandChecker } from './middleware.js';
import type { PolicyDocument } from './policy.js';

/** The account the control plane and the plain local/operator credentials live in (function-roles.ts's too). */
export const CONTROL_PLANE_ACCOUNT = '000000000000';

/**
 * The header the local IAM hook (enforcement.ts) puts on a request made inside an invocation: the function's
 * execution role ARN. In AWS, STS knows the caller from the signature; locally every function signs with the same
 * `local` key, so the role the invocation runs as travels with the request (sts-server.ts reads it).
 */
export const LOCAL_PRINCIPAL_HEADER = 'x-bbws-local-principal';

export interface LocalRole {
  /** `arn:aws:iam::<account>:role/<name>` */
  readonly arn: string;
  /** The trust policy (AssumeRolePolicyDocument): who may assume the role. */
  readonly trust: PolicyDocument;
  readonly policies: readonly PolicyDocument[];
  /** 3600 to 43200 (IAM's MaxSessionDuration; default 3600). */
  readonly maxSessionSeconds?: number;
}

export interface Session {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  readonly role: LocalRole;
  readonly account: string;
  readonly sessionName: string;
  /** `arn:aws:sts::<account>:assumed-role/<role name>/<session name>` */
  readonly arn: string;
  /** The assumed role's policies applied to one SDK command (throws AccessDeniedException). */
  readonly check: CommandCheck;
}

/** Who signed a request: a session of an assumed role, or an account's own long-term key. */
export type Caller =
  | { kind: 'session'; session: Session; account: string; expired: boolean }
  | { kind: 'account'; account: string };

/** AWS's answer to a request signed with expired temporary credentials. */
export class ExpiredTokenException extends Error {
  override readonly name = 'ExpiredTokenException';
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };
  constructor() {
    super('The security token included in the request is expired');
  }
}

const roles = new Map<string, LocalRole>();
const sessions = new Map<string, Session>();
const accountKeys = new Map<string, string>();

export const accountOfRoleArn = (arn: string): string | undefined =>
  /^arn:aws[\w-]*:iam::(\d{12}):role\//.exec(arn)?.[1];

/** Defines (or redefines) a role of a local account. */
export function defineRole(role: LocalRole): void {
  if (!accountOfRoleArn(role.arn)) throw new Error(`not an IAM role ARN: ${role.arn}`);
  roles.set(role.arn, role);
}

export function roleOf(arn: string): LocalRole | undefined {
  return roles.get(arn);
}

/**
 * A long-term access key standing for `account` itself (what a workload account's own tooling signs with, e.g.
 * the Terraform apply of the GitHub stand-in): the same key for the same account.
 */
export function accountAccessKey(account: string): { accessKeyId: string; secretAccessKey: string } {
  const accessKeyId = `AKIALOCAL${account}`;
  accountKeys.set(accessKeyId, account);
  return { accessKeyId, secretAccessKey: `local-${account}` };
}

/** Issues temporary credentials for `role` (the STS stand-in calls this once it has checked trust and duration). */
export function issueSession(
  role: LocalRole,
  sessionName: string,
  durationSeconds: number,
  now = Date.now(),
): Session {
  const account = accountOfRoleArn(role.arn) ?? CONTROL_PLANE_ACCOUNT;
  const roleName = role.arn.split('/').pop() ?? role.arn;
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  const identity = { region: 'af-south-1', account, roleName, functionName: sessionName, roleArn: role.arn };
  const session: Session = {
    accessKeyId,
    secretAccessKey: randomBytes(20).toString('base64'),
    sessionToken: randomBytes(48).toString('base64'),
    expiration: new Date(now + durationSeconds * 1000),
    role,
    account,
    sessionName,
    arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${sessionName}`,
    check: commandChecker(role.policies, identity),
  };
  sessions.set(accessKeyId, session);
  return session;
}

/**
 * The caller an access key stands for: a session (expired or not), an account key's account, else the control
 * plane's account (the plain `local` keys and the operator's credentials).
 */
export function callerOf(accessKeyId: string | undefined, now = Date.now()): Caller {
  const session = accessKeyId === undefined ? undefined : sessions.get(accessKeyId);
  if (session)
    return {
      kind: 'session',
      session,
      account: session.account,
      expired: session.expiration.getTime() <= now,
    };
  const account = accessKeyId === undefined ? undefined : accountKeys.get(accessKeyId);
  return { kind: 'account', account: account ?? CONTROL_PLANE_ACCOUNT };
}

/** The access key of a SigV4 `Authorization` header (`... Credential=<key>/<date>/<region>/<service>/...`). */
export function accessKeyOfAuthorization(authorization: string | undefined): string | undefined {
  return /Credential=([^/,\s]+)\//.exec(authorization ?? '')?.[1];
}

/**
 * Checks one SDK command sent with `accessKeyId`: a session's command against its role's policies (expired:
 * ExpiredTokenException, as AWS answers); true when it was a session's (checked), false otherwise.
 */
export function checkSessionCommand(
  accessKeyId: string,
  clientName: string,
  commandName: string,
  input: unknown,
  now = Date.now(),
): boolean {
  const caller = callerOf(accessKeyId, now);
  if (caller.kind !== 'session') return false;
  if (caller.expired) throw new ExpiredTokenException();
  caller.session.check(clientName, commandName, input);
  return true;
}

export { AccessDeniedException };
