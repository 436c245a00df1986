import type { CloudFormationTemplate } from './iam/packaged-template.js';

/**
 * Which other accounts may put events on each of this account's buses, by the buses' resource policies in the
 * packaged template (`AWS::Events::EventBusPolicy`: a `Statement` allowing `events:PutEvents` to principals that
 * are accounts). In AWS an event another account's rule forwards here is refused unless the bus's policy allows
 * that account (the sender's rule counts a failed invocation; nothing arrives); the local EventBridge refuses it
 * the same way (eventbridge-server.ts). Template parameters are resolved with `parameters` (what AWS reads from
 * SSM at deploy time: the local runtime's LOCAL_TEMPLATE_PARAMETERS). A policy of a shape read here wrongly
 * would allow or refuse the wrong account silently: any other shape is refused with an error naming it.
 */
export function busPutters(
  template: CloudFormationTemplate,
  parameters: Readonly<Record<string, string>>,
): Map<string, Set<string>> {
  const allowed = new Map<string, Set<string>>();
  const statementIds = new Set<string>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Events::EventBusPolicy') continue;
    const where = `${id} (AWS::Events::EventBusPolicy)`;
    // created or not as a condition says: not read locally
    if (resource.Condition !== undefined)
      throw new Error(`${where}: a conditional policy is not read locally`);
    const props = (resource.Properties ?? {}) as Record<string, unknown>;
    const bus = props.EventBusName ?? 'default';
    if (typeof bus !== 'string') throw new Error(`${where}: EventBusName must be a name locally`);
    // CloudFormation names the policy by its StatementId (one per account and region): a second one fails
    const sid = props.StatementId;
    if (typeof sid !== 'string' || statementIds.has(sid))
      throw new Error(`${where}: StatementId must be a name no other policy of the template has`);
    statementIds.add(sid);
    const statement = putStatement(props, where);
    onBus(statement.Resource, bus, where);
    const principal = statement.Principal as { AWS?: unknown } | undefined;
    const accounts = [principal?.AWS]
      .flat()
      .flatMap((value) => resolveList(value, template, parameters, where))
      .map((value) => accountOf(value, where));
    const set = allowed.get(bus) ?? new Set<string>();
    for (const account of accounts) set.add(account);
    allowed.set(bus, set);
  }
  return allowed;
}

/** The policy's one statement, if it is an unconditional Allow of events:PutEvents (else an error naming it). */
function putStatement(props: Record<string, unknown>, where: string): Record<string, unknown> {
  const statement = props.Statement as Record<string, unknown> | undefined;
  if (!statement || props.Policy !== undefined)
    throw new Error(`${where}: only a single Statement is read locally`);
  const actions = [statement.Action].flat();
  if (
    statement.Effect !== 'Allow' ||
    !actions.includes('events:PutEvents') ||
    statement.Condition !== undefined
  )
    throw new Error(`${where}: only an unconditional Allow of events:PutEvents is read locally`);
  return statement;
}

/**
 * The statement's Resource, if given, must be the policy's own bus (`arn:${AWS::Partition}:events:${AWS::Region}:
 * ${AWS::AccountId}:event-bus/<EventBusName>`, as an Fn::Sub or literal): EventBridge refuses any other.
 */
function onBus(resource: unknown, bus: string, where: string): void {
  if (resource === undefined) return;
  const text = typeof resource === 'string' ? resource : (resource as { 'Fn::Sub'?: unknown })['Fn::Sub'];
  if (
    typeof text !== 'string' ||
    !new RegExp(`^arn:${SEGMENT}:events:${SEGMENT}:${SEGMENT}:event-bus/${literal(bus)}$`).test(text)
  )
    throw new Error(`${where}: the statement's Resource must be the bus ${bus} itself`);
}

/** One part of an ARN: text without a colon, or an Fn::Sub placeholder (`${AWS::Region}`). */
const SEGMENT = '(?:\\$\\{[^}]+\\}|[^:$]+)';
const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Parameter types whose `Ref` is a list (its items comma-separated in the local value). */
const LIST_TYPE = /^(CommaDelimitedList|List<.+>|AWS::SSM::Parameter::Value<List<.+>>)$/;

/** A principal's value: a literal, or a `Ref` to a parameter (a list parameter's items comma-separated). */
function resolveList(
  value: unknown,
  template: CloudFormationTemplate,
  parameters: Readonly<Record<string, string>>,
  where: string,
): string[] {
  if (typeof value === 'string') return [value];
  const ref = (value as { Ref?: unknown } | undefined)?.Ref;
  if (typeof ref === 'string') {
    const resolved = parameters[ref];
    if (resolved === undefined) throw new Error(`${where}: the parameter ${ref} has no local value`);
    const type = (template.Parameters as Record<string, { Type?: unknown }> | undefined)?.[ref]?.Type;
    return typeof type === 'string' && LIST_TYPE.test(type) ? resolved.split(',') : [resolved];
  }
  throw new Error(`${where}: a principal of AWS accounts (ids, root ARNs or a Ref to a list parameter) only`);
}

/** An account id, from the id itself or its root ARN (`arn:aws:iam::<id>:root`). */
function accountOf(value: string, where: string): string {
  const account = /^(\d{12})$/.exec(value)?.[1] ?? /^arn:aws:iam::(\d{12}):root$/.exec(value)?.[1];
  if (!account) throw new Error(`${where}: "${value}" is not an account principal`);
  return account;
}
