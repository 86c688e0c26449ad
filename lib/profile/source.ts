/**
 * A profile file parsed with source positions, so every problem can point at its line and column.
 */
import { Alias, Document, isAlias, isMap, isPair, isScalar, isSeq, LineCounter, Node, Pair, parseAllDocuments, visit, YAMLMap } from 'yaml';
import { FieldPath, formatPath } from '../core/findings';
import { MAX_NESTING_DEPTH, MAX_PROFILE_BYTES, tooDeepAt } from '../core/limits';
import { isCyclic } from '../core/objects';

export interface Position {
  readonly line: number;
  readonly col: number;
}

export interface SourceError {
  readonly position: Position;
  readonly message: string;
  /** The field it is about, where that can be told (a duplicate key). */
  readonly path?: FieldPath;
}

/** Aliases may expand at most this many times: a few anchors must not become a billion nodes. */
const MAX_ALIAS_EXPANSIONS = 100;

export class ProfileSource {
  /** Parse one file's text. Syntax problems are collected in `errors`, never thrown. */
  static parse(file: string, text: string): ProfileSource {
    const lineCounter = new LineCounter();
    const bytes = Buffer.byteLength(text, 'utf8');
    if (bytes > MAX_PROFILE_BYTES) {
      return new ProfileSource(file, text, undefined, lineCounter, [
        { position: { line: 1, col: 1 }, message: `is ${bytes} bytes; a profile may hold at most ${MAX_PROFILE_BYTES} (1 MiB)` },
      ]);
    }
    // Duplicate keys are checked below in one pass: the yaml library's own check compares every key
    // with every other one, which takes minutes on a map of 100,000 keys.
    const docs = parseAllDocuments(text, { lineCounter, uniqueKeys: false, prettyErrors: false });
    const errors: SourceError[] = [];
    const position = (offset: number): Position => lineCounter.linePos(offset);

    if (!Array.isArray(docs)) {
      // An empty stream parses to an empty list; anything else is a document array.
      return new ProfileSource(file, text, undefined, lineCounter, [
        { position: { line: 1, col: 1 }, message: 'is empty: expected one ClusterProfile document' },
      ]);
    }
    const real = docs.filter((d) => d.contents !== null || d.errors.length > 0);
    const tabs = docs.flatMap((d) => d.errors.filter((e) => e.code === 'TAB_AS_INDENT'));
    if (tabs.length > 0) {
      // A file indented with tabs fails on every line; the rest of its errors follow from that.
      const lines = [...new Set(tabs.map((e) => position(e.pos[0]).line))];
      const where =
        lines.length === 1 ? `line ${lines[0]}` : `lines ${lines.slice(0, 5).join(', ')}${lines.length > 5 ? ` and ${lines.length - 5} more` : ''}`;
      return new ProfileSource(file, text, real[0], lineCounter, [
        {
          position: position(tabs[0].pos[0]),
          message: `is indented with tabs (${where}): YAML needs spaces for indentation; replace each tab with spaces`,
        },
      ]);
    }
    let tooDeep = false;
    for (const d of docs) {
      for (const e of d.errors) {
        // A parser out of stack reports it at every level it unwinds: once is enough.
        if (e.code === 'RESOURCE_EXHAUSTION') {
          if (!tooDeep) errors.push({ position: position(e.pos[0]), message: `nests deeper than ${MAX_NESTING_DEPTH} levels: write it flatter` });
          tooDeep = true;
        } else errors.push({ position: position(e.pos[0]), message: describeYamlError(e.message) });
      }
    }
    if (real.length === 0 && errors.length === 0) {
      errors.push({ position: { line: 1, col: 1 }, message: 'is empty: expected one ClusterProfile document' });
    }
    if (real.length > 1) {
      const second = real[1].contents?.range?.[0] ?? 0;
      errors.push({ position: position(second), message: 'holds more than one YAML document: one ClusterProfile per file' });
    }
    if (errors.length === 0 && real[0]?.contents) errors.push(...structureErrors(real[0].contents as Node, position));
    return new ProfileSource(file, text, real[0], lineCounter, errors);
  }

