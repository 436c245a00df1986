/**
 * Enforces a Lambda function's IAM policies on an AWS SDK v3 client, locally: an `initialize`-step middleware of
 * high priority maps each command to its IAM requests (sdk-actions.ts), evaluates them (policy.ts) and throws an
 * AccessDeniedException shaped like AWS's before anything is serialized or sent.
 *
 * The SDK puts `clientName` (`DynamoDBClient`) and `commandName` (`PutItemCommand`) in the handler execution
 * context (checked in @smithy/core's Command.resolveMiddlewareWithContext). A DynamoDBDocumentClient
 * (@aws-sdk/lib-dynamodb) shares the middleware stack of the DynamoDBClient it wraps and sends the plain DynamoDB
 * command (`PutCommand` runs as `PutItemCommand`), marshalling only later, before the serializer: enforcing either
 * client enforces both, and the middleware sees the native input with its TableName.
 */
import {
  type Decision,
  evaluate,
  type PolicyDocument,
  type RequestContext,
  type StatementRef,
} from './policy.js';
import { type IamRequest, requestsOf, type SdkContext } from './sdk-actions.js';

export interface IamIdentity extends SdkContext {
  /** The execution role's name (as in `arn:aws:iam::<account>:role/<path><name>`). */
  readonly roleName: string;
  /** The function's name: the role session name in the assumed-role ARN. */
  readonly functionName: string;
  /** The role ARN when its path is not `/` (defaults to `arn:aws:iam::<account>:role/<roleName>`). */
  readonly roleArn?: string;
}

export interface IamDecision {
  readonly functionName: string;
  readonly principal: string;
  readonly client: string;
  readonly command: string;
  readonly action: string;
  readonly resource: string;
  readonly allowed: boolean;
  readonly decidedBy: Decision['decidedBy'];
  readonly reason: string;
  /** The Allow statements that matched (empty when denied). */
  readonly allowedBy: readonly StatementRef[];
}

/** Checks one SDK command (client and command name as the SDK names them, native input) or throws. */
export type CommandCheck = (clientName: string, commandName: string, input: unknown) => void;

/** The error AWS answers with, as the SDK would raise it. */
export class AccessDeniedException extends Error {
  override readonly name = 'AccessDeniedException';
  readonly $fault = 'client';
  readonly $metadata = { httpStatusCode: 400 };

  constructor(readonly decision: IamDecision) {
    const why =
      decision.decidedBy === 'explicit-deny'
        ? 'with an explicit deny in an identity-based policy'
        : `because no identity-based policy allows the ${decision.action} action`;
    super(
      `User: ${decision.principal} is not authorized to perform: ${decision.action} on resource: ` +
        `${decision.resource} ${why}`,
    );
  }
}

export const IAM_MIDDLEWARE_NAME = 'bbwsLocalIamEnforcement';

export interface HandlerContext {
  readonly clientName?: string;
  readonly commandName?: string;
}

type Handler = (args: { readonly input?: unknown }) => Promise<unknown>;
export type InitializeMiddleware = (next: Handler, context: HandlerContext) => Handler;

/** The part of an SDK v3 client (any service, or a DynamoDBDocumentClient) this module uses. */
export interface ClientWithMiddleware {
  // `never`: any client's overloaded, generically typed `add` fits; the call below uses the initialize overload.
  readonly middlewareStack: { add(middleware: never, options: never): void; remove(name: string): boolean };
}

export interface InitializeStack {
  add(
    middleware: InitializeMiddleware,
    options: { step: 'initialize'; priority: 'high'; name: string; tags: string[] },
  ): void;
}

/**
 * Adds the enforcement middleware to `client`; returns a function that removes it. A client (with the
 * DocumentClient wrapping it) can carry one function's policies only: enforcing it twice throws.
 */
export function enforceIam(
  client: ClientWithMiddleware,
  policies: readonly PolicyDocument[],
  identity: IamIdentity,
  onDecision?: (decision: IamDecision) => void,
): () => void {
  const check = commandChecker(policies, identity, onDecision);
  const middleware: InitializeMiddleware = (next, context) => async (args) => {
    check(context.clientName ?? NO_CLIENT, context.commandName ?? NO_COMMAND, args.input);
    return next(args);
  };
  try {
    (client.middlewareStack as unknown as InitializeStack).add(middleware, {
      step: 'initialize',
      priority: 'high',
      name: IAM_MIDDLEWARE_NAME,
      tags: ['BBWS_LOCAL_IAM'],
    });
  } catch (error) {
    throw new Error(
      `enforceIam(${identity.functionName}): this client already enforces IAM policies (a DocumentClient shares ` +
        'the middleware stack of the DynamoDBClient it wraps): give each function its own client',
      { cause: error },
    );
  }
  return () => {
    client.middlewareStack.remove(IAM_MIDDLEWARE_NAME);
  };
}

