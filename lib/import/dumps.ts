/**
 * What `kubectl get ... -o yaml` printed, read back: a `List` or single objects, one or more YAML
 * documents per file, each object with the file it came from. Nothing here decides what an object
 * means for a profile.
 */
import { isPlainObject, PlainMap } from '../core/objects';
import { Diagnostic } from '../profile/diagnostics';
import { parseAllDocuments, LineCounter } from 'yaml';

export interface Dump {
  /** Where it came from, as the user named it (`-` for stdin). */
  readonly source: string;
  readonly text: string;
}

export interface KubeObject {
  readonly source: string;
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  readonly namespace?: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  /** The whole object as printed. */
  readonly body: PlainMap;
}

/** Every object of every dump, `List`s unpacked; problems (not YAML, not an object) as diagnostics. */
export function readDumps(dumps: readonly Dump[]): { objects: KubeObject[]; diagnostics: Diagnostic[] } {
  const objects: KubeObject[] = [];
  const diagnostics: Diagnostic[] = [];
  for (const dump of dumps) {
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(dump.text, { lineCounter, prettyErrors: false });
    const list = Array.isArray(docs) ? docs : [];
    for (const doc of list) {
      let joined = false;
      for (const e of doc.errors) {
        const at = lineCounter.linePos(e.pos[0]);
        // A top-level key seen twice: two objects printed one after the other with no `---` between
        // them (kubectl outputs joined by hand); one problem says so, not one per repeated key.
        if (e.code === 'DUPLICATE_KEY' && at.col === 1) {
          if (!joined) {
            const key = /^[^:\s]+/.exec(dump.text.slice(e.pos[0], e.pos[0] + 256))?.[0] ?? '';
            diagnostics.push({
              severity: 'error',
              file: dump.source,
              ...at,
              path: '',
              message:
                `repeats the top-level key ${JSON.stringify(key)}: two objects with no --- between them? ` +
                'Separate joined kubectl outputs with a line ---',
            });
          }
          joined = true;
          continue;
        }
        diagnostics.push({ severity: 'error', file: dump.source, ...at, path: '', message: `is not valid YAML: ${e.message.split('\n')[0]}` });
      }
      if (doc.errors.length > 0 || doc.contents === null) continue;
      const value: unknown = doc.toJS({ maxAliasCount: 100 });
      // An empty document (a trailing ---, a comment alone) holds no object and is no problem.
      if (value === null || value === undefined) continue;
      const at = doc.contents.range ? lineCounter.linePos(doc.contents.range[0]) : { line: 1, col: 1 };
      const items = isPlainObject(value) && value.kind === 'List' && Array.isArray(value.items) ? value.items : [value];
      items.forEach((item, i) => {
        const o = asObject(dump.source, item);
        if (o) objects.push(o);
        else
          diagnostics.push({
            severity: 'error',
            file: dump.source,
            ...at,
            path: items.length > 1 ? `items[${i}]` : '',
            message: 'is not a Kubernetes object (apiVersion, kind, metadata.name): give the output of kubectl get ... -o yaml',
          });
      });
    }
  }
  return { objects, diagnostics };
}

function asObject(source: string, item: unknown): KubeObject | undefined {
  if (!isPlainObject(item) || typeof item.apiVersion !== 'string' || typeof item.kind !== 'string' || !isPlainObject(item.metadata)) return undefined;
  const meta = item.metadata;
  if (typeof meta.name !== 'string') return undefined;
  return {
    source,
    apiVersion: item.apiVersion,
    kind: item.kind,
    name: meta.name,
    namespace: typeof meta.namespace === 'string' ? meta.namespace : undefined,
    labels: stringMap(meta.labels),
    annotations: stringMap(meta.annotations),
    body: item,
  };
}

function stringMap(x: unknown): Record<string, string> {
  if (!isPlainObject(x)) return {};
  return Object.fromEntries(Object.entries(x).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/** A ConfigMap's data, strings only. */
export function configMapData(o: KubeObject): Record<string, string> {
  return stringMap(o.body.data);
}

/** The object's spec, or an empty map. */
export function specOf(o: KubeObject): PlainMap {
  return isPlainObject(o.body.spec) ? o.body.spec : {};
}

/** `name` or `namespace/name`, as kubectl names an object. */
export function objectName(o: KubeObject): string {
  return `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;
}
