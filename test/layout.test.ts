/**
 * The layering the README's "How netscale is built" describes, held against the imports: each
 * layer imports only from layers below it, components stay free of the profile and of zod, and
 * constructs take plain props.
 */
import * as fs from 'fs';
import * as path from 'path';

const ROOT = path.join(__dirname, '..');
const LIB = path.join(ROOT, 'lib');

/** Layers from the bottom; a file may import its own layer and those below. */
const LAYERS: ReadonlyArray<readonly string[]> = [
  ['core'],
  ['components'],
  ['profile'],
  ['cluster'],
  ['delivery', 'review'],
  ['output'],
  ['import'],
  ['cli'],
];

function libFiles(dir = LIB): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? libFiles(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
}

function importsOf(file: string): string[] {
  const text = fs.readFileSync(file, 'utf8');
  return [...text.matchAll(/^(?:import|export)[^'";]*?from '([^']+)'/gm)].map((m) => m[1]);
}

function layerOf(file: string): number {
  const top = path.relative(LIB, file).split(path.sep)[0];
  return LAYERS.findIndex((names) => names.includes(top));
}

const files = libFiles().filter((f) => path.relative(LIB, f) !== 'index.ts');

describe('the layers of lib/', () => {
  test('every folder of lib/ is a layer', () => {
    const folders = fs
      .readdirSync(LIB, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => e.name);
    expect(folders.filter((f) => !LAYERS.flat().includes(f))).toEqual([]);
  });

  test('imports run one way: no file imports a layer above its own', () => {
    const upward: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(file).filter((s) => s.startsWith('.'))) {
        const target = path.resolve(path.dirname(file), spec);
        if (!target.startsWith(LIB)) continue;
        if (layerOf(target) > layerOf(file)) upward.push(`${path.relative(ROOT, file)} -> ${spec}`);
      }
    }
    expect(upward).toEqual([]);
  });

  test('components import neither the profile layer nor zod, outside their own schema.ts', () => {
    const offending: string[] = [];
    for (const file of files.filter((f) => path.relative(LIB, f).startsWith('components'))) {
      const isSchema = path.basename(file) === 'schema.ts';
      for (const spec of importsOf(file)) {
        if ((spec === 'zod' || spec.includes('zod-fields')) && !isSchema) offending.push(`${path.relative(ROOT, file)} imports ${spec}`);
        if (spec.startsWith('.') && path.resolve(path.dirname(file), spec).startsWith(path.join(LIB, 'profile')))
          offending.push(`${path.relative(ROOT, file)} imports ${spec}`);
      }
    }
    expect(offending).toEqual([]);
  });

  test('constructs take plain props: no construct file imports a profile section schema', () => {
    const constructFiles = files.filter((f) => /class \w+ extends (Construct|Chart)\b/.test(fs.readFileSync(f, 'utf8')));
    expect(constructFiles.length).toBeGreaterThan(10);
    const offending = constructFiles.filter((f) => importsOf(f).some((s) => /(^|\/)schema$/.test(s) || s === 'zod'));
    expect(offending.map((f) => path.relative(ROOT, f))).toEqual([]);
  });
});

describe('the README folder map', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const map = readme.slice(readme.indexOf('## How netscale is built'), readme.indexOf('Adding a component:'));

  test('names every folder of lib/ and every component', () => {
    const folders = fs
      .readdirSync(LIB, { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `lib/${e.name}/`);
    const components = fs
      .readdirSync(path.join(LIB, 'components'), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `\`${e.name}\``);
    expect([...folders, ...components].filter((name) => !map.includes(name))).toEqual([]);
  });

  test('names no folder that does not exist', () => {
    const named = [...map.matchAll(/`(lib\/[a-z/-]+\/)/g)].map((m) => m[1].replace(/<name>\/$/, ''));
    expect(named.filter((n) => !fs.existsSync(path.join(ROOT, n)))).toEqual([]);
  });
});

describe('the tests', () => {
  test("build construct charts with test/support/charts.ts, not cdk8s's Testing.app() or Testing.chart()", () => {
    // Those make an empty temporary folder per call and never remove it: hundreds per run of the suite.
    const testDir = path.join(__dirname);
    const offenders = fs
      .readdirSync(testDir)
      .filter((f) => f.endsWith('.ts') && f !== path.basename(__filename))
      .filter((f) => /\bTesting\.(app|chart)\(/.test(fs.readFileSync(path.join(testDir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
