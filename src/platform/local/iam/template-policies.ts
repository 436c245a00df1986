/**
 * Reads each Lambda function's execution-role policies out of a packaged CloudFormation template (as serverless v3
 * writes `.serverless/cloudformation-template-update-stack.json`), with CloudFormation intrinsics resolved to the
 * names and ARNs the stack would have in `region`/`account`.
 *
 * Followed: `AWS::Lambda::Function.Properties.Role` (`Fn::GetAtt [Role, Arn]`) -> `AWS::IAM::Role`:
 * `Policies[].PolicyDocument`, plus `AWS::IAM::Policy` / `AWS::IAM::RolePolicy` / `AWS::IAM::ManagedPolicy`
 * resources of the template attached to that role. `ManagedPolicyArns` of AWS managed policies are not in the
 * template: their documents are used when passed in `managedPolicies`, otherwise they are listed in
 * `ignoredManagedPolicyArns` (and grant nothing locally). A permissions boundary is refused rather than ignored.
 *
 * Values CloudFormation generates at deploy time (a user pool id, a KMS key id, a table without `TableName`) are
 * taken from `physicalIds` (logical id -> physical id) or the resolution throws, naming the template path.
 */
import type { PolicyDocument } from './policy.js';

export interface TemplateContext {
  readonly stage: string;
  readonly region: string;
  readonly account: string;
  readonly partition?: string;
  /** For `AWS::StackName` (serverless names stacks `<service>-<stage>`). */
  readonly stackName?: string;
  /** Parameter values. Otherwise a parameter's Default; otherwise, for a parameter named Stage or stage, `stage`. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** Physical ids CloudFormation would generate, by logical id (user pool id, KMS key id, ...). */
  readonly physicalIds?: Readonly<Record<string, string>>;
  /** Documents of managed policies (by ARN) to enforce, e.g. AWSLambdaBasicExecutionRole. */
  readonly managedPolicies?: Readonly<Record<string, PolicyDocument>>;
}

export interface FunctionPolicies {
  readonly logicalId: string;
  /** `FunctionName`, else `physicalIds[logicalId]`, else the logical id. */
  readonly functionName: string;
  readonly roleLogicalId: string;
  /** `RoleName`, else `physicalIds[roleLogicalId]`, else the role's logical id. */
  readonly roleName: string;
  readonly roleArn: string;
  readonly policies: readonly PolicyDocument[];
  /** Managed policies on the role whose documents were not given: they grant nothing locally. */
  readonly ignoredManagedPolicyArns: readonly string[];
}

export interface TemplatePolicies {
  readonly byLogicalId: Readonly<Record<string, FunctionPolicies>>;
  readonly byFunctionName: Readonly<Record<string, FunctionPolicies>>;
}

export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
}

