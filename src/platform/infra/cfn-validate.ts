// Validates a CloudFormation template against the resource model AWS CDK generates its L1 constructs from
// (@aws-cdk/aws-service-spec): resource types, property names and types (nested property types too), required
// properties, and every reference (Ref, Fn::GetAtt, Fn::Sub variables, DependsOn, conditions, mappings).
// `serverless package` checks none of this; CloudFormation would only find it at deploy time, one error per
// failed deployment. Values: the resource policies and the enums and rules of the types this stack deploys
// (cfn-values.ts); other enums, patterns, lengths and cross-property rules are not in scope.
import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec';
import type { PropertyType, Resource, ResourceProperties, TypeDefinition } from '@aws-cdk/service-spec-types';
import { valueProblems } from './cfn-values.js';

type Json = Record<string, unknown>;
type Path = readonly (string | number)[];
interface Finding {
  readonly path: Path;
  readonly message: string;
}
type Report = (finding: Finding) => void;

interface SpecModel {
  resource(cloudFormationType: string): Resource | undefined;
  typeDefinition(id: string): TypeDefinition | undefined;
}

const PSEUDO_PARAMETERS = new Set([
  'AWS::AccountId',
  'AWS::Region',
  'AWS::Partition',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::URLSuffix',
  'AWS::NoValue',
  'AWS::NotificationARNs',
]);

const INTRINSICS = new Set([
  'Ref',
  'Fn::GetAtt',
  'Fn::Join',
  'Fn::Sub',
  'Fn::If',
  'Fn::Select',
  'Fn::Split',
  'Fn::ImportValue',
  'Fn::FindInMap',
  'Fn::Base64',
  'Fn::GetAZs',
  'Fn::Cidr',
  'Fn::Equals',
  'Fn::Not',
  'Fn::And',
  'Fn::Or',
  'Condition',
]);

// What an intrinsic evaluates to, where that is certain: enough to catch a Join where a list is expected.
const STRING_RESULTS = new Set(['Fn::Join', 'Fn::Sub', 'Fn::Base64']);
const LIST_RESULTS = new Set(['Fn::Split', 'Fn::GetAZs', 'Fn::Cidr']);

const RESOURCE_ATTRIBUTES = new Set([
  'Type',
  'Properties',
  'DependsOn',
  'Condition',
  'Metadata',
  'DeletionPolicy',
  'UpdateReplacePolicy',
  'UpdatePolicy',
  'CreationPolicy',
]);

// The db models tags as a built-in `tag` type rather than a property type.
const TAG_PROPERTIES: ResourceProperties = {
  Key: { type: { type: 'string' }, required: true },
  Value: { type: { type: 'string' }, required: true },
};

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const own = (record: object, key: string): boolean => Object.hasOwn(record, key);

/** The function name and argument when `value` is an intrinsic function call, e.g. `{ Ref: 'Table' }`. */
function intrinsicOf(value: unknown): [string, unknown] | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  const name = keys[0];
  if (keys.length !== 1 || name === undefined || !INTRINSICS.has(name)) return undefined;
  // `Condition` is also an ordinary property name (IAM statements, EventBusPolicy); only a string is a call.
  if (name === 'Condition' && typeof value[name] !== 'string') return undefined;
  return [name, value[name]];
}

const isCustomType = (type: string): boolean =>
  type.startsWith('Custom::') || type === 'AWS::CloudFormation::CustomResource';

// ---------------------------------------------------------------------------------------------------------
// The resource model, loaded once per process: the gzipped db takes a few hundred milliseconds to parse.

let model: Promise<SpecModel> | undefined;

function loadModel(): Promise<SpecModel> {
  model ??= loadAwsServiceSpec().then(
    (db) => {
      const resources = new Map(db.all('resource').map((r) => [r.cloudFormationType, r]));
      const definitions = new Map(db.all('typeDefinition').map((d) => [d.$id, d]));
      return {
        resource: (type) => resources.get(type),
        typeDefinition: (id) => definitions.get(id),
      };
    },
    (error: unknown) => {
      model = undefined; // let a later call retry rather than cache the failure
      throw error;
    },
  );
  return model;
}

