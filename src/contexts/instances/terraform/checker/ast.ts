/** The HCL expression syntax the checker understands (everything the JSON syntax can carry inside `${...}`). */
export type BinaryOp = '||' | '&&' | '==' | '!=' | '<' | '>' | '<=' | '>=' | '+' | '-' | '*' | '/' | '%';

export type Step =
  | { readonly kind: 'attr'; readonly name: string }
  | { readonly kind: 'index'; readonly key: Node };

export type Node =
  | { readonly kind: 'literal'; readonly value: string | number | boolean | null }
  | { readonly kind: 'template'; readonly parts: ReadonlyArray<string | Node> }
  | { readonly kind: 'variable'; readonly name: string }
  | { readonly kind: 'attr'; readonly target: Node; readonly name: string }
  | { readonly kind: 'index'; readonly target: Node; readonly key: Node }
  /** `target[*].a[0]`: `steps` apply to each element. */
  | { readonly kind: 'splat'; readonly target: Node; readonly steps: readonly Step[] }
  | { readonly kind: 'call'; readonly name: string; readonly args: readonly Node[]; readonly expand: boolean }
  | { readonly kind: 'tuple'; readonly items: readonly Node[] }
  | { readonly kind: 'object'; readonly items: ReadonlyArray<{ readonly key: Node; readonly value: Node }> }
  | { readonly kind: 'unary'; readonly op: '!' | '-'; readonly operand: Node }
  | { readonly kind: 'binary'; readonly op: BinaryOp; readonly left: Node; readonly right: Node }
  | { readonly kind: 'conditional'; readonly cond: Node; readonly whenTrue: Node; readonly whenFalse: Node }
  | {
      readonly kind: 'for';
      readonly object: boolean;
      readonly keyVar: string | undefined;
      readonly valueVar: string;
      readonly collection: Node;
      readonly key: Node | undefined;
      readonly value: Node;
      readonly cond: Node | undefined;
    };

export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}