/** Every Lambda function's execution-role policy documents, intrinsics resolved. */
export function policiesFromTemplate(template: unknown, ctx: TemplateContext): TemplatePolicies {
  const resolver = new Resolver(asTemplate(template), ctx);
  const byLogicalId: Record<string, FunctionPolicies> = {};
  const byFunctionName: Record<string, FunctionPolicies> = {};
  for (const [id, resource] of Object.entries(resolver.template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const found = functionPolicies(resolver, id, resource);
    byLogicalId[id] = found;
    byFunctionName[found.functionName] = found;
  }
  return { byLogicalId, byFunctionName };
}

/** Resolves the CloudFormation intrinsics in `value` (e.g. a policy document) against `template`. */
export function resolveIntrinsics(
  template: unknown,
  ctx: TemplateContext,
  value: unknown,
  path = '$',
): unknown {
  return new Resolver(asTemplate(template), ctx).resolve(value, path);
}

// ---------------------------------------------------------------------------------------------------------------
// Template shape

type Json = Readonly<Record<string, unknown>>;

interface Resource {
  readonly Type: string;
  readonly Properties?: Json;
}

interface Template {
  readonly Resources: Readonly<Record<string, Resource>>;
  readonly Parameters?: Readonly<Record<string, Json>>;
  readonly Mappings?: Readonly<Record<string, Readonly<Record<string, Json>>>>;
  readonly Conditions?: Json;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function asTemplate(template: unknown): Template {
  if (!isObject(template) || !isObject(template.Resources)) {
    throw new TemplateResolutionError('$.Resources: not a CloudFormation template (no Resources object)');
  }
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (!isObject(resource) || typeof resource.Type !== 'string') {
      throw new TemplateResolutionError(`Resources.${id}: a resource needs a Type`);
    }
  }
  return template as unknown as Template;
}

function own<T>(record: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

function fail(path: string, message: string): never {
  throw new TemplateResolutionError(`${path}: ${message}`);
}

// ---------------------------------------------------------------------------------------------------------------
// Functions and roles

function functionPolicies(resolver: Resolver, id: string, resource: Resource): FunctionPolicies {
  const path = `Resources.${id}.Properties`;
  const roleLogicalId = roleOf(resolver, resource.Properties?.Role, `${path}.Role`);
  const role = resolver.resource(roleLogicalId, `${path}.Role`);
  const rolePath = `Resources.${roleLogicalId}.Properties`;
  const props = role.Properties ?? {};
  if (props.PermissionsBoundary !== undefined) {
    fail(`${rolePath}.PermissionsBoundary`, 'permissions boundaries are not evaluated locally');
  }
  const roleName =
    resolver.optionalString(props.RoleName, `${rolePath}.RoleName`) ?? resolver.physical(roleLogicalId);
  const iamPath = resolver.optionalString(props.Path, `${rolePath}.Path`) ?? '/';
  const inline = inlinePolicies(resolver, props.Policies, `${rolePath}.Policies`);
  const managed = managedPolicies(resolver, props.ManagedPolicyArns, `${rolePath}.ManagedPolicyArns`);
  const attached = attachedPolicies(resolver, roleLogicalId, roleName);
  const functionName =
    resolver.optionalString(resource.Properties?.FunctionName, `${path}.FunctionName`) ??
    resolver.physical(id);
  return {
    logicalId: id,
    functionName,
    roleLogicalId,
    roleName,
    roleArn: `arn:${resolver.partition}:iam::${resolver.ctx.account}:role${iamPath}${roleName}`,
    policies: [
      ...inline,
      ...managed.documents,
      ...attached.filter((doc) => !managed.documents.includes(doc)),
    ],
    ignoredManagedPolicyArns: managed.ignored,
  };
}

function roleOf(resolver: Resolver, role: unknown, path: string): string {
  const target = getAttTarget(role);
  if (target?.[1] === 'Arn' && resolver.template.Resources[target[0]]?.Type === 'AWS::IAM::Role')
    return target[0];
  return fail(
    path,
    `expected Fn::GetAtt [<AWS::IAM::Role of this template>, Arn], got ${JSON.stringify(role)}: ` +
      "the policies of a role outside the template can't be known",
  );
}

function getAttTarget(value: unknown): [string, string] | undefined {
  if (!isObject(value) || Object.keys(value).length !== 1) return undefined;
  const arg = value['Fn::GetAtt'];
  const parts = typeof arg === 'string' ? splitOnce(arg, '.') : arg;
  if (Array.isArray(parts) && typeof parts[0] === 'string' && typeof parts[1] === 'string')
    return [parts[0], parts[1]];
  return undefined;
}

function splitOnce(text: string, separator: string): [string, string] | undefined {
  const at = text.indexOf(separator);
  return at < 0 ? undefined : [text.slice(0, at), text.slice(at + 1)];
}

function inlinePolicies(resolver: Resolver, policies: unknown, path: string): PolicyDocument[] {
  if (policies === undefined) return [];
  if (!Array.isArray(policies)) return fail(path, 'expected a list');
  return policies.map((policy, i) => {
    if (!isObject(policy)) return fail(`${path}[${i}]`, 'expected { PolicyName, PolicyDocument }');
    const name = resolver.optionalString(policy.PolicyName, `${path}[${i}].PolicyName`);
    return resolver.document(policy.PolicyDocument, `${path}[${i}].PolicyDocument`, name);
  });
}

function managedPolicies(
  resolver: Resolver,
  arns: unknown,
  path: string,
): { documents: PolicyDocument[]; ignored: string[] } {
  const documents: PolicyDocument[] = [];
  const ignored: string[] = [];
  if (arns === undefined) return { documents, ignored };
  if (!Array.isArray(arns)) return fail(path, 'expected a list');
  for (const [i, item] of arns.entries()) {
    const ref = isObject(item) && typeof item.Ref === 'string' ? item.Ref : undefined;
    if (ref !== undefined && resolver.template.Resources[ref]?.Type === 'AWS::IAM::ManagedPolicy') {
      documents.push(resolver.policyResource(ref));
      continue;
    }
    const arn = resolver.string(item, `${path}[${i}]`);
    const known = resolver.ctx.managedPolicies?.[arn];
    if (known === undefined) ignored.push(arn);
    else documents.push(known);
  }
  return { documents, ignored };
}

const ATTACHING_TYPES = new Set(['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy', 'AWS::IAM::RolePolicy']);

/** Policy resources of the template that name the role (by `Ref` or by its name). */
function attachedPolicies(resolver: Resolver, roleLogicalId: string, roleName: string): PolicyDocument[] {
  const documents: PolicyDocument[] = [];
  for (const [id, resource] of Object.entries(resolver.template.Resources)) {
    if (!ATTACHING_TYPES.has(resource.Type)) continue;
    const props = resource.Properties ?? {};
    const path = `Resources.${id}.Properties`;
    const roles = resource.Type === 'AWS::IAM::RolePolicy' ? [props.RoleName] : (props.Roles ?? []);
    if (!Array.isArray(roles)) fail(`${path}.Roles`, 'expected a list');
    const names = (roles as unknown[]).map((role, i) =>
      isObject(role) && role.Ref === roleLogicalId ? roleName : resolver.string(role, `${path}.Roles[${i}]`),
    );
    if (names.includes(roleName)) documents.push(resolver.policyResource(id));
  }
  return documents;
}

// ---------------------------------------------------------------------------------------------------------------
// Intrinsic functions

const NO_VALUE = Symbol('AWS::NoValue');
const MAX_DEPTH = 64;

type Attribute = (resolver: Resolver, id: string, path: string) => string;

interface ResourceType {
  readonly ref?: Attribute;
  readonly attributes: Readonly<Record<string, Attribute>>;
}

class Resolver {
  readonly partition: string;
  private readonly documents = new Map<string, PolicyDocument>();

  constructor(
    readonly template: Template,
    readonly ctx: TemplateContext,
  ) {
    this.partition = ctx.partition ?? 'aws';
  }

  arn(service: string, resource: string, region = this.ctx.region, account = this.ctx.account): string {
    return `arn:${this.partition}:${service}:${region}:${account}:${resource}`;
  }

  resource(id: string, path: string): Resource {
    return own(this.template.Resources, id) ?? fail(path, `no resource or parameter ${id} in the template`);
  }

  /** A generated physical id: `physicalIds[id]`, else the logical id (used for names only shown in messages). */
  physical(id: string): string {
    return this.ctx.physicalIds?.[id] ?? id;
  }

  /** A resource's name property, else its physical id from `physicalIds`; throws naming the path otherwise. */
  named(id: string, property: string, path: string): string {
    const props = this.resource(id, path).Properties ?? {};
    const name = this.optionalString(props[property], `Resources.${id}.Properties.${property}`);
    const value = name ?? this.ctx.physicalIds?.[id];
    if (value !== undefined) return value;
    return fail(
      path,
      `${id} has no ${property} (CloudFormation generates one at deploy time): pass physicalIds.${id} to resolve it`,
    );
  }

  generated(id: string, what: string, path: string): string {
    const value = this.ctx.physicalIds?.[id];
    return (
      value ?? fail(path, `the ${what} of ${id} is generated by AWS: pass physicalIds.${id} to resolve it`)
    );
  }

  document(value: unknown, path: string, name?: string): PolicyDocument {
    const resolved = this.resolve(value, path);
    if (!isObject(resolved) || resolved.Statement === undefined)
      return fail(path, 'expected a policy document');
    const document = resolved as unknown as PolicyDocument;
    return name !== undefined && document.Id === undefined ? { ...document, Id: name } : document;
  }

  /** The document of an AWS::IAM::Policy / ManagedPolicy / RolePolicy resource (the same object every time). */
  policyResource(id: string): PolicyDocument {
    const cached = this.documents.get(id);
    if (cached !== undefined) return cached;
    const props = this.resource(id, `Resources.${id}`).Properties ?? {};
    const path = `Resources.${id}.Properties`;
    const name = this.optionalString(props.PolicyName ?? props.ManagedPolicyName, `${path}.PolicyName`) ?? id;
    const document = this.document(props.PolicyDocument, `${path}.PolicyDocument`, name);
    this.documents.set(id, document);
    return document;
  }

  string(value: unknown, path: string): string {
    const resolved = this.resolve(value, path);
    if (typeof resolved === 'string') return resolved;
    return fail(path, `expected a string, got ${JSON.stringify(resolved)}`);
  }

  optionalString(value: unknown, path: string): string | undefined {
    return value === undefined ? undefined : this.string(value, path);
  }

  resolve(value: unknown, path: string, depth = 0): unknown {
    if (depth > MAX_DEPTH) return fail(path, 'intrinsic functions nest too deep (a cycle?)');
    if (Array.isArray(value)) {
      return value
        .map((item, i) => this.resolve(item, `${path}[${i}]`, depth + 1))
        .filter((v) => v !== NO_VALUE);
    }
    if (!isObject(value)) return value;
    const keys = Object.keys(value);
    const [only] = keys;
    if (keys.length === 1 && only !== undefined && (only === 'Ref' || only.startsWith('Fn::'))) {
      return this.intrinsic(only, value[only], `${path}.${only}`, depth + 1);
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      const resolved = this.resolve(item, `${path}.${key}`, depth + 1);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  private intrinsic(name: string, arg: unknown, path: string, depth: number): unknown {
    const fn = own(INTRINSICS, name);
    if (fn === undefined) return fail(path, `${name} is not supported by the local resolver`);
    return fn(this, arg, path, depth);
  }

  ref(name: string, path: string): unknown {
    if (name.startsWith('AWS::')) return this.pseudo(name, path);
    if (this.template.Parameters !== undefined && Object.hasOwn(this.template.Parameters, name)) {
      return this.parameter(name, path);
    }
    const type = this.resource(name, path).Type;
    const ref = own(RESOURCE_TYPES, type)?.ref;
    if (ref !== undefined) return ref(this, name, path);
    return this.generated(name, `Ref (${type})`, path);
  }

  getAtt(id: string, attribute: string, path: string): string {
    const type = this.resource(id, path).Type;
    const resourceType = own(RESOURCE_TYPES, type);
    const fn = resourceType === undefined ? undefined : own(resourceType.attributes, attribute);
    return (
      fn?.(this, id, path) ?? fail(path, `Fn::GetAtt ${id}.${attribute} (${type}) is not supported locally`)
    );
  }

  private pseudo(name: string, path: string): unknown {
    const values: Record<string, string | typeof NO_VALUE | undefined> = {
      'AWS::Region': this.ctx.region,
      'AWS::AccountId': this.ctx.account,
      'AWS::Partition': this.partition,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': this.ctx.stackName,
      'AWS::NoValue': NO_VALUE,
    };
    return (
      values[name] ?? fail(path, `pseudo parameter ${name} is not known locally (pass it in the context?)`)
    );
  }

  private parameter(name: string, path: string): unknown {
    const definition = this.template.Parameters?.[name] ?? {};
    const stage = name === 'Stage' || name === 'stage' ? this.ctx.stage : undefined;
    const value =
      this.ctx.parameters?.[name] ?? (definition.Default === undefined ? stage : String(definition.Default));
    if (value === undefined) return fail(path, `parameter ${name} has no value and no Default`);
    const type = typeof definition.Type === 'string' ? definition.Type : 'String';
    // List<...>, CommaDelimitedList and AWS::SSM::Parameter::Value<List<String>> (a StringList): a list of strings
    return type.startsWith('List<') || type === 'CommaDelimitedList' || type.includes('<List<')
      ? value.split(',').map((v) => v.trim())
      : value;
  }

  condition(name: string, path: string, depth: number): boolean {
    const conditions = this.template.Conditions ?? {};
    if (!Object.hasOwn(conditions, name)) return fail(path, `no condition ${name} in the template`);
    return this.truth(conditions[name], `Conditions.${name}`, depth + 1);
  }

  truth(value: unknown, path: string, depth: number): boolean {
    if (isObject(value) && typeof value.Condition === 'string')
      return this.condition(value.Condition, path, depth);
    const resolved = this.resolve(value, path, depth);
    if (typeof resolved === 'boolean') return resolved;
    return fail(path, `expected a condition, got ${JSON.stringify(resolved)}`);
  }
}

type Intrinsic = (resolver: Resolver, arg: unknown, path: string, depth: number) => unknown;

function argList(arg: unknown, length: number, path: string): unknown[] {
  if (Array.isArray(arg) && arg.length === length) return arg;
  return fail(path, `expected a list of ${length}`);
}

function stringList(resolver: Resolver, value: unknown, path: string, depth: number): string[] {
  const list = resolver.resolve(value, path, depth + 1);
  if (Array.isArray(list) && list.every((item) => typeof item === 'string')) return list as string[];
  return fail(path, `expected a list of strings, got ${JSON.stringify(list)}`);
}

const sub: Intrinsic = (resolver, arg, path) => {
  const [template, variables] = typeof arg === 'string' ? [arg, {}] : argList(arg, 2, path);
  if (typeof template !== 'string' || !isObject(variables))
    return fail(path, 'expected "text" or ["text", {vars}]');
  return template.replace(/\$\{([^}]*)\}/g, (_whole, name: string) => {
    if (name.startsWith('!')) return `\${${name.slice(1)}}`;
    if (Object.hasOwn(variables, name)) return resolver.string(variables[name], `${path}.${name}`);
    const target = name.startsWith('AWS::') ? undefined : splitOnce(name, '.');
    if (target !== undefined) return resolver.getAtt(target[0], target[1], `${path} \${${name}}`);
    const value = resolver.ref(name, `${path} \${${name}}`);
    return typeof value === 'string' ? value : fail(path, `\${${name}} is not a string`);
  });
};

const INTRINSICS: Readonly<Record<string, Intrinsic>> = {
  Ref: (resolver, arg, path) =>
    typeof arg === 'string' ? resolver.ref(arg, path) : fail(path, 'expected a name'),
  'Fn::GetAtt': (resolver, arg, path) => {
    const target = getAttTarget({ 'Fn::GetAtt': arg });
    return target
      ? resolver.getAtt(target[0], target[1], path)
      : fail(path, 'expected [LogicalId, Attribute]');
  },
  'Fn::Join': (resolver, arg, path, depth) => {
    const [delimiter, list] = argList(arg, 2, path);
    if (typeof delimiter !== 'string') return fail(path, 'the delimiter must be a string');
    return stringList(resolver, list, `${path}[1]`, depth).join(delimiter);
  },
  'Fn::Sub': sub,
  'Fn::Select': (resolver, arg, path, depth) => {
    const [index, list] = argList(arg, 2, path);
    const items = stringList(resolver, list, `${path}[1]`, depth);
    const at = Number(resolver.resolve(index, `${path}[0]`, depth + 1));
    return items[at] ?? fail(path, `index ${at} is out of range`);
  },
  'Fn::Split': (resolver, arg, path) => {
    const [delimiter, text] = argList(arg, 2, path);
    if (typeof delimiter !== 'string') return fail(path, 'the delimiter must be a string');
    return resolver.string(text, `${path}[1]`).split(delimiter);
  },
  'Fn::FindInMap': (resolver, arg, path) => {
    const [map, top, second] = argList(arg, 3, path).map((v, i) => resolver.string(v, `${path}[${i}]`));
    const value = resolver.template.Mappings?.[map ?? '']?.[top ?? '']?.[second ?? ''];
    return value ?? fail(path, `no mapping ${map}.${top}.${second}`);
  },
  'Fn::If': (resolver, arg, path, depth) => {
    const [name, whenTrue, whenFalse] = argList(arg, 3, path);
    if (typeof name !== 'string') return fail(path, 'expected a condition name');
    const chosen = resolver.condition(name, path, depth) ? whenTrue : whenFalse;
    return resolver.resolve(chosen, path, depth + 1);
  },
  'Fn::Equals': (resolver, arg, path, depth) => {
    const [a, b] = argList(arg, 2, path).map((v, i) => resolver.resolve(v, `${path}[${i}]`, depth + 1));
    return JSON.stringify(a) === JSON.stringify(b);
  },
  'Fn::Not': (resolver, arg, path, depth) => !resolver.truth(argList(arg, 1, path)[0], path, depth),
  'Fn::And': (resolver, arg, path, depth) =>
    Array.isArray(arg)
      ? arg.every((c, i) => resolver.truth(c, `${path}[${i}]`, depth))
      : fail(path, 'expected a list'),
  'Fn::Or': (resolver, arg, path, depth) =>
    Array.isArray(arg)
      ? arg.some((c, i) => resolver.truth(c, `${path}[${i}]`, depth))
      : fail(path, 'expected a list'),
};

// ---------------------------------------------------------------------------------------------------------------
// Resource types: what Ref and Fn::GetAtt return

const tableName: Attribute = (r, id, path) => r.named(id, 'TableName', path);
const queueName: Attribute = (r, id, path) => r.named(id, 'QueueName', path);
const busName: Attribute = (r, id, path) => r.named(id, 'Name', path);
const poolId: Attribute = (r, id, path) => r.generated(id, 'user pool id', path);
const keyId: Attribute = (r, id, path) => r.generated(id, 'key id', path);
const roleName: Attribute = (r, id, path) => r.named(id, 'RoleName', path);
const functionName: Attribute = (r, id, path) => r.named(id, 'FunctionName', path);
const clusterName: Attribute = (r, id, path) => r.named(id, 'ClusterName', path);
const logGroupName: Attribute = (r, id, path) => r.named(id, 'LogGroupName', path);
const topicName: Attribute = (r, id, path) => r.named(id, 'TopicName', path);
const bucketName: Attribute = (r, id, path) => r.named(id, 'BucketName', path);

/** A secret's ARN ends in `-` and six random characters: as a policy resource, `<name>-??????` matches it. */
const secretArn: Attribute = (r, id, path) =>
  r.ctx.physicalIds?.[id] ?? r.arn('secretsmanager', `secret:${r.named(id, 'Name', path)}-??????`);

const managedPolicyArn: Attribute = (r, id, path) => {
  const props = r.resource(id, path).Properties ?? {};
  const iamPath = r.optionalString(props.Path, `Resources.${id}.Properties.Path`) ?? '/';
  return `arn:${r.partition}:iam::${r.ctx.account}:policy${iamPath}${r.named(id, 'ManagedPolicyName', path)}`;
};

const ecsServiceArn: Attribute = (r, id, path) => {
  const props = r.resource(id, path).Properties ?? {};
  const cluster =
    props.Cluster === undefined ? 'default' : r.string(props.Cluster, `Resources.${id}.Properties.Cluster`);
  const name = r.named(id, 'ServiceName', path);
  return r.arn('ecs', `service/${cluster.split('/').pop()}/${name}`);
};

const tableType: ResourceType = {
  ref: tableName,
  attributes: {
    Arn: (r, id, path) => r.arn('dynamodb', `table/${tableName(r, id, path)}`),
    // The stream label is a timestamp chosen at deploy time: any stream of the table.
    StreamArn: (r, id, path) => r.arn('dynamodb', `table/${tableName(r, id, path)}/stream/*`),
  },
};

const RESOURCE_TYPES: Readonly<Record<string, ResourceType>> = {
  'AWS::DynamoDB::Table': tableType,
  'AWS::DynamoDB::GlobalTable': tableType,
  'AWS::SQS::Queue': {
    ref: (r, id, path) =>
      `https://sqs.${r.ctx.region}.amazonaws.com/${r.ctx.account}/${queueName(r, id, path)}`,
    attributes: {
      Arn: (r, id, path) => r.arn('sqs', queueName(r, id, path)),
      QueueName: queueName,
      QueueUrl: (r, id, path) =>
        `https://sqs.${r.ctx.region}.amazonaws.com/${r.ctx.account}/${queueName(r, id, path)}`,
    },
  },
  'AWS::Events::EventBus': {
    ref: busName,
    attributes: { Arn: (r, id, path) => r.arn('events', `event-bus/${busName(r, id, path)}`), Name: busName },
  },
  'AWS::Cognito::UserPool': {
    ref: poolId,
    attributes: {
      Arn: (r, id, path) => r.arn('cognito-idp', `userpool/${poolId(r, id, path)}`),
      UserPoolId: poolId,
      ProviderName: (r, id, path) => `cognito-idp.${r.ctx.region}.amazonaws.com/${poolId(r, id, path)}`,
      ProviderURL: (r, id, path) =>
        `https://cognito-idp.${r.ctx.region}.amazonaws.com/${poolId(r, id, path)}`,
    },
  },
  'AWS::KMS::Key': {
    ref: keyId,
    attributes: { Arn: (r, id, path) => r.arn('kms', `key/${keyId(r, id, path)}`), KeyId: keyId },
  },
  'AWS::KMS::Alias': { ref: (r, id, path) => r.named(id, 'AliasName', path), attributes: {} },
  'AWS::SecretsManager::Secret': { ref: secretArn, attributes: { Id: secretArn } },
  'AWS::IAM::Role': {
    ref: roleName,
    attributes: {
      Arn: (r, id, path) => {
        const props = r.resource(id, path).Properties ?? {};
        const iamPath = r.optionalString(props.Path, `Resources.${id}.Properties.Path`) ?? '/';
        return `arn:${r.partition}:iam::${r.ctx.account}:role${iamPath}${roleName(r, id, path)}`;
      },
    },
  },
  'AWS::IAM::ManagedPolicy': { ref: managedPolicyArn, attributes: { PolicyArn: managedPolicyArn } },
  'AWS::Lambda::Function': {
    ref: functionName,
    attributes: { Arn: (r, id, path) => r.arn('lambda', `function:${functionName(r, id, path)}`) },
  },
  'AWS::ECS::Cluster': {
    ref: clusterName,
    attributes: { Arn: (r, id, path) => r.arn('ecs', `cluster/${clusterName(r, id, path)}`) },
  },
  'AWS::ECS::Service': {
    ref: ecsServiceArn,
    attributes: { ServiceArn: ecsServiceArn, Name: (r, id, path) => r.named(id, 'ServiceName', path) },
  },
  'AWS::Logs::LogGroup': {
    ref: logGroupName,
    attributes: { Arn: (r, id, path) => r.arn('logs', `log-group:${logGroupName(r, id, path)}:*`) },
  },
  'AWS::SNS::Topic': {
    ref: (r, id, path) => r.arn('sns', topicName(r, id, path)),
    attributes: { TopicArn: (r, id, path) => r.arn('sns', topicName(r, id, path)), TopicName: topicName },
  },
  'AWS::S3::Bucket': {
    ref: bucketName,
    attributes: { Arn: (r, id, path) => `arn:${r.partition}:s3:::${bucketName(r, id, path)}` },
  },
};
