import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { evaluate, type PolicyDocument, type PolicyStatement } from './iam/policy.js';
import {
  authenticate,
  type Caller,
  CONTROL_PLANE_ACCOUNT,
  CredentialsRefused,
  issueSession,
  LOCAL_PRINCIPAL_HEADER,
  type LocalRole,
  roleOf,
  verifiedPrincipal,
} from './iam/sessions.js';
import { closeServer, listenLocal } from './ports.js';

/** The principal outside any invocation (the CLI, tests, the runtime's own set-up): the operator's user. */
export const OPERATOR_ARN = `arn:aws:iam::${CONTROL_PLANE_ACCOUNT}:user/local-operator`;

class StsError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** Who asks: the principal's ARN (a role's ARN for a role session), its account, and whether it is a role session. */
interface Principal {
  arn: string;
  account: string;
  roleSession: boolean;
}

/**
 * A stand-in for AWS STS on 127.0.0.1, speaking its Query protocol (form-encoded `Action=AssumeRole&...`, XML
 * answers the SDK parses), for `AssumeRole` of the roles defined in iam/sessions.ts. As in STS:
 * - the role's trust policy decides (an explicit Deny wins; an Allow must name the caller as Principal — its ARN,
 *   its account, its account's root, or `*` — and its Condition must hold, with `aws:PrincipalArn` and
 *   `aws:PrincipalAccount` known); the caller's own policy allowing sts:AssumeRole is the IAM hook's part;
 * - DurationSeconds is 900 up to the role's MaxSessionDuration, and at most 3600 for role chaining (a caller that
 *   is itself a role session: every Lambda function is one);
 * - a request signed with expired temporary credentials is refused (ExpiredTokenException), an unsigned one too.
 */
export class LocalSts {
  private server: Server | undefined;

  async listen(port = 0): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    return listenLocal(server, port);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    await closeServer(server);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const body = Buffer.concat(chunks);
      const form = new URLSearchParams(body.toString('utf8'));
      const principal = principalOf(req, body);
      const action = form.get('Action');
      if (action !== 'AssumeRole')
        throw new StsError(
          'InvalidAction',
          `Could not find operation ${action ?? '(none)'} for version 2011-06-15`,
        );
      send(res, 200, assumeRoleResponse(assumeRole(form, principal), requestId));
    } catch (error) {
      const e = error instanceof StsError ? error : new StsError('InternalFailure', String(error), 500);
      send(res, e.status, errorResponse(e, requestId));
    }
  }
}

/**
 * Who signed the request, as STS decides it: STS's own temporary credentials checked (sessions.ts authenticate:
 * unknown key InvalidClientTokenId, wrong signature SignatureDoesNotMatch, expired ExpiredTokenException); the
 * plain local key inside an invocation is the invocation's role, named by the principal header only with this
 * process's proof (enforcement.ts puts it there); any other caller is the operator (or an account key's root).
 */
function principalOf(req: IncomingMessage, body: Buffer): Principal {
  const authorization = req.headers.authorization;
  if (!String(authorization ?? '').startsWith('AWS4-HMAC-SHA256'))
    throw new StsError('MissingAuthenticationToken', 'Request is missing Authentication Token', 403);
  const caller = stsCaller(req, body);
  if (caller.kind === 'unknown')
    throw new StsError('InvalidClientTokenId', 'The security token included in the request is invalid.', 403);
  if (caller.kind === 'session')
    return { arn: caller.session.role.arn, account: caller.account, roleSession: true };
  const header = req.headers[LOCAL_PRINCIPAL_HEADER];
  const invocationRole = verifiedPrincipal(typeof header === 'string' ? header : undefined);
  if (invocationRole !== undefined && caller.account === CONTROL_PLANE_ACCOUNT)
    return {
      arn: invocationRole,
      account: invocationRole.split(':')[4] ?? caller.account,
      roleSession: true,
    };
  if (caller.account !== CONTROL_PLANE_ACCOUNT)
    return { arn: `arn:aws:iam::${caller.account}:root`, account: caller.account, roleSession: false };
  return { arn: OPERATOR_ARN, account: CONTROL_PLANE_ACCOUNT, roleSession: false };
}

/** The request's caller (sessions.ts authenticate), its refusal in STS's words. */
function stsCaller(req: IncomingMessage, body: Buffer): Caller {
  try {
    return authenticate({ method: req.method ?? 'POST', url: req.url ?? '/', headers: req.headers, body });
  } catch (error) {
    if (!(error instanceof CredentialsRefused)) throw error;
    if (error.reason === 'expired') throw new StsError('ExpiredTokenException', error.message);
    if (error.reason === 'signature') throw new StsError('SignatureDoesNotMatch', error.message, 403);
    throw new StsError('InvalidClientTokenId', error.message, 403);
  }
}

