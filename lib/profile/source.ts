/**
 * A profile file parsed with source positions, so every problem can point at its line and column.
 */
import { Alias, Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Node, parseAllDocuments, visit } from 'yaml';
import { FieldPath } from '../core/findings';
import { isCyclic } from '../core/objects';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface SourceError {
  readonly position: Position;
  readonly message: string;
}

/** Aliases may expand at most this many times: a few anchors must not become a billion nodes. */
const MAX_ALIAS_EXPANSIONS = 100;

export class ProfileSource {
  /** Parse one file's text. Syntax problems are collected in `errors`, never thrown. */
  static parse(file: string, text: string): ProfileSource {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false });
    const errors: SourceError[] = [];
    const position = (offset: number): Position => lineCounter.linePos(offset);

    if (!Array.isArray(docs)) {
      // An empty stream parses to an empty list; anything else is a document array.
      return new ProfileSource(file, undefined, lineCounter, [{ position: { line: 1, col: 1 }, message: 'is empty: expected one ClusterProfile document' }]);
    }
    const real = docs.filter((d) => d.contents !== null || d.errors.length > 0);
    for (const d of docs) {
      for (const e of d.errors) errors.push({ position: position(e.pos[0]), message: describeYamlError(e.code, e.message) });
    }
    if (real.length === 0 && errors.length === 0) {
      errors.push({ position: { line: 1, col: 1 }, message: 'is empty: expected one ClusterProfile document' });
    }
    if (real.length > 1) {
      const second = real[1].contents?.range?.[0] ?? 0;
      errors.push({ position: position(second), message: 'holds more than one YAML document: one ClusterProfile per file' });
    }
    return new ProfileSource(file, real[0], lineCounter, errors);
  }

  private constructor(
    public readonly file: string,
    private readonly doc: Document.Parsed | undefined,
    private readonly lineCounter: LineCounter,
    public readonly errors: readonly SourceError[],
  ) {}

  /** The plain value of the document; call only when `errors` is empty. */
  toJS(): unknown {
    if (!this.doc) return undefined;
    const doc = this.doc;
    let unresolved: Alias | undefined;
    visit(doc, {
      Alias: (_key, alias) => {
        if (alias.resolve(doc) !== undefined) return undefined;
        unresolved = alias;
        return visit.BREAK;
      },
    });
    if (unresolved) {
      const name = unresolved.source;
      throw new AliasExpansionError(`uses the alias *${name}, whose anchor &${name} is not defined before it`, this.at(unresolved));
    }
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSIONS });
    } catch {
      // Every alias resolves (checked above), so the yaml library stopped at the expansion limit.
      throw new AliasExpansionError('expands YAML aliases too many times: write the values out');
    }
    if (isCyclic(value)) throw new AliasExpansionError('has an alias inside its own anchor, which makes a value that contains itself: write the values out');
    return value;
  }

  /**
   * Where a field sits. For a field that is missing, the nearest enclosing field that exists.
   * `atKey` points at the key rather than the value (for unknown fields).
   */
  locate(path: FieldPath, atKey = false): Position {
    if (!this.doc) return { line: 1, col: 1 };
    let node: unknown = this.doc.contents;
    let lastKey: Node | undefined;
    for (const segment of path) {
      node = this.deref(node);
      let next: unknown;
      let key: Node | undefined;
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
        if (pair) {
          key = pair.key as Node;
          next = pair.value ?? pair.key;
        }
      } else if (isSeq(node) && typeof segment === 'number') {
        next = node.items[segment];
      }
      if (next === undefined) return this.at(lastKey ?? (node as Node | undefined));
      lastKey = key ?? (next as Node);
      node = next;
    }
    return this.at(atKey ? lastKey : (this.deref(node) as Node | undefined) ?? lastKey);
  }

  private deref(node: unknown): unknown {
    return isAlias(node) && this.doc ? (node as Alias).resolve(this.doc) : node;
  }

  private at(node: Node | undefined): Position {
    const offset = node?.range?.[0];
    return offset === undefined ? { line: 1, col: 1 } : this.lineCounter.linePos(offset);
  }
}

export class AliasExpansionError extends Error {
  constructor(
    message: string,
    public readonly position: Position = { line: 1, col: 1 },
  ) {
    super(message);
  }
}

function describeYamlError(code: string, message: string): string {
  const first = message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '');
  switch (code) {
    case 'DUPLICATE_KEY':
      return 'has a duplicate key: each field may appear once';
    default:
      return `is not valid YAML: ${first}`;
  }
}
