// Values CloudFormation refuses at deploy time that the resource model (cfn-validate.ts) cannot see: the resource
// attributes' policies, and the enums and cross-property rules of the resource types this stack deploys. Not every
// enum of AWS: the properties our templates set, each with the values AWS documents for it, so a misspelling
// fails `npm test` instead of a deployment (review of issue 8, item 4).

type Json = Record<string, unknown>;

/** DeletionPolicy and UpdateReplacePolicy (RetainExceptOnCreate: DeletionPolicy only). */
const DELETION_POLICIES = ['Delete', 'Retain', 'RetainExceptOnCreate', 'Snapshot'];
const UPDATE_REPLACE_POLICIES = ['Delete', 'Retain', 'Snapshot'];

/** Per resource type, a property path and the values AWS accepts there. */
const ENUMS: Record<string, [path: string[], values: string[]][]> = {
  'AWS::DynamoDB::Table': [
    [['BillingMode'], ['PROVISIONED', 'PAY_PER_REQUEST']],
    [
      ['StreamSpecification', 'StreamViewType'],
      ['KEYS_ONLY', 'NEW_IMAGE', 'OLD_IMAGE', 'NEW_AND_OLD_IMAGES'],
    ],
    [['TableClass'], ['STANDARD', 'STANDARD_INFREQUENT_ACCESS']],
  ],
  // the Node.js runtimes Lambda supports for new functions (nodejs16.x and older can no longer be created)
  'AWS::Lambda::Function': [[['Runtime'], ['nodejs18.x', 'nodejs20.x', 'nodejs22.x']]],
  'AWS::Events::Rule': [
    [['State'], ['ENABLED', 'DISABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS']],
  ],
  'AWS::Cognito::UserPool': [
    [['MfaConfiguration'], ['OFF', 'ON', 'OPTIONAL']],
    [['DeletionProtection'], ['ACTIVE', 'INACTIVE']],
    [
      ['VerificationMessageTemplate', 'DefaultEmailOption'],
      ['CONFIRM_WITH_CODE', 'CONFIRM_WITH_LINK'],
    ],
  ],
};

/** Per resource type, a property path holding a list of strings and the values AWS accepts in it. */
const LIST_ENUMS: Record<string, [path: string[], values: string[]][]> = {
  'AWS::Cognito::UserPool': [
    [['AutoVerifiedAttributes'], ['email', 'phone_number']],
    [
      ['UserAttributeUpdateSettings', 'AttributesRequireVerificationBeforeUpdate'],
      ['email', 'phone_number'],
    ],
    [['UsernameAttributes'], ['email', 'phone_number']],
  ],
};

const at = (value: unknown, path: readonly string[]): unknown =>
  path.reduce<unknown>(
    (v, key) => (typeof v === 'object' && v !== null ? (v as Json)[key] : undefined),
    value,
  );

/** Only literal strings are checked: an intrinsic (Ref, Fn::If ...) is CloudFormation's to resolve. */
function enumProblems(type: string, properties: unknown): string[] {
  return (ENUMS[type] ?? []).flatMap(([path, values]) => {
    const value = at(properties, path);
    return typeof value !== 'string' || values.includes(value)
      ? []
      : [`Properties.${path.join('.')} is "${value}", not one of ${values.join(', ')}`];
  });
}

/** Literal strings of a list that are not among the values AWS accepts there. */
function listEnumProblems(type: string, properties: unknown): string[] {
  return (LIST_ENUMS[type] ?? []).flatMap(([path, values]) => {
    const list = at(properties, path);
    if (!Array.isArray(list)) return [];
    return list
      .filter((value): value is string => typeof value === 'string' && !values.includes(value))
      .map((value) => `Properties.${path.join('.')} holds "${value}", not one of ${values.join(', ')}`);
  });
}

/**
 * Cognito: an attribute whose update waits for its verification must be one Cognito verifies (in
 * AutoVerifiedAttributes), and an account is recovered only by a recovery mechanism Cognito has.
 */
function userPoolProblems(type: string, properties: unknown): string[] {
  if (type !== 'AWS::Cognito::UserPool') return [];
  const strings = (path: string[]): string[] | undefined => {
    const value = at(properties, path);
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : undefined;
  };
  const verified = strings(['AutoVerifiedAttributes']) ?? [];
  const pending = strings(['UserAttributeUpdateSettings', 'AttributesRequireVerificationBeforeUpdate']) ?? [];
  const unverified = pending
    .filter((attribute) => !verified.includes(attribute))
    .map(
      (attribute) =>
        `Properties.UserAttributeUpdateSettings.AttributesRequireVerificationBeforeUpdate holds "${attribute}", which AutoVerifiedAttributes does not`,
    );
  const mechanisms = at(properties, ['AccountRecoverySetting', 'RecoveryMechanisms']);
  const names = ['verified_email', 'verified_phone_number', 'admin_only'];
  const unknown = (Array.isArray(mechanisms) ? mechanisms : [])
    .map((mechanism) => at(mechanism, ['Name']))
    .filter((name): name is string => typeof name === 'string' && !names.includes(name))
    .map(
      (name) =>
        `Properties.AccountRecoverySetting.RecoveryMechanisms holds "${name}", not one of ${names.join(', ')}`,
    );
  return [...unverified, ...unknown];
}

/** SQS: a FIFO queue's name ends in .fifo, and only a FIFO queue's does. */
function queueProblems(type: string, properties: unknown): string[] {
  const name = at(properties, ['QueueName']);
  if (type !== 'AWS::SQS::Queue' || typeof name !== 'string') return [];
  const fifo = at(properties, ['FifoQueue']) === true || at(properties, ['FifoQueue']) === 'true';
  if (fifo === name.endsWith('.fifo')) return [];
  return [`Properties.QueueName "${name}" ${fifo ? 'must' : 'must not'} end in .fifo (FifoQueue is ${fifo})`];
}

/** One sentence per value of `resource` (logical id `id`) that CloudFormation would refuse. */
export function valueProblems(id: string, resource: Json): string[] {
  const type = String(resource.Type);
  const problems = [
    ...enumProblems(type, resource.Properties),
    ...listEnumProblems(type, resource.Properties),
    ...userPoolProblems(type, resource.Properties),
    ...queueProblems(type, resource.Properties),
  ];
  for (const [attribute, allowed] of [
    ['DeletionPolicy', DELETION_POLICIES],
    ['UpdateReplacePolicy', UPDATE_REPLACE_POLICIES],
  ] as const) {
    const value = resource[attribute];
    if (value !== undefined && !(typeof value === 'string' && allowed.includes(value)))
      problems.push(`${attribute} is ${JSON.stringify(value)}, not one of ${allowed.join(', ')}`);
  }
  return problems.map((problem) => `Resource ${id} (${type}): ${problem}.`);
}
