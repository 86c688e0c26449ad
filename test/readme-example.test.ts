/**
 * The README's example of the constructs in someone else's cdk8s app, exactly as the README prints
 * it: kept as test/fixtures/readme-example.ts, which `npm run typecheck` compiles against
 * lib/index.ts (one TypeScript program for the project and the example), and synthesized here.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const ROOT = path.join(__dirname, '..');
const INDEX = path.join(ROOT, 'lib', 'index.ts');
const EXAMPLE = path.join(ROOT, 'test', 'fixtures', 'readme-example.ts');

function readmeExample(): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Use the constructs in your own cdk8s app'));
  const block = /```ts\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no ts block under "Use the constructs in your own cdk8s app"');
  return block[1];
}

describe('the README example', () => {
  const source = readmeExample();

  test('imports only from netscale and cdk8s', () => {
    expect([...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]).sort()).toEqual(['cdk8s', 'netscale']);
  });

  test('is the file npm run typecheck compiles against lib/index.ts', () => {
    expect(fs.readFileSync(EXAMPLE, 'utf8')).toBe(source);
    // tsconfig.json resolves 'netscale' to lib/index.ts and includes the example, strict.
    const config = ts.readConfigFile(path.join(ROOT, 'tsconfig.json'), ts.sys.readFile).config;
    const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
    expect(parsed.fileNames).toContain(EXAMPLE);
    expect(parsed.options.strict).toBe(true);
    expect(parsed.options.paths).toEqual({ netscale: ['./lib/index.ts'] });
  });

  test("synthesizes Typha for 1000 nodes and kube-proxy with seed 002's conntrack", () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'netscale-readme-'));
    const previous = process.env.CDK8S_OUTDIR;
    process.env.CDK8S_OUTDIR = out;
    try {
      const bundle = esbuild.buildSync({
        stdin: { contents: source, resolveDir: ROOT, loader: 'ts', sourcefile: 'readme-example.ts' },
        bundle: true,
        platform: 'node',
        format: 'cjs',
        write: false,
        alias: { netscale: INDEX },
        external: ['cdk8s', 'cdk8s-plus-27', 'constructs', 'yaml'],
        logLevel: 'silent',
      });
      new Function('require', bundle.outputFiles[0].text)(require);
      const objects = fs.readdirSync(out).flatMap((f) => parseAllDocuments(fs.readFileSync(path.join(out, f), 'utf8')).map((d) => d.toJS()));
      const deployment = objects.find((o) => o.kind === 'Deployment');
      expect(deployment.spec.replicas).toBe(5);
      const config = objects.find((o) => o.kind === 'ConfigMap').data['config.conf'];
      expect(config).toContain('maxPerCore: 144420');
      expect(config).toContain('min: 2310720');
      expect(config).toContain('scheduler: lc');
    } finally {
      if (previous === undefined) delete process.env.CDK8S_OUTDIR;
      else process.env.CDK8S_OUTDIR = previous;
      fs.rmSync(out, { recursive: true, force: true });
    }
  });
});