  private constructor(
    public readonly file: string,
    private readonly text: string,
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
    if (isCyclic(value))
      throw new AliasExpansionError('has an alias inside its own anchor, which makes a value that contains itself: write the values out');
    // Aliases can stack anchors on anchors: the expanded value must keep to the limit too.
    const deep = tooDeepAt(value);
    if (deep)
      throw new AliasExpansionError(
        `nests deeper than ${MAX_NESTING_DEPTH} levels once its aliases are expanded (at ${formatPath(deep)}): write it flatter`,
        this.locate(deep.slice(0, -1)),
      );
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
        const pair = this.pairOf(node, String(segment));
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
    return this.at(atKey ? lastKey : ((this.deref(node) as Node | undefined) ?? lastKey));
  }

  /** The text of the scalar at `path` as written in the file (`1.30` where YAML read the number 1.3). */
  scalarText(path: FieldPath): string | undefined {
    let node: unknown = this.doc?.contents;
    for (const segment of path) {
      node = this.deref(node);
      if (isMap(node)) node = this.pairOf(node, String(segment))?.value;
      else if (isSeq(node) && typeof segment === 'number') node = node.items[segment];
      else return undefined;
    }
    node = this.deref(node);
    if (!isScalar(node) || !node.range) return undefined;
    return this.text.slice(node.range[0], node.range[1]);
  }

  /** Each map's pairs by key, built once: locating every finding of a large map stays linear. */
  private readonly pairs = new WeakMap<YAMLMap, Map<string, Pair>>();

  private pairOf(map: YAMLMap, key: string): Pair | undefined {
    let index = this.pairs.get(map);
    if (!index) {
      index = new Map();
      for (const p of map.items) if (isPair(p) && isScalar(p.key) && !index.has(String(p.key.value))) index.set(String(p.key.value), p);
      this.pairs.set(map, index);
    }
    return index.get(key);
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

/**
 * The parser's own message, first line, without its position (the diagnostic has one). Running out
 * of stack is not one of these: the yaml package reports it as RESOURCE_EXHAUSTION (yaml
 * src/compose/compose-node.ts), which the caller turns into the nesting limit.
 */
function describeYamlError(message: string): string {
  return `is not valid YAML: ${message.split('\n')[0].replace(/ at line \d+, column \d+:?$/, '')}`;
}

/**
 * Duplicate keys (each key compared once, through a set per map, and named with its field) and
 * nesting deeper than the limit, in one walk without recursion, so no document is too deep or too
 * wide for it.
 */
function structureErrors(root: Node, position: (offset: number) => Position): SourceError[] {
  const errors: SourceError[] = [];
  const at = (node: Node | null | undefined) => position(node?.range?.[0] ?? 0);
  const stack: Array<{ node: unknown; depth: number; path: FieldPath }> = [{ node: root, depth: 1, path: [] }];
  while (stack.length > 0) {
    const { node, depth, path } = stack.pop()!;
    if (!isMap(node) && !isSeq(node)) continue;
    if (depth > MAX_NESTING_DEPTH) {
      errors.push({ position: at(node), message: `nests deeper than ${MAX_NESTING_DEPTH} levels: write it flatter` });
      continue;
    }
    if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, depth: depth + 1, path: [...path, i] }));
      continue;
    }
    const seen = new Map<string, Node>();
    for (const pair of node.items) {
      const key = pair.key as Node | null;
      const name = isScalar(key) ? String(key.value) : undefined;
      if (name !== undefined) {
        const first = seen.get(name);
        if (first)
          errors.push({
            position: at(key),
            message: `has a duplicate key ${JSON.stringify(name)} (first on line ${at(first).line}): each field may appear once`,
            path: [...path, name],
          });
        else seen.set(name, key!);
      }
      stack.push({ node: pair.value, depth: depth + 1, path: name !== undefined ? [...path, name] : path });
    }
  }
  return errors.sort((a, b) => a.position.line - b.position.line || a.position.col - b.position.col);
}
