/**
 * Which Lambda function's role the code running now has, and the SDK hook that checks every call against it.
 *
 * The local runtime runs every handler in one Node process, sharing SDK clients between functions (the platform
 * builds its adapters once per process). In AWS each function runs with its own execution role. Here the role
 * follows the invocation through its async work: the LambdaHost runs each invocation inside {@link runAs}
 * (AsyncLocalStorage), and so do the event source mappings' own calls. {@link installSdkEnforcement} wraps the
 * `send` of the SDK's base client class once per process: the first `send` of each client adds an `initialize`
 * middleware that checks the command against the role of the current invocation, before anything is serialized.
 * Outside an invocation (the CLI, tests, the runtime's own set-up: operators' credentials) nothing is checked, but
 * a call signed with temporary credentials of the local STS (sessions.ts) is checked against the assumed role's
 * policies wherever it is made.
 *
 * Nothing here is bundled into a Lambda: only the local runtime imports it.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SQSClient } from '@aws-sdk/client-sqs';
import { STSClient } from '@aws-sdk/client-sts';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  type CommandCheck,
  type HandlerContext,
  type InitializeMiddleware,
  type InitializeStack,
  NO_CLIENT,
  NO_COMMAND,
} from './middleware.js';
import { checkSessionCommand, LOCAL_PRINCIPAL_HEADER, principalHeaderValue } from './sessions.js';

/** A function's execution role as the local runtime enforces it. */
export interface FunctionRole {
  /** The function's name in serverless.yml, e.g. `tenantApi`. */
  readonly functionName: string;
  readonly check: CommandCheck;
  /** The execution role's ARN: who the function is when it calls STS (sts-server.ts's trust check). */
  readonly principalArn?: string;
}

export interface InvocationScope {
  readonly role: FunctionRole;
  /** A test that provokes a denial on purpose says so: its denials are recorded as expected. */
  readonly expectDenials?: boolean;
}

const scopes = new AsyncLocalStorage<InvocationScope>();

/** Runs `body` (and every async continuation it starts) with `role`'s permissions. */
export function runAs<T>(role: FunctionRole | InvocationScope, body: () => T): T {
  return scopes.run('role' in role ? role : { role }, body);
}

/** The scope the current code runs in, if it serves an invocation. */
export function currentScope(): InvocationScope | undefined {
  return scopes.getStore();
}

export const INVOCATION_ROLE_MIDDLEWARE = 'bbwsLocalInvocationRole';

/**
 * The check of one client: a command sent with temporary credentials STS issued is checked against the assumed
 * role's policies (expired: ExpiredTokenException), whoever sends it, as AWS does; any other command against the
 * current invocation's role (none outside an invocation).
 */
const enforce =
  (client: SdkClient): InitializeMiddleware =>
  (next, context: HandlerContext) =>
  async (args) => {
    const clientName = context.clientName ?? NO_CLIENT;
    const commandName = context.commandName ?? NO_COMMAND;
    const accessKeyId = await accessKeyOf(client);
    if (accessKeyId === undefined || !checkSessionCommand(accessKeyId, clientName, commandName, args.input))
      scopes.getStore()?.role.check(clientName, commandName, args.input);
    return next(args);
  };

/** The access key the client signs with (its credentials resolved as the SDK resolves them), if any. */
async function accessKeyOf(client: SdkClient): Promise<string | undefined> {
  const provider = client.config?.credentials;
  if (typeof provider !== 'function') return undefined;
  // A provider that fails (no credentials, an AssumeRole refused) fails the command with its own error, as the SDK
  // would: checking it against the invocation's role instead would report a misleading denial.
  return ((await provider()) as { accessKeyId?: string } | undefined)?.accessKeyId;
}

/**
 * Inside an invocation, an STS request names the function's role with this process's proof (sts-server.ts: the
 * trust policy's caller; a header without the proof is ignored there).
 */