const ROLE_CHAINING_MAX_SECONDS = 3600;

function assumeRole(form: URLSearchParams, principal: Principal) {
  const roleArn = required(form, 'RoleArn');
  const sessionName = required(form, 'RoleSessionName');
  if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
    throw new StsError(
      'ValidationError',
      `1 validation error detected: Value '${sessionName}' at 'roleSessionName' failed to satisfy constraint: ` +
        'Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64',
    );
  const role = roleOf(roleArn);
  if (!role || !trusts(role.trust, principal)) throw notAuthorized(principal, roleArn);
  const duration = durationOf(form, role, principal);
  return issueSession(role, sessionName, duration);
}

function durationOf(form: URLSearchParams, role: LocalRole, principal: Principal): number {
  const text = form.get('DurationSeconds');
  const duration = text === null ? 3600 : Number(text);
  if (!Number.isInteger(duration) || duration < 900)
    throw new StsError(
      'ValidationError',
      `1 validation error detected: Value '${text}' at 'durationSeconds' failed to satisfy constraint: Member must ` +
        'have value greater than or equal to 900',
    );
  if (principal.roleSession && duration > ROLE_CHAINING_MAX_SECONDS)
    throw new StsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining.',
    );
  if (duration > (role.maxSessionSeconds ?? 3600))
    throw new StsError(
      'ValidationError',
      'The requested DurationSeconds exceeds the MaxSessionDuration set for this role.',
    );
  return duration;
}

/** Whether the trust policy lets `principal` assume the role: an Allow naming it, whose condition holds; no Deny. */
export function trusts(trust: PolicyDocument, principal: Pick<Principal, 'arn' | 'account'>): boolean {
  const statements = [trust.Statement].flat() as (PolicyStatement & { Principal?: unknown })[];
  const context = { 'aws:PrincipalArn': principal.arn, 'aws:PrincipalAccount': principal.account };
  // The Principal element is matched here; Action and Condition by the identity-policy evaluator.
  const applying = statements
    .filter((s) => namesPrincipal(s.Principal, principal))
    .map(({ Principal: _, ...statement }) => ({ ...statement, Resource: '*' }));
  return evaluate([{ Statement: applying }], 'sts:AssumeRole', '*', context).allowed;
}

function namesPrincipal(element: unknown, principal: Pick<Principal, 'arn' | 'account'>): boolean {
  if (element === '*') return true;
  const aws = (element as { AWS?: unknown } | undefined)?.AWS;
  const names = [aws].flat().filter((n): n is string => typeof n === 'string');
  return names.some(
    (name) =>
      name === '*' ||
      name === principal.arn ||
      name === principal.account ||
      name === `arn:aws:iam::${principal.account}:root`,
  );
}

function notAuthorized(principal: Principal, roleArn: string): StsError {
  return new StsError(
    'AccessDenied',
    `User: ${principal.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    403,
  );
}

function required(form: URLSearchParams, name: string): string {
  const value = form.get(name);
  if (!value) throw new StsError('MissingParameter', `The request must contain the parameter ${name}`);
  return value;
}

const xml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

const NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

function assumeRoleResponse(session: ReturnType<typeof issueSession>, requestId: string): string {
  const roleId = `AROALOCAL${session.role.arn
    .split('/')
    .pop()
    ?.toUpperCase()
    .replace(/[^A-Z0-9]/g, '')}`;
  return (
    `<AssumeRoleResponse xmlns="${NS}"><AssumeRoleResult>` +
    `<AssumedRoleUser><Arn>${xml(session.arn)}</Arn>` +
    `<AssumedRoleId>${xml(`${roleId}:${session.sessionName}`)}</AssumedRoleId></AssumedRoleUser>` +
    `<Credentials><AccessKeyId>${session.accessKeyId}</AccessKeyId>` +
    `<SecretAccessKey>${xml(session.secretAccessKey)}</SecretAccessKey>` +
    `<SessionToken>${xml(session.sessionToken)}</SessionToken>` +
    `<Expiration>${session.expiration.toISOString()}</Expiration></Credentials>` +
    `</AssumeRoleResult><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></AssumeRoleResponse>`
  );
}

function errorResponse(error: StsError, requestId: string): string {
  const type = error.status >= 500 ? 'Receiver' : 'Sender';
  return (
    `<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${error.code}</Code>` +
    `<Message>${xml(error.message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`
  );
}

function send(res: ServerResponse, status: number, body: string): void {
  res.writeHead(status, { 'content-type': 'text/xml' });
  res.end(body);
}