export const NO_CLIENT = '(no clientName in the SDK context)';
export const NO_COMMAND = '(no commandName in the SDK context)';

/**
 * What {@link enforceIam} runs for each command: every IAM request the command makes is evaluated (and reported to
 * `onDecision`); the first denied one throws an {@link AccessDeniedException}. Unmapped commands throw too.
 */
export function commandChecker(
  policies: readonly PolicyDocument[],
  identity: IamIdentity,
  onDecision?: (decision: IamDecision) => void,
): CommandCheck {
  const principal = `arn:${identity.partition ?? 'aws'}:sts::${identity.account}:assumed-role/${identity.roleName}/${identity.functionName}`;
  const globalContext = globalKeys(identity);
  // The decision is a function of the (unchanging) policies, the action, the resource and the request's context
  // (the global keys are the identity's, `aws:ResourceAccount` the resource's): evaluated once per distinct
  // request, then remembered. Every decision is still reported to `onDecision`, as often as it is made.
  const decisions = new Map<string, Decision>();
  const decide = (request: IamRequest): Decision => {
    const key = decisionKey(request);
    let decision = decisions.get(key);
    if (decision === undefined) {
      const context = { ...globalContext, ...resourceKeys(request.resource), ...request.context };
      const evaluated = evaluate(policies, request.action, request.resource, context);
      // shared by every report of the request from now on: nobody may change it
      decision = Object.freeze({ ...evaluated, allowedBy: Object.freeze([...evaluated.allowedBy]) });
      if (decisions.size >= MAX_REMEMBERED_DECISIONS) decisions.clear();
      decisions.set(key, decision);
    }
    return decision;
  };
  return (clientName, commandName, rawInput) => {
    const input = inputOf(rawInput);
    let denied: IamDecision | undefined;
    for (const request of requestsOf(clientName, commandName, input, identity)) {
      const decision = decide(request);
      const recorded: IamDecision = {
        functionName: identity.functionName,
        principal,
        client: clientName,
        command: commandName,
        action: request.action,
        resource: request.resource,
        allowed: decision.allowed,
        decidedBy: decision.decidedBy,
        reason: decision.reason,
        allowedBy: decision.allowedBy,
      };
      onDecision?.(recorded);
      denied ??= decision.allowed ? undefined : recorded;
    }
    if (denied !== undefined) throw new AccessDeniedException(denied);
  };
}

/** Distinct requests remembered per checker (a bound, never reached by the runtime's few tables, keys and queues). */
const MAX_REMEMBERED_DECISIONS = 10_000;

/**
 * What decides a request besides the policies: action, resource and the request's own condition keys, in order,
 * a key known to be absent (`undefined`) told apart from a missing one.
 */
function decisionKey(request: IamRequest): string {
  const context =
    request.context === undefined
      ? ''
      : JSON.stringify(Object.entries(request.context).map(([k, v]) => (v === undefined ? [k] : [k, v])));
  return `${request.action}\u0000${request.resource}\u0000${context}`;
}

function inputOf(input: unknown): Record<string, unknown> {
  return typeof input === 'object' && input !== null ? (input as Record<string, unknown>) : {};
}

/** Global condition keys known for every request of the function. */
function globalKeys(identity: IamIdentity): RequestContext {
  return {
    'aws:RequestedRegion': identity.region,
    'aws:PrincipalAccount': identity.account,
    'aws:PrincipalArn':
      identity.roleArn ??
      `arn:${identity.partition ?? 'aws'}:iam::${identity.account}:role/${identity.roleName}`,
    'aws:PrincipalType': 'AssumedRole',
    'aws:SecureTransport': 'true',
  };
}

/** `aws:ResourceAccount` when the resource is an ARN that names an account. */
function resourceKeys(resource: string): RequestContext {
  const account = resource.startsWith('arn:') ? resource.split(':')[4] : undefined;
  return account ? { 'aws:ResourceAccount': account } : {};
}