const principalHeader: BuildMiddleware = (next) => async (args) => {
  const principal = scopes.getStore()?.role.principalArn;
  const request = args.request as { headers?: Record<string, string> } | undefined;
  if (principal && request?.headers) request.headers[LOCAL_PRINCIPAL_HEADER] = headerValueOf(principal);
  return next(args);
};

/** The header's value per role ARN: an HMAC with this process's secret, the same every time, made once. */
const headerValues = new Map<string, string>();
function headerValueOf(principal: string): string {
  let value = headerValues.get(principal);
  if (value === undefined) {
    value = principalHeaderValue(principal);
    headerValues.set(principal, value);
  }
  return value;
}

type BuildMiddleware = (
  next: (args: { request?: unknown }) => Promise<unknown>,
) => (args: { request?: unknown }) => Promise<unknown>;

interface SdkClient {
  readonly middlewareStack: object;
  readonly config?: { credentials?: unknown };
}
type Send = (this: SdkClient, ...args: unknown[]) => unknown;
/** An SDK client class (its constructor's signature does not matter here). */
export interface ClientClass {
  readonly prototype: object;
}

const PATCHED = Symbol.for('bbws.local.iam.send');
/** Middleware stacks that already carry the check (a DocumentClient shares its DynamoDBClient's stack). */
const enforcedStacks = new WeakSet<object>();

/**
 * The SDK client classes the platform uses. Each is walked up to the class that owns `send` (the SDK's shared
 * base client, `@smithy/core`'s Client), so every client class of that SDK is covered, including ones added later;
 * a client package with its own copy of the base class is found by the test that lists package.json's SDK clients.
 */
export const SDK_CLIENT_CLASSES: readonly ClientClass[] = [
  DynamoDBClient,
  DynamoDBDocumentClient,
  DynamoDBStreamsClient,
  EventBridgeClient,
  SQSClient,
  CognitoIdentityProviderClient,
  STSClient,
];

/**
 * Wraps `send` of the base class of `classes` (once per process; idempotent) so every client checks the current
 * invocation's role. Call it before handlers create clients (the local runtime does, before loading any).
 */
export function installSdkEnforcement(classes: readonly ClientClass[] = SDK_CLIENT_CLASSES): void {
  for (const owner of new Set(classes.map((c) => sendOwner(c.prototype)))) {
    if (Object.hasOwn(owner, PATCHED)) continue;
    const original = owner.send as Send;
    const send: Send = function send(this: SdkClient, ...args: unknown[]) {
      addCheck(this);
      return original.apply(this, args);
    };
    Object.defineProperty(owner, 'send', { value: send, writable: true, configurable: true });
    Object.defineProperty(owner, PATCHED, { value: original });
  }
}

/** Whether `client` (an SDK client instance or class) sends through the hook. */
export function isEnforced(client: object): boolean {
  const prototype = typeof client === 'function' ? (client as { prototype: object }).prototype : client;
  return Object.hasOwn(sendOwner(prototype), PATCHED);
}

function sendOwner(prototype: object): { send: unknown } {
  let current: object | null = prototype;
  while (current !== null && !Object.hasOwn(current, 'send')) current = Object.getPrototypeOf(current);
  if (current === null) throw new Error('not an SDK client: no send in its prototype chain');
  return current as { send: unknown };
}

function addCheck(client: SdkClient): void {
  const stack = client.middlewareStack;
  if (enforcedStacks.has(stack)) return;
  (stack as InitializeStack).add(enforce(client), {
    step: 'initialize',
    priority: 'high',
    name: INVOCATION_ROLE_MIDDLEWARE,
    tags: ['BBWS_LOCAL_IAM'],
  });
  (stack as unknown as { add(m: BuildMiddleware, o: object): void }).add(principalHeader, {
    step: 'build',
    name: 'bbwsLocalInvocationPrincipal',
    tags: ['BBWS_LOCAL_IAM'],
  });
  enforcedStacks.add(stack);
}
