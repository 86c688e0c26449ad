/**
 * Regenerate lib/components/cilium/chart-keys.ts from the Cilium chart archives in the shared
 * reference folder (`$NETSCALE_SHARED/charts/cilium`, default ../shared beside the clone):
 *
 *   npm run cilium-keys
 *
 * For each chart the key tree is what its values.yaml sets, plus every `.Values.<path>` its
 * templates read and the keys its values.yaml documents only in a comment (`# mode: snat` under
 * loadBalancer), because values.yaml does not list every key the chart reads. A key whose
 * default is an empty map, or that a template hands to `toYaml` or ranges over, takes any
 * children (nodeSelector, podAnnotations, affinity). A test regenerates the file from the same
 * archives and compares, so it cannot drift from the charts.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { parse } from 'yaml';
import type { KeyNode, KeyTree } from '../lib/components/cilium/chart-values';

export const CHART_KEYS_FILE = 'lib/components/cilium/chart-keys.ts';

/** Regular files of a gzipped tar archive (ustar, with GNU and pax long names), by path. */
export function readTgz(archive: Buffer): Map<string, string> {
  const tar = zlib.gunzipSync(archive);
  const files = new Map<string, string>();
  let offset = 0;
  let longName: string | undefined;
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512);
    if (header.every((b) => b === 0)) break;
    const field = (start: number, length: number) =>
      header
        .subarray(start, start + length)
        .toString('utf8')
        .replace(/\0[\s\S]*$/, '');
    const size = parseInt(field(124, 12).trim() || '0', 8);
    const type = String.fromCharCode(header[156]);
    const body = tar.subarray(offset + 512, offset + 512 + size);
    offset += 512 + Math.ceil(size / 512) * 512;
    if (type === 'L') {
      longName = body.toString('utf8').replace(/\0[\s\S]*$/, '');
      continue;
    }
    if (type === 'x') {
      longName = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(body.toString('utf8'))?.[1] ?? longName;
      continue;
    }
    if (type === 'g') continue;
    const prefix = field(345, 155);
    const name = longName ?? (prefix ? `${prefix}/${field(0, 100)}` : field(0, 100));
    longName = undefined;
    if (type === '0' || type === '\0') files.set(name, body.toString('utf8'));
  }
  return files;
}

type MutableTree = { [key: string]: MutableNode };
type MutableNode = 0 | 1 | MutableTree;

function fromValues(value: unknown): MutableNode {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 0;
  const entries = Object.entries(value);
  return entries.length === 0 ? 1 : Object.fromEntries(entries.map(([k, v]) => [k, fromValues(v)]));
}

/** Adds `keys` under `tree`; `open` marks the last key as taking any children. */
function addPath(tree: MutableTree, keys: readonly string[], open: boolean): void {
  let node: MutableTree = tree;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const current = node[key];
    if (i === keys.length - 1) {
      if (open) node[key] = 1;
      else if (current === undefined) node[key] = 0;
      return;
    }
    if (current === 1) return;
    if (current === undefined || current === 0) node[key] = {};
    node = node[key] as MutableTree;
  }
}

const VALUES_PATH = String.raw`\$?[A-Za-z]*\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)`;

/** The keys a chart reads: its values.yaml, its templates' `.Values` paths and its commented keys. */
export function chartKeyTree(valuesYaml: string, templates: readonly string[]): KeyTree {
  const tree = fromValues(parse(valuesYaml));
  if (tree === 0 || tree === 1) throw new Error('values.yaml is not a map');
  const text = templates.join('\n');
  const keysOf = (match: string) => match.slice(1).split('.');
  // .Values.AsMap is Helm's method on the values object, not a key.
  for (const m of text.matchAll(new RegExp(VALUES_PATH, 'g'))) if (!m[1].startsWith('.AsMap')) addPath(tree, keysOf(m[1]), false);
  // Handed whole to toYaml or toJson: any children.
  for (const m of text.matchAll(new RegExp(String.raw`to(?:Yaml|Json)\s+\(?${VALUES_PATH}`, 'g'))) addPath(tree, keysOf(m[1]), true);
  // `with .Values.x` whose body (up to its first `end`) renders `toYaml .`, or `range $k, $v := .Values.x`: any children.
  for (const m of text.matchAll(new RegExp(String.raw`\bwith\s+${VALUES_PATH}\s*-?}}([\s\S]*?){{-?\s*end\b`, 'g'))) {
    if (/to(?:Yaml|Json)\s+\.\s*[|)}]/.test(m[2])) addPath(tree, keysOf(m[1]), true);
  }
  for (const m of text.matchAll(new RegExp(String.raw`\brange\s+\$\w+\s*,\s*\$\w+\s*:=\s*${VALUES_PATH}`, 'g'))) addPath(tree, keysOf(m[1]), true);
  for (const keys of commentedKeys(valuesYaml)) addPath(tree, keys, false);
  return freeze(tree) as KeyTree;
}

