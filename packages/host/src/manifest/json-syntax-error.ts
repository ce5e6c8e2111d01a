/**
 * Where and why a JSON text fails to parse, as "Unexpected token '}' at line 3 column 5".
 * @module
 */

/**
 * Describes the first syntax error in `text`, which `JSON.parse` just refused.
 *
 * V8's own messages cannot be shown as they are: Node 20 gives a position for some errors and
 * none for others ("Unexpected token '}', "{…}" is not valid JSON", quoting the whole file), and
 * Node 24 words them differently. So the text is scanned again here (only after a failure, so speed
 * does not matter), giving the same line and column on every Node. Falls back to V8's message if
 * the scan finds nothing.
 *
 * @example
 * jsonSyntaxError('{\n  "a": 1,\n}', err) // "Unexpected token '}' at line 3 column 1"
 */
export function jsonSyntaxError(text: string, error: unknown): string {
  let found: { index: number; reason: string } | undefined;
  try {
    scan(text);
  } catch (e) {
    if (e instanceof JsonScanError) found = e;
  }
  if (found === undefined) return (error as Error)?.message ?? String(error);
  const before = text.slice(0, found.index);
  const line = before.split('\n').length;
  const column = found.index - (before.lastIndexOf('\n') + 1) + 1;
  return `${found.reason} at line ${line} column ${column}`;
}

class JsonScanError {
  readonly index: number;
  readonly reason: string;
  constructor(index: number, reason: string) {
    this.index = index;
    this.reason = reason;
  }
}

/** A validating JSON scanner that builds nothing; throws a JsonScanError at the first fault. */
function scan(text: string): void {
  let i = 0;
  // Typed as a never-returning function so that the compiler knows code after fail() is dead.
  const fail: (reason?: string) => never = (reason) => {
    if (i >= text.length) throw new JsonScanError(i, 'Unexpected end of input');
    const ch = text[i]!;
    // Control characters are shown escaped (\u0000), so the message stays one readable line.
    const shown = ch < ' ' ? JSON.stringify(ch).slice(1, -1) : ch;
    throw new JsonScanError(i, reason ?? `Unexpected token '${shown}'`);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i]!)) i++;
  };
  const literal = (word: string) => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const string = () => {
    i++; // the opening quote
    for (;;) {
      if (i >= text.length) fail();
      const ch = text.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        return;
      }
      if (ch < 0x20) fail('Bad control character in string');
      if (ch === 0x5c) {
        i++;
        if (i >= text.length) fail();
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++;
            if (!/[0-9a-fA-F]/.test(text[i] ?? '')) fail('Bad Unicode escape');
          }
        } else if (!'"\\/bfnrt'.includes(text[i]!)) fail('Bad escaped character');
      }
      i++;
    }
  };
  const number = () => {
    const m = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(i));
    if (m === null) return fail();
    i += m[0].length;
  };
  // `{` or `[` at i: members separated by commas up to `close`; no trailing comma (the usual fault).
  const members = (close: string, member: () => void) => {
    i++;
    ws();
    if (text[i] === close) {
      i++;
      return;
    }
    for (;;) {
      member();
      ws();
      if (text[i] === close) {
        i++;
        return;
      }
      if (text[i] !== ',') fail();
      i++;
    }
  };
  const property = () => {
    ws();
    if (text[i] !== '"') fail();
    string();
    ws();
    if (text[i] !== ':') fail();
    i++;
    value();
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') members('}', property);
    else if (ch === '[') members(']', value);
    else if (ch === '"') string();
    else if (ch === 't') literal('true');
    else if (ch === 'f') literal('false');
    else if (ch === 'n') literal('null');
    else number();
  };
  value();
  ws();
  if (i < text.length) fail();
}
