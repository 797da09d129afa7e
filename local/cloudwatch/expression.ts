/** A metric math value: a number, or a list of them (`[errors, invocations]`). */
type Value = number | readonly number[];

type Node =
  | { readonly kind: 'number'; readonly value: number }
  | { readonly kind: 'id'; readonly name: string }
  | { readonly kind: 'list'; readonly items: readonly Node[] }
  | { readonly kind: 'call'; readonly fn: string; readonly args: readonly Node[] }
  | { readonly kind: 'negate'; readonly operand: Node }
  | { readonly kind: 'binary'; readonly op: string; readonly left: Node; readonly right: Node };

/** An expression local mode does not evaluate: the alarm stays INSUFFICIENT_DATA and says why. */
export class UnsupportedExpressionError extends Error {
  override readonly name = 'UnsupportedExpressionError';
}

const FUNCTIONS: Readonly<Record<string, (args: readonly Value[]) => number>> = {
  MAX: (args) => Math.max(...flat(args)),
  MIN: (args) => Math.min(...flat(args)),
  SUM: (args) => flat(args).reduce((a, b) => a + b, 0),
  AVG: (args) => flat(args).reduce((a, b) => a + b, 0) / flat(args).length,
  ABS: (args) => Math.abs(scalar(args[0])),
  FILL: (args) => (Number.isNaN(scalar(args[0])) ? scalar(args[1]) : scalar(args[0])),
  IF: (args) => (scalar(args[0]) !== 0 && !Number.isNaN(scalar(args[0])) ? scalar(args[1]) : scalar(args[2] ?? 0)),
};

const COMPARISONS = ['>=', '<=', '==', '!=', '>', '<'];

/**
 * A CloudWatch metric math expression over single values, as an alarm's window gives them:
 * numbers, metric ids, `+ - * /`, comparisons (1 or 0), parentheses, lists and MAX, MIN, SUM,
 * AVG, ABS, FILL and IF.
 * Returns a function of the ids' values; a division by zero gives NaN (no data), as in CloudWatch.
 */
export function compileExpression(text: string): (values: ReadonlyMap<string, number>) => number {
  const parser = new Parser(tokenize(text), text);
  const node = parser.expression();
  parser.end();
  return (values) => scalar(evaluate(node, values));
}

function tokenize(text: string): string[] {
  const tokens = text.match(/\d+(?:\.\d+)?|[A-Za-z_][A-Za-z0-9_]*|[<>=!]=|[-+*/(),[\]<>]|\S/g) ?? [];
  const bad = tokens.find((t) => !/^(\d|[A-Za-z_]|[-+*/(),[\]<>]|[<>=!]=)/.test(t));
  if (bad !== undefined) throw new UnsupportedExpressionError(`"${bad}" in metric math "${text}"`);
  return tokens;
}

class Parser {
  private at = 0;

  constructor(
    private readonly tokens: readonly string[],
    private readonly text: string,
  ) {}

  expression(): Node {
    return this.binary(COMPARISONS, () => this.binary(['+', '-'], () => this.binary(['*', '/'], () => this.unary())));
  }

  end(): void {
    if (this.at < this.tokens.length) this.fail(`unexpected "${this.tokens[this.at]}"`);
  }

  private binary(ops: readonly string[], operand: () => Node): Node {
    let left = operand();
    for (let op = this.peek(); op !== undefined && ops.includes(op); op = this.peek()) {
      this.at++;
      left = { kind: 'binary', op, left, right: operand() };
    }
    return left;
  }

  private unary(): Node {
    if (this.peek() === '-') {
      this.at++;
      return { kind: 'negate', operand: this.unary() };
    }
    return this.primary();
  }

  private primary(): Node {
    const token = this.next();
    if (/^\d/.test(token)) return { kind: 'number', value: Number(token) };
    if (token === '(') return this.closing(this.expression(), ')');
    if (token === '[') return { kind: 'list', items: this.items(']') };
    if (!/^[A-Za-z_]/.test(token)) return this.fail(`unexpected "${token}"`);
    if (this.peek() !== '(') return { kind: 'id', name: token };
    this.at++;
    const fn = token.toUpperCase();
    if (!(fn in FUNCTIONS)) this.fail(`the function ${token}`);
    return { kind: 'call', fn, args: this.items(')') };
  }

  private items(close: string): Node[] {
    const items: Node[] = [];
    while (this.peek() !== close) {
      items.push(this.expression());
      if (this.peek() === ',') this.at++;
      else if (this.peek() !== close) this.fail(`expected "${close}"`);
    }
    this.at++;
    return items;
  }

  private closing(node: Node, close: string): Node {
    if (this.next() !== close) this.fail(`expected "${close}"`);
    return node;
  }

  private peek(): string | undefined {
    return this.tokens[this.at];
  }

  private next(): string {
    const token = this.tokens[this.at++];
    return token ?? this.fail('the expression ends too soon');
  }

  private fail(what: string): never {
    throw new UnsupportedExpressionError(`${what} in metric math "${this.text}"`);
  }
}

function evaluate(node: Node, values: ReadonlyMap<string, number>): Value {
  switch (node.kind) {
    case 'number':
      return node.value;
    case 'id': {
      const value = values.get(node.name);
      if (value === undefined) throw new UnsupportedExpressionError(`no metric with id "${node.name}"`);
      return value;
    }
    case 'list':
      return node.items.map((item) => scalar(evaluate(item, values)));
    case 'call':
      return (FUNCTIONS[node.fn] ?? (() => Number.NaN))(node.args.map((a) => evaluate(a, values)));
    case 'negate':
      return -scalar(evaluate(node.operand, values));
    case 'binary':
      return arithmetic(node.op, scalar(evaluate(node.left, values)), scalar(evaluate(node.right, values)));
  }
}

function arithmetic(op: string, a: number, b: number): number {
  if (COMPARISONS.includes(op)) return compare(op, a, b) ? 1 : 0;
  if (op === '+') return a + b;
  if (op === '-') return a - b;
  if (op === '*') return a * b;
  return b === 0 ? Number.NaN : a / b;
}

function compare(op: string, a: number, b: number): boolean {
  if (op === '>') return a > b;
  if (op === '<') return a < b;
  if (op === '>=') return a >= b;
  if (op === '<=') return a <= b;
  if (op === '==') return a === b;
  return a !== b;
}

function flat(args: readonly Value[]): number[] {
  return args.flatMap((a) => (typeof a === 'number' ? [a] : [...a]));
}

function scalar(value: Value | undefined): number {
  if (typeof value === 'number') return value;
  throw new UnsupportedExpressionError('a list where a number is expected');
}