/** Keys documented as `# key: value` one level below a real key, outside `# @schema` blocks. */
function commentedKeys(valuesYaml: string): string[][] {
  const out: string[][] = [];
  const stack: Array<{ indent: number; keys: string[] }> = [{ indent: -1, keys: [] }];
  let inSchema = false;
  for (const line of valuesYaml.split('\n')) {
    if (/^\s*# @schema\s*$/.test(line)) {
      inSchema = !inSchema;
      continue;
    }
    if (inSchema) continue;
    const real = /^(\s*)([A-Za-z_][A-Za-z0-9_]*):(\s|$)/.exec(line);
    // Lower-case only: "# Ref: ..." and "# WARNING: ..." are prose; chart keys are camelCase.
    const commented = /^(\s*)# ([a-z][A-Za-z0-9_]*):(\s|$)/.exec(line);
    const m = real ?? commented;
    if (!m) continue;
    const indent = m[1].length;
    while (stack[stack.length - 1].indent >= indent) stack.pop();
    const keys = [...stack[stack.length - 1].keys, m[2]];
    if (real) stack.push({ indent, keys });
    else out.push(keys);
  }
  return out;
}

function freeze(node: MutableNode): KeyNode {
  if (node === 0 || node === 1) return node;
  return Object.fromEntries(
    Object.keys(node)
      .sort()
      .map((k) => [k, freeze(node[k])]),
  );
}

/** The generated module: one key tree per chart minor, from the chart versions given. */
export function chartKeysModule(charts: ReadonlyArray<{ readonly version: string; readonly keys: KeyTree }>): string {
  const sorted = [...charts].sort((a, b) => minorOf(a.version) - minorOf(b.version));
  const lines = [
    '// Generated by `npm run cilium-keys` (scripts/cilium-chart-keys.ts) from the Cilium chart archives; do not edit.',
    '// Per chart minor: the keys its values.yaml sets or documents and its templates read.',
    '// 0: any value; 1: a map with any keys; a map: those keys only.',
    "import type { ChartKeys } from './chart-values';",
    '',
    'export const CHART_KEYS: Readonly<Record<number, ChartKeys>> = {',
    ...sorted.map((c) => `  ${minorOf(c.version)}: { version: ${JSON.stringify(c.version)}, keys: ${JSON.stringify(c.keys)} },`),
    '};',
    '',
  ];
  return lines.join('\n');
}

function minorOf(version: string): number {
  return Number(version.split('.')[1]);
}

/** Every chart archive `cilium-<version>.tgz` of `dir`, with its key tree. */
export function chartKeysFromArchives(dir: string): Array<{ version: string; keys: KeyTree }> {
  return fs
    .readdirSync(dir)
    .map((file) => /^cilium-(\d+\.\d+\.\d+)\.tgz$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => {
      const files = readTgz(fs.readFileSync(path.join(dir, m[0])));
      const values = files.get('cilium/values.yaml');
      if (values === undefined) throw new Error(`${m[0]} has no cilium/values.yaml`);
      const templates = [...files]
        .filter(([name]) => name.startsWith('cilium/templates/'))
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, t]) => t);
      return { version: m[1], keys: chartKeyTree(values, templates) };
    });
}

if (require.main === module) {
  const shared = process.env.NETSCALE_SHARED ?? path.resolve(__dirname, '..', '..', 'shared');
  const charts = chartKeysFromArchives(path.join(shared, 'charts', 'cilium'));
  fs.writeFileSync(CHART_KEYS_FILE, chartKeysModule(charts));
  process.stdout.write(`wrote ${CHART_KEYS_FILE} from ${charts.map((c) => c.version).join(', ')}\n`);
}
