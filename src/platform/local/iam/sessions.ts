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
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AccessDeniedException, type CommandCheck, commandChecker } from './middleware.js';
import type { PolicyDocument } from './policy.js';
import { type SignedRequest, signatureMatches } from './sigv4.js';

/** The account the control plane and the plain local/operator credentials live in (function-roles.ts's too). */
export const CONTROL_PLANE_ACCOUNT = '000000000000';

/**
 * The header the local IAM hook (enforcement.ts) puts on a request made inside an invocation: the function's
 * execution role ARN with a proof ({@link principalHeaderValue}). In AWS, STS knows the caller from the signature;
 * locally every function signs with the same `local` key, so the role the invocation runs as travels with the
 * request (sts-server.ts reads it), and only a value this process made is believed: a header claiming a role
 * without the proof (the operator's call, any other process) is ignored.
 */
export const LOCAL_PRINCIPAL_HEADER = 'x-bbws-local-principal';

/**
 * A secret of this process, kept on globalThis so every module instance of this file (the runtime loads a
 * function's modules apart: function-scope.ts) shares it; never sent, only its HMACs are.
 */
const PROCESS_SECRET: Buffer = (() => {
  const shared = globalThis as Record<symbol, unknown>;
  const key = Symbol.for('bbws.local.iam.principalSecret');
  if (!Buffer.isBuffer(shared[key])) shared[key] = randomBytes(32);
  return shared[key] as Buffer;
})();

const proofOf = (principalArn: string) =>
  createHmac('sha256', PROCESS_SECRET).update(principalArn).digest('base64url');

/** The principal header's value for `principalArn`: `<arn> <HMAC of the arn with this process's secret>`. */
export const principalHeaderValue = (principalArn: string): string =>
  `${principalArn} ${proofOf(principalArn)}`;

/** The principal a header value names, if this process made it (its proof holds); undefined otherwise. */
export function verifiedPrincipal(value: string | undefined): string | undefined {
  const [arn, proof, ...rest] = (value ?? '').split(' ');
  if (!arn || !proof || rest.length > 0) return undefined;
  const expected = Buffer.from(proofOf(arn));
  const given = Buffer.from(proof);
  return given.length === expected.length && timingSafeEqual(given, expected) ? arn : undefined;
}

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

/**
 * Who signed a request: a session of an assumed role, an account's own long-term key, or temporary credentials STS
 * never issued (an ASIA key this process does not know: made up, or a previous run's).
 */
export type Caller =
  | { kind: 'session'; session: Session; account: string; expired: boolean }
  | { kind: 'account'; account: string }
  | { kind: 'unknown'; accessKeyId: string };

/** Why a request's credentials are refused ({@link authenticate}); each stand-in answers with its service's code. */
export class CredentialsRefused extends Error {
  constructor(
    readonly reason: 'unrecognized' | 'signature' | 'expired',
    message: string,
  ) {
    super(message);
    this.name = 'CredentialsRefused';
  }
}

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
 * The caller an access key stands for: a session (expired or not), an unknown temporary key (ASIA...: STS never
 * issued it), an account key's account, else the control plane's account (the plain `local` keys and the
 * operator's credentials).
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
  if (accessKeyId?.startsWith('ASIA')) return { kind: 'unknown', accessKeyId };
  const account = accessKeyId === undefined ? undefined : accountKeys.get(accessKeyId);
  return { kind: 'account', account: account ?? CONTROL_PLANE_ACCOUNT };
}

/**
 * The caller of a SigV4-signed request, as AWS decides it: temporary credentials must be ones STS issued
 * ('unrecognized' otherwise), signed with their secret ('signature'), carry their session token
 * (`x-amz-security-token`; 'unrecognized' otherwise) and not have expired ('expired'). An account key's request
 * is checked against its secret too; the plain local keys (operator, functions) are taken as they are.
 */
export function authenticate(request: SignedRequest, now = Date.now()): Caller {
  const accessKeyId = accessKeyOfAuthorization(request.headers.authorization as string | undefined);
  const caller = callerOf(accessKeyId, now);
  if (caller.kind === 'unknown')
    throw new CredentialsRefused('unrecognized', 'The security token included in the request is invalid.');
  if (caller.kind === 'session') {
    if (!signatureMatches(request, caller.session.secretAccessKey))
      throw new CredentialsRefused(
        'signature',
        'The request signature we calculated does not match the signature you provided.',
      );
    if (request.headers['x-amz-security-token'] !== caller.session.sessionToken)
      throw new CredentialsRefused('unrecognized', 'The security token included in the request is invalid.');
    if (caller.expired)
      throw new CredentialsRefused('expired', 'The security token included in the request is expired');
  } else if (accessKeyId !== undefined && accountKeys.has(accessKeyId)) {
    if (!signatureMatches(request, `local-${caller.account}`))
      throw new CredentialsRefused(
        'signature',
        'The request signature we calculated does not match the signature you provided.',
      );
  }
  return caller;
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
