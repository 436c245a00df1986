import { BOOL, DYNAMIC, elementOf, listOf, NUMBER, STRING, type TfType } from './types.js';

interface Signature {
  readonly min: number;
  readonly max: number;
  readonly returns: (args: readonly TfType[]) => TfType;
}

const fixed = (type: TfType) => (): TfType => type;
const sig = (min: number, max: number, returns: Signature['returns']): Signature => ({ min, max, returns });
const MANY = Number.POSITIVE_INFINITY;
const firstArg = (args: readonly TfType[]) => args[0] ?? DYNAMIC;
const asList = (args: readonly TfType[]) => listOf(elementOf(firstArg(args)) ?? DYNAMIC);

/**
 * Terraform's built-in functions the checker knows, with their arity and (approximate) result types. A call to
 * any other name is reported: Terraform has no user-defined functions in this setting.
 */
export const FUNCTIONS: Readonly<Record<string, Signature>> = {
  abs: sig(1, 1, fixed(NUMBER)),
  base64encode: sig(1, 1, fixed(STRING)),
  can: sig(1, 1, fixed(BOOL)),
  ceil: sig(1, 1, fixed(NUMBER)),
  chunklist: sig(2, 2, (args) => listOf(asList(args))),
  coalesce: sig(1, MANY, firstArg),
  compact: sig(1, 1, fixed(listOf(STRING))),
  concat: sig(1, MANY, asList),
  contains: sig(2, 2, fixed(BOOL)),
  distinct: sig(1, 1, asList),
  element: sig(2, 2, (args) => elementOf(firstArg(args)) ?? DYNAMIC),
  endswith: sig(2, 2, fixed(BOOL)),
  flatten: sig(1, 1, fixed(listOf(DYNAMIC))),
  floor: sig(1, 1, fixed(NUMBER)),
  format: sig(1, MANY, fixed(STRING)),
  join: sig(2, 2, fixed(STRING)),
  jsondecode: sig(1, 1, fixed(DYNAMIC)),
  jsonencode: sig(1, 1, fixed(STRING)),
  keys: sig(1, 1, fixed(listOf(STRING))),
  length: sig(1, 1, fixed(NUMBER)),
  lookup: sig(2, 3, (args) => elementOf(firstArg(args)) ?? DYNAMIC),
  lower: sig(1, 1, fixed(STRING)),
  max: sig(1, MANY, fixed(NUMBER)),
  md5: sig(1, 1, fixed(STRING)),
  merge: sig(0, MANY, fixed(DYNAMIC)),
  min: sig(1, MANY, fixed(NUMBER)),
  range: sig(1, 3, fixed(listOf(NUMBER))),
  replace: sig(3, 3, fixed(STRING)),
  sha256: sig(1, 1, fixed(STRING)),
  slice: sig(3, 3, asList),
  sort: sig(1, 1, fixed(listOf(STRING))),
  split: sig(2, 2, fixed(listOf(STRING))),
  startswith: sig(2, 2, fixed(BOOL)),
  substr: sig(3, 3, fixed(STRING)),
  tolist: sig(1, 1, asList),
  tomap: sig(1, 1, (args) => ({ kind: 'map', elem: elementOf(firstArg(args)) ?? DYNAMIC })),
  tonumber: sig(1, 1, fixed(NUMBER)),
  toset: sig(1, 1, (args) => ({ kind: 'set', elem: elementOf(firstArg(args)) ?? DYNAMIC })),
  tostring: sig(1, 1, fixed(STRING)),
  trimspace: sig(1, 1, fixed(STRING)),
  try: sig(1, MANY, firstArg),
  upper: sig(1, 1, fixed(STRING)),
  values: sig(1, 1, asList),
};
