import { ParseError } from './ast.js';

/** A position in expression text, with the small lexical helpers the parser needs. */
export class Cursor {
  pos = 0;
  constructor(readonly text: string) {}

  done(): boolean {
    return this.pos >= this.text.length;
  }
  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }
  next(): string {
    const ch = this.peek();
    this.pos += 1;
    return ch;
  }
  take(length: number): string {
    const out = this.text.slice(this.pos, this.pos + length);
    this.pos += out.length;
    return out;
  }
  startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }
  eat(s: string): boolean {
    if (!this.startsWith(s)) return false;
    this.pos += s.length;
    return true;
  }
  expect(s: string): void {
    if (!this.eat(s)) {
      const found = this.done() ? 'end of text' : `"${this.peek()}"`;
      throw new ParseError(`expected "${s}", found ${found}`, this.pos);
    }
  }
  skipSpace(): void {
    while (/\s/.test(this.peek())) this.pos += 1;
  }
  /** Text matching `pattern` at the cursor (anchored), or a parse error. */
  match(pattern: RegExp): string {
    const found = new RegExp(`^(?:${pattern.source})`).exec(this.text.slice(this.pos));
    if (!found) throw new ParseError(`expected ${pattern.source}`, this.pos);
    this.pos += found[0].length;
    return found[0];
  }
  /** HCL identifiers may contain dashes (`a-b` is one name; subtraction needs spaces). */
  identifier(): string {
    return this.match(/[A-Za-z_][A-Za-z0-9_-]*/);
  }
  /** Whether `keyword` follows as a whole word. */
  keywordAt(keyword: string): boolean {
    return this.startsWith(keyword) && !/[A-Za-z0-9_-]/.test(this.peek(keyword.length));
  }
  /** Whether `open` is followed (after spaces) by `keyword` as a whole word: `[for x in ...]`. */
  keywordAfter(open: string, keyword: string): boolean {
    const rest = this.text.slice(this.pos + open.length);
    return new RegExp(`^\\s*${keyword}(?![A-Za-z0-9_-])`).test(rest);
  }
}
