/**
 * The README's example of the constructs in someone else's cdk8s app: type-checked against
 * lib/index.ts and synthesized, exactly as the README prints it.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as esbuild from 'esbuild';
import * as ts from 'typescript';
import { parseAllDocuments } from 'yaml';

const ROOT = path.join(__dirname, '..');
const INDEX = path.join(ROOT, 'lib', 'index.ts');

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

  test('type-checks against lib/index.ts', () => {
    const dir = fs.mkdtempSync(path.join(ROOT, 'node_modules', '.readme-example-'));
    try {
      const file = path.join(dir, 'example.ts');
      fs.writeFileSync(file, source);
      const program = ts.createProgram([file], {
        strict: true,
        noEmit: true,
        target: ts.ScriptTarget.ES2022,
        module: ts.ModuleKind.CommonJS,
        moduleResolution: ts.ModuleResolutionKind.Node10,
        esModuleInterop: true,
        skipLibCheck: true,
        types: ['node'],
        baseUrl: ROOT,
        paths: { netscale: [path.relative(ROOT, INDEX)] },
      });
      const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      expect(problems).toEqual([]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

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