// ---------------------------------------------------------------------------------------------------------
// Messages

function formatPath(path: Path): string {
  return path
    .map((segment, i) => (typeof segment === 'number' ? `[${segment}]` : i ? `.${segment}` : segment))
    .join('');
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value} (${JSON.stringify(value)})`;
}

const DESCRIPTIONS: Record<string, [singular: string, plural: string]> = {
  string: ['a string', 'strings'],
  number: ['a number', 'numbers'],
  integer: ['an integer', 'integers'],
  boolean: ['a boolean', 'booleans'],
  json: ['a JSON object or string', 'JSON objects or strings'],
  'date-time': ['a date-time string', 'date-time strings'],
  null: ['null', 'nulls'],
  tag: ['a tag ({ Key, Value })', 'tags ({ Key, Value })'],
};

/** "a list of GlobalSecondaryIndex objects", or with `many` the plural ("lists of ..."). */
function describeType(type: PropertyType, model: SpecModel, many = false): string {
  const pick = ([singular, plural]: [string, string]) => (many ? plural : singular);
  switch (type.type) {
    case 'array':
      return `${pick(['a list', 'lists'])} of ${describeType(type.element, model, true)}`;
    case 'map':
      return `${pick(['a map', 'maps'])} of ${describeType(type.element, model, true)}`;
    case 'ref': {
      const name = model.typeDefinition(type.reference.$ref)?.name ?? 'property type';
      return pick([`a ${name} object`, `${name} objects`]);
    }
    case 'union':
      return type.types.map((t) => describeType(t, model, many)).join(' or ');
    default:
      return pick(DESCRIPTIONS[type.type] ?? ['a value', 'values']);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Shapes: property names, value types and required properties, against the current type of each property
// (`type`; the db's `previousTypes` only keep CDK's generated classes backwards compatible, CloudFormation
// validates against the current schema).

interface ShapeContext {
  readonly model: SpecModel;
  readonly resourceType: string;
  readonly report: Report;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

// CloudFormation converts scalars to the declared primitive type, so numbers may be numeric strings, booleans
// may be "true"/"false", and strings may be given as numbers or booleans.
const PRIMITIVES: Record<string, (value: unknown) => boolean> = {
  string: (v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean',
  'date-time': (v) => typeof v === 'string',
  number: (v) => (typeof v === 'number' && Number.isFinite(v)) || (typeof v === 'string' && NUMBER.test(v)),
  integer: (v) => Number.isInteger(v) || (typeof v === 'string' && INTEGER.test(v)),
  boolean: (v) => typeof v === 'boolean' || v === 'true' || v === 'false',
  json: (v) => isObject(v) || typeof v === 'string',
  null: (v) => v === null,
};

function mismatch(ctx: ShapeContext, value: unknown, type: PropertyType, path: Path): void {
  ctx.report({
    path,
    message: `must be ${describeType(type, ctx.model)}, but is ${describeValue(value)}`,
  });
}

function checkValue(ctx: ShapeContext, value: unknown, type: PropertyType, path: Path): void {
  const intrinsic = intrinsicOf(value);
  const primitive = PRIMITIVES[type.type];
  if (intrinsic) checkIntrinsicResult(ctx, intrinsic, type, path);
  else if (!primitive) checkStructure(ctx, value, type, path);
  else if (!primitive(value)) mismatch(ctx, value, type, path);
}

function checkStructure(ctx: ShapeContext, value: unknown, type: PropertyType, path: Path): void {
  switch (type.type) {
    case 'array':
      if (Array.isArray(value)) checkElements(ctx, value.entries(), type.element, path);
      else mismatch(ctx, value, type, path);
      break;
    case 'map':
      if (isObject(value)) checkElements(ctx, Object.entries(value), type.element, path);
      else mismatch(ctx, value, type, path);
      break;
    case 'tag':
      if (isObject(value)) checkProperties(ctx, value, TAG_PROPERTIES, 'Tag', path);
      else mismatch(ctx, value, type, path);
      break;
    case 'ref':
      checkDefinition(ctx, value, type, path);
      break;
    case 'union':
      checkUnion(ctx, value, type.types, path);
      break;
    default:
      break; // a type this validator does not know yet: accept rather than guess
  }
}

function checkElements(
  ctx: ShapeContext,
  elements: Iterable<[string | number, unknown]>,
  type: PropertyType,
  path: Path,
): void {
  for (const [key, element] of elements) checkValue(ctx, element, type, [...path, key]);
}

function checkDefinition(
  ctx: ShapeContext,
  value: unknown,
  type: Extract<PropertyType, { type: 'ref' }>,
  path: Path,
): void {
  const definition = ctx.model.typeDefinition(type.reference.$ref);
  if (!isObject(value)) mismatch(ctx, value, type, path);
  else if (definition) {
    checkProperties(ctx, value, definition.properties, `${ctx.resourceType}.${definition.name}`, path);
  }
}

function checkProperties(
  ctx: ShapeContext,
  value: Json,
  properties: ResourceProperties,
  owner: string,
  path: Path,
): void {
  for (const [name, propertyValue] of Object.entries(value)) {
    const property = own(properties, name) ? properties[name] : undefined;
    if (property) checkValue(ctx, propertyValue, property.type, [...path, name]);
    else ctx.report({ path: [...path, name], message: `is not a property of ${owner}` });
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !own(value, name)) {
      ctx.report({ path: [...path, name], message: `is required by ${owner} but missing` });
    }
  }
}

/** A value fits a union when it fits one member; otherwise the errors of the member of its shape explain why. */
function checkUnion(ctx: ShapeContext, value: unknown, types: PropertyType[], path: Path): void {
  const attempts = types.map((type) => {
    const findings: Finding[] = [];
    checkValue({ ...ctx, report: (f) => findings.push(f) }, value, type, path);
    return { type, findings };
  });
  if (attempts.some((a) => a.findings.length === 0)) return;
  const sameShape = attempts.find((a) => sameShapeAs(value, a.type));
  if (sameShape) for (const finding of sameShape.findings) ctx.report(finding);
  else mismatch(ctx, value, { type: 'union', types }, path);
}

function sameShapeAs(value: unknown, type: PropertyType): boolean {
  if (Array.isArray(value)) return type.type === 'array';
  return isObject(value) && (type.type === 'ref' || type.type === 'map' || type.type === 'tag');
}

/** Accepts an intrinsic unless its result certainly cannot be the expected type; checks both Fn::If branches. */
function checkIntrinsicResult(
  ctx: ShapeContext,
  [name, argument]: [string, unknown],
  type: PropertyType,
  path: Path,
): void {
  if (name === 'Fn::If' && Array.isArray(argument)) {
    checkElements(ctx, [...argument.entries()].slice(1, 3), type, [...path, name]);
    return;
  }
  const result = STRING_RESULTS.has(name) ? 'string' : LIST_RESULTS.has(name) ? 'list' : undefined;
  if (result && !resultFits(result, type)) {
    ctx.report({
      path,
      message: `must be ${describeType(type, ctx.model)}, but ${name} gives a ${result}`,
    });
  }
}

function resultFits(result: 'string' | 'list', type: PropertyType): boolean {
  if (type.type === 'union') return type.types.some((t) => resultFits(result, t));
  if (type.type === 'json') return true;
  if (result === 'list') return type.type === 'array';
  return PRIMITIVES[type.type] !== undefined;
}

// ---------------------------------------------------------------------------------------------------------
// References: Ref, Fn::GetAtt, Fn::Sub variables, conditions and mappings, anywhere in a value (JSON-typed
// values such as policy documents included).

interface Symbols {
  readonly model: SpecModel;
  readonly resources: Json;
  readonly parameters: Json;
  readonly conditions: Json;
  readonly mappings: Json;
}

interface ReferenceContext {
  readonly symbols: Symbols;
  readonly self: string | undefined;
  readonly report: Report;
  /** Inside Conditions or Fn::And/Or/Not, where `{ Condition: name }` refers to a condition. */
  readonly inCondition: boolean;
}

function checkReferences(ctx: ReferenceContext, value: unknown, path: Path): void {
  const intrinsic = intrinsicOf(value);
  if (intrinsic && (intrinsic[0] !== 'Condition' || ctx.inCondition)) {
    checkIntrinsicReferences(ctx, intrinsic[0], intrinsic[1], path);
  } else if (Array.isArray(value) || isObject(value)) {
    for (const [key, element] of Object.entries(value)) {
      checkReferences(ctx, element, [...path, Array.isArray(value) ? Number(key) : key]);
    }
  }
}

function checkIntrinsicReferences(ctx: ReferenceContext, name: string, argument: unknown, path: Path): void {
  const report = (message: string) => ctx.report({ path, message });
  const first = Array.isArray(argument) ? argument[0] : undefined;
  switch (name) {
    case 'Ref':
      if (typeof argument === 'string') reportProblem(report, `Ref "${argument}"`, refProblem(ctx, argument));
      else report(`Ref must be a string, but is ${describeValue(argument)}`);
      break;
    case 'Fn::GetAtt':
      checkGetAtt(ctx, argument, path);
      break;
    case 'Fn::Sub':
      checkSub(ctx, argument, path);
      break;
    case 'Condition':
      reportProblem(report, 'Condition', conditionProblem(ctx, argument));
      break;
    case 'Fn::If':
      reportProblem(report, 'Fn::If', conditionProblem(ctx, first));
      checkReferences(ctx, argument, [...path, name]);
      break;
    case 'Fn::FindInMap':
      reportProblem(report, 'Fn::FindInMap', mappingProblem(ctx, first));
      checkReferences(ctx, argument, [...path, name]);
      break;
    default:
      checkReferences({ ...ctx, inCondition: ctx.inCondition || CONDITION_FUNCTIONS.has(name) }, argument, [
        ...path,
        name,
      ]);
  }
}

const CONDITION_FUNCTIONS = new Set(['Fn::And', 'Fn::Or', 'Fn::Not']);

function reportProblem(
  report: (message: string) => void,
  subject: string,
  problem: string | undefined,
): void {
  if (problem) report(`${subject} ${problem}`);
}

function refProblem(ctx: ReferenceContext, name: string): string | undefined {
  if (name === ctx.self) return 'refers to its own resource (a circular dependency)';
  const { resources, parameters } = ctx.symbols;
  if (own(resources, name) || own(parameters, name) || PSEUDO_PARAMETERS.has(name)) return undefined;
  return 'names no resource, parameter or pseudo parameter of the template';
}

function conditionProblem(ctx: ReferenceContext, name: unknown): string | undefined {
  if (typeof name !== 'string') return `must name a condition, but names ${describeValue(name)}`;
  return own(ctx.symbols.conditions, name)
    ? undefined
    : `names condition "${name}", which is not in Conditions`;
}

function mappingProblem(ctx: ReferenceContext, name: unknown): string | undefined {
  if (typeof name !== 'string' || own(ctx.symbols.mappings, name)) return undefined; // computed names: runtime
  return `names mapping "${name}", which is not in Mappings`;
}

/** Fn::GetAtt as `[resource, attribute]` or as the `"resource.attribute"` string. */
function checkGetAtt(ctx: ReferenceContext, argument: unknown, path: Path): void {
  const report = (message: string) => ctx.report({ path, message });
  const [resource, attribute] = typeof argument === 'string' ? splitAtFirstDot(argument) : asPair(argument);
  if (typeof resource !== 'string' || resource === '') {
    report(
      `Fn::GetAtt must be [resource, attribute] or "resource.attribute", but is ${describeValue(argument)}`,
    );
    return;
  }
  // The attribute name may itself be computed (a Ref to a parameter): then check the resource only.
  const name = typeof attribute === 'string' ? attribute : undefined;
  reportProblem(report, `Fn::GetAtt ${resource}.${name ?? '<computed>'}`, getAttProblem(ctx, resource, name));
  if (name === undefined) checkReferences(ctx, attribute, [...path, 'Fn::GetAtt', 1]);
}

function splitAtFirstDot(text: string): [string | undefined, string | undefined] {
  const dot = text.indexOf('.');
  return dot > 0 ? [text.slice(0, dot), text.slice(dot + 1)] : [undefined, undefined];
}

const asPair = (value: unknown): unknown[] => (Array.isArray(value) && value.length === 2 ? value : []);

function getAttProblem(
  ctx: ReferenceContext,
  resource: string,
  attribute: string | undefined,
): string | undefined {
  if (resource === ctx.self) return 'refers to its own resource (a circular dependency)';
  const target = ctx.symbols.resources[resource];
  if (!own(ctx.symbols.resources, resource) || !isObject(target)) {
    return `names resource "${resource}", which is not in the template`;
  }
  const type = target.Type;
  if (attribute === undefined || typeof type !== 'string' || isCustomType(type)) return undefined;
  const spec = ctx.symbols.model.resource(type);
  // Unknown types are reported on the resource itself; transform types (SAM) expand into other resources.
  if (!spec || spec.cloudFormationTransform) return undefined;
  if (own(spec.attributes, attribute)) return undefined;
  if (type === 'AWS::CloudFormation::Stack' && attribute.startsWith('Outputs.')) return undefined;
  const known = Object.keys(spec.attributes).sort().join(', ') || 'none';
  return `names attribute "${attribute}", which ${type} does not have (it has: ${known})`;
}

/** Fn::Sub as a string or `[string, variables]`; `${!Literal}` is an escape, not a variable. */
function checkSub(ctx: ReferenceContext, argument: unknown, path: Path): void {
  const [text, variables] = Array.isArray(argument) ? argument : [argument, undefined];
  if (variables !== undefined) checkReferences(ctx, variables, [...path, 'Fn::Sub', 1]);
  if (typeof text !== 'string') {
    ctx.report({ path, message: `Fn::Sub needs a string template, but has ${describeValue(text)}` });
    return;
  }
  const local = isObject(variables) ? variables : {};
  for (const match of text.matchAll(/\$\{([^}]*)\}/g)) {
    const name = (match[1] ?? '').trim();
    if (name.startsWith('!') || own(local, name)) continue;
    const [resource, attribute] = splitAtFirstDot(name);
    const problem = resource ? getAttProblem(ctx, resource, attribute) : refProblem(ctx, name);
    reportProblem((message) => ctx.report({ path, message }), `Fn::Sub variable \${${name}}`, problem);
  }
}

// ---------------------------------------------------------------------------------------------------------
// The template

/** Turns findings into sentences: "Resource Table (AWS::DynamoDB::Table): Properties.X is not ...". */
function reporter(subject: string, errors: string[]): Report {
  return ({ path, message }) =>
    errors.push(path.length ? `${subject}: ${formatPath(path)} ${message}.` : `${subject} ${message}.`);
}

function validateResource(symbols: Symbols, id: string, resource: unknown, errors: string[]): void {
  if (!isObject(resource)) {
    errors.push(`Resource ${id} must be an object, but is ${describeValue(resource)}.`);
    return;
  }
  const type = typeof resource.Type === 'string' ? resource.Type : undefined;
  const report = reporter(`Resource ${id}${type ? ` (${type})` : ''}`, errors);

  for (const key of Object.keys(resource)) {
    if (!RESOURCE_ATTRIBUTES.has(key)) report({ path: [key], message: 'is not a resource attribute' });
  }
  checkResourceShape(symbols.model, type, resource.Properties, report);
  errors.push(...valueProblems(id, resource));
  const refs: ReferenceContext = { symbols, self: id, report, inCondition: false };
  checkReferences(refs, resource.Properties, ['Properties']);
  checkDependsOn(refs, resource.DependsOn);
  if (resource.Condition !== undefined) {
    const problem = conditionProblem(refs, resource.Condition);
    if (problem) report({ path: ['Condition'], message: problem });
  }
}

function checkResourceShape(
  model: SpecModel,
  type: string | undefined,
  properties: unknown,
  report: Report,
): void {
  // Custom resources take whatever their handler understands.
  const spec = type === undefined || isCustomType(type) ? undefined : model.resource(type);
  if (type === undefined) report({ path: [], message: 'has no Type' });
  else if (!spec) {
    if (!isCustomType(type)) report({ path: [], message: `has unknown resource type "${type}"` });
  } else if (properties !== undefined && !isObject(properties)) {
    report({ path: ['Properties'], message: `must be an object, but is ${describeValue(properties)}` });
  } else if (!intrinsicOf(properties)) {
    const ctx: ShapeContext = { model, resourceType: type, report };
    checkProperties(ctx, properties ?? {}, spec.properties, type, ['Properties']);
  }
}

function checkDependsOn(ctx: ReferenceContext, dependsOn: unknown): void {
  if (dependsOn === undefined) return;
  const names = Array.isArray(dependsOn) ? dependsOn : [dependsOn];
  for (const [i, name] of names.entries()) {
    const path = Array.isArray(dependsOn) ? ['DependsOn', i] : ['DependsOn'];
    if (typeof name !== 'string') {
      ctx.report({ path, message: `must name a resource, but is ${describeValue(name)}` });
    } else if (name === ctx.self || !own(ctx.symbols.resources, name)) {
      const why = name === ctx.self ? 'the resource itself' : 'not a resource of the template';
      ctx.report({ path, message: `names "${name}", which is ${why}` });
    }
  }
}

function validateOutputs(symbols: Symbols, outputs: Json, errors: string[]): void {
  for (const [name, output] of Object.entries(outputs)) {
    const report = reporter(`Output ${name}`, errors);
    if (!isObject(output) || output.Value === undefined) {
      report({ path: [], message: 'must be an object with a Value' });
      continue;
    }
    const ctx: ReferenceContext = { symbols, self: undefined, report, inCondition: false };
    checkReferences(ctx, output.Value, ['Value']);
    checkReferences(ctx, output.Export, ['Export']);
    const problem = output.Condition === undefined ? undefined : conditionProblem(ctx, output.Condition);
    if (problem) report({ path: ['Condition'], message: problem });
  }
}

function validateConditions(symbols: Symbols, errors: string[]): void {
  for (const [name, condition] of Object.entries(symbols.conditions)) {
    const report = reporter(`Condition ${name}`, errors);
    checkReferences({ symbols, self: undefined, report, inCondition: true }, condition, []);
  }
}

const section = (template: Json, key: string): Json => {
  const value = template[key];
  return isObject(value) ? value : {};
};

/**
 * Validates a CloudFormation template (already parsed JSON) against the CloudFormation resource model of
 * @aws-cdk/aws-service-spec. Returns one readable sentence per problem, naming the resource (or output, or
 * condition) and the property path; an empty list when the template is valid.
 */
export async function validateTemplate(template: unknown): Promise<string[]> {
  if (!isObject(template)) return [`The template must be an object, but is ${describeValue(template)}.`];
  if (!isObject(template.Resources) || Object.keys(template.Resources).length === 0) {
    return ['The template must have a Resources section with at least one resource.'];
  }
  const symbols: Symbols = {
    model: await loadModel(),
    resources: template.Resources,
    parameters: section(template, 'Parameters'),
    conditions: section(template, 'Conditions'),
    mappings: section(template, 'Mappings'),
  };
  const errors: string[] = [];
  for (const [id, resource] of Object.entries(template.Resources))
    validateResource(symbols, id, resource, errors);
  validateOutputs(symbols, section(template, 'Outputs'), errors);
  validateConditions(symbols, errors);
  return errors;
}
