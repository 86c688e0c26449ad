/**
 * The command line as a user meets it, called in process (lib/cli/main.ts); one smoke test runs
 * the real binary.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { COMMANDS, ENVIRONMENT } from '../lib/cli/args';
import { warningLines, WARNINGS_PRINTED_IN_FULL } from '../lib/cli/report';
import { REFERENCES } from '../lib/core/references';
import { synthesizeFleet } from '../lib/output/fleet';
import { POOL_THRESHOLD } from '../lib/output/render-pool';
import { NETSCALE_VERSION } from '../lib/output/version';
import { runCli } from './support/cli';
import { snapshot, tempDirPerTest } from './support/files';
import { ACK_TERWAY, CALICO_INSTALL, KUBEADM_CALICO, KUBEADM_CILIUM, profileYaml, Spec } from './support/profiles';

const ROOT = path.join(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'clusters');
const temp = tempDirPerTest('cli');

function fleet(name: string, profiles: Record<string, Spec>): string {
  const dir = path.join(temp.path, name);
  fs.mkdirSync(dir, { recursive: true });
  for (const [cluster, spec] of Object.entries(profiles)) fs.writeFileSync(path.join(dir, `${cluster}.yaml`), profileYaml(spec, cluster));
  return dir;
}

/** A copy of the example fleet, synthesized (its reviews name the copy's files), to change freely. */
function examples(): { clusters: string; out: string; env: Record<string, string> } {
  const clusters = path.join(temp.path, 'clusters');
  const out = path.join(temp.path, 'dist');
  fs.cpSync(EXAMPLES, clusters, { recursive: true });
  synthesizeFleet({ clustersDir: clusters, outdir: out });
  return { clusters, out, env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: out } };
}

describe('help and version', () => {
  test.each([['--help'], ['-h'], ['help']])('%s lists every command and environment variable, exit 0', async (arg) => {
    const run = await runCli([arg]);
    expect(run.status).toBe(0);
    expect(run.stderr).toBe('');
    for (const c of COMMANDS) expect(run.stdout).toMatch(new RegExp(`^ {2}${c.name} +\\S`, 'm'));
    for (const [name] of ENVIRONMENT) expect(run.stdout).toContain(name);
    expect(run.stdout).not.toContain('main.ts');
  });

  test("help COMMAND and COMMAND --help show that command's options", async () => {
    const help = await runCli(['help', 'import']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: netscale import /);
    for (const option of ['--name', '--platform', '--cilium-values', '--out']) expect(help.stdout).toContain(option);
    expect((await runCli(['import', '--help'])).stdout).toBe(help.stdout);
    const unknown = await runCli(['help', 'chek']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe(
      'error: help: no command "chek" (did you mean "check"?); commands: synth, check, diff, explain, import, help, version\n',
    );
  });

  test('help lists every environment variable netscale reads, and nothing it does not read', () => {
    const read = new Set<string>();
    const scan = (file: string) => {
      for (const m of fs.readFileSync(file, 'utf8').matchAll(/\benv\??\.([A-Z][A-Z0-9_]+)/g)) read.add(m[1]);
    };
    const walk = (dir: string) => {
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (/\.(ts|js)$/.test(e.name)) scan(p);
      }
    };
    walk(path.join(ROOT, 'lib'));
    scan(path.join(ROOT, 'bin', 'netscale.js'));
    scan(path.join(ROOT, 'main.ts'));
    // Set by the cdk8s CLI for the apps it runs, not by users: it tells netscale the CLI empties its output folder.
    read.delete('CDK8S_RECORD_CONSTRUCT_METADATA');
    expect([...read].sort()).toEqual(ENVIRONMENT.map(([name]) => name).sort());
  });

  test.each([['--version'], ['version']])('%s prints the version, exit 0', async (arg) => {
    const run = await runCli([arg]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(new RegExp(`^netscale ${NETSCALE_VERSION.replace(/\./g, '\\.')} \\(build [0-9a-f]{16}\\)\\n$`));
  });

  test('fails on an unknown command or option with a hint, exit 2', async () => {
    expect(await runCli(['synthesize'])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'error: unknown command "synthesize" (did you mean "synth"?); run netscale --help for the commands\n',
    });
    expect(await runCli(['check', '--ful'])).toEqual({
      status: 2,
      stdout: '',
      stderr: 'error: unknown option "--ful" for check (did you mean "--full"?); run netscale help check\n',
    });
    expect((await runCli(['synth', '--cluster'])).stderr).toBe('error: --cluster needs a value: --cluster NAME\n');
    expect((await runCli(['import', 'a.yaml'])).stderr).toMatch(/^error: import needs --name NAME/);
  });
});

describe('the commands where users meet them', () => {
  test('every command that works on the fleet has an npm script of the same name', () => {
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const c of COMMANDS.filter((x) => x.name !== 'help' && x.name !== 'version'))
      expect({ [c.name]: scripts[c.name] }).toEqual({ [c.name]: `node bin/netscale.js ${c.name}` });
  });

  test("the README's command table covers every command and environment variable", () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Everyday commands'), readme.indexOf('### Is `dist/` fresh?'));
    for (const c of COMMANDS) expect(section).toMatch(new RegExp(`^\\| \`${c.name}[ \`]`, 'm'));
    for (const [name] of ENVIRONMENT) expect(section).toMatch(new RegExp(`^\\| \`${name}\` \\|`, 'm'));
  });
});

describe('check', () => {
  test('exits 0 on the committed dist/ and writes nothing', async () => {
    const { env, clusters, out } = examples();
    const before = { clusters: snapshot(clusters), out: snapshot(out), temp: fs.readdirSync(temp.path) };
    const run = await runCli(['check'], { env });
    expect(run.status).toBe(0);
    expect(run.stderr).toMatch(/netscale: .*dist\/ \(13 clusters\) is up to date with the profiles in .*clusters\/ \(6 warnings\)\n$/);
    expect({ clusters: snapshot(clusters), out: snapshot(out), temp: fs.readdirSync(temp.path) }).toEqual(before);
  });

  test('fails listing every stale, missing and extra file, and writes nothing', async () => {
    const { env, out } = examples();
    fs.appendFileSync(path.join(out, 'ack-sh-relay', 'Deployment.calico-typha.k8s.yaml'), '# edited by hand\n');
    fs.rmSync(path.join(out, 'reviews', 'dc1-calico-ipip.md'));
    fs.writeFileSync(path.join(out, 'ack-sh-relay', 'ConfigMap.old.k8s.yaml'), 'kind: ConfigMap\n');
    const before = snapshot(out);
    const run = await runCli(['check'], { env });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${out}/ is not what the profiles render: 3 files differ\n`);
    expect(run.stderr).toContain(`  stale    ${out}/ack-sh-relay/Deployment.calico-typha.k8s.yaml\n`);
    expect(run.stderr).toContain(`  missing  ${out}/reviews/dc1-calico-ipip.md\n`);
    expect(run.stderr).toContain(`  extra    ${out}/ack-sh-relay/ConfigMap.old.k8s.yaml\n`);
    expect(run.stderr).toContain('run npm run synth and commit');
    expect(snapshot(out)).toEqual(before);
  });

  test('reports a bad profile like synth, without claiming to have spared dist/, exit 1', async () => {
    const { env, clusters } = examples();
    fs.writeFileSync(path.join(clusters, 'bad.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 0 }, 'bad'));
    const run = await runCli(['check'], { env });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/error: 1 problem in the cluster profiles:\n {2}.*bad\.yaml:\d+:\d+ spec\.nodes: must be at least 1 \(got 0\)\n$/);
    expect(run.stderr).not.toContain('dist/ was not changed');
  });

  test("--cluster checks that cluster's files only", async () => {
    const { env, out } = examples();
    fs.appendFileSync(path.join(out, 'ack-sh-relay', 'Service.calico-typha.k8s.yaml'), '# edited\n');
    expect((await runCli(['check', '--cluster', 'dc1-calico-ipip'], { env })).status).toBe(0);
    const run = await runCli(['check', '--cluster', 'ack-sh-relay'], { env });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`  stale    ${out}/ack-sh-relay/Service.calico-typha.k8s.yaml\n`);
    expect(run.stderr).toContain('run npm run synth -- --cluster ack-sh-relay');
  });
});

describe('diff', () => {
  test('prints the unified diff synth would apply, and writes nothing', async () => {
    const { env, clusters, out } = examples();
    const profile = path.join(clusters, 'ack-terway-relay.yaml');
    fs.writeFileSync(profile, fs.readFileSync(profile, 'utf8').replace('nodes: 1000', 'nodes: 1400'));
    fs.writeFileSync(path.join(out, 'stray.yaml'), 'old\n');
    const before = snapshot(out);
    const run = await runCli(['diff'], { env });
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(
      `--- ${out}/ack-sh-relay/Deployment.calico-typha.k8s.yaml\n+++ ${out}/ack-sh-relay/Deployment.calico-typha.k8s.yaml\n@@ `,
    );
    expect(run.stdout).toContain('\n-  replicas: 5\n+  replicas: 7\n');
    expect(run.stdout).toContain(`--- ${out}/stray.yaml\n+++ /dev/null\n@@ -1 +0,0 @@\n-old\n`);
    expect(run.stderr).toMatch(/netscale: \d+ files of .*dist\/ differ from what synth would write \(\d+ changed, 0 new, 1 to delete\)\n$/);
    expect(snapshot(out)).toEqual(before);
  });

  test.each(['dist', './dist'])('git apply takes the diff and gives what synth writes (CDK8S_OUTDIR=%s)', async (outdir) => {
    const cwd = process.cwd();
    process.chdir(temp.path);
    try {
      fs.cpSync(EXAMPLES, 'clusters', { recursive: true });
      synthesizeFleet({ clustersDir: 'clusters', outdir: 'dist' });
      const profile = path.join('clusters', 'calico-bgp-rr-ipvs.yaml');
      fs.writeFileSync(
        profile,
        fs.readFileSync(profile, 'utf8').replace(/nodes: (\d+)/, (_, n: string) => `nodes: ${Number(n) + 300}`),
      );
      fs.writeFileSync(path.join('dist', 'stray.yaml'), 'old\n');
      const run = await runCli(['diff'], { env: { CLUSTERS_DIR: 'clusters', CDK8S_OUTDIR: outdir } });
      expect(run.status).toBe(1);
      expect(run.stdout).toContain(
        '--- a/dist/dc2-calico-bgp/Deployment.calico-typha.k8s.yaml\n+++ b/dist/dc2-calico-bgp/Deployment.calico-typha.k8s.yaml\n',
      );
      fs.mkdirSync('work');
      fs.cpSync('dist', path.join('work', 'dist'), { recursive: true });
      const apply = spawnSync('git', ['apply', '-'], { input: run.stdout, encoding: 'utf8', cwd: path.join(temp.path, 'work') });
      expect(apply.stderr).toBe('');
      expect(apply.status).toBe(0);
      synthesizeFleet({ clustersDir: 'clusters', outdir: 'dist' });
      expect(snapshot(path.join('work', 'dist'))).toEqual(snapshot('dist'));
    } finally {
      process.chdir(cwd);
    }
  });

  test('exits 0 and prints nothing on stdout when dist/ is fresh', async () => {
    const { env } = examples();
    const run = await runCli(['diff'], { env });
    expect(run.status).toBe(0);
    expect(run.stdout).toBe('');
  });

  test('takes --verbose, which the warning summary of a big fleet points to', async () => {
    const { env } = examples();
    const run = await runCli(['diff', '--verbose'], { env });
    expect(run.status).toBe(0);
    expect(run.stderr.split('\n').filter((l) => l.startsWith('warning: '))).toHaveLength(6);
  });
});

describe('check and diff compare only with a folder synth would write', () => {
  test.each(['check', 'diff', 'check --cluster dc1-calico-ipip', 'diff --cluster dc1-calico-ipip'])(
    '%s refuses an empty CDK8S_OUTDIR, as synth does, exit 2',
    async (command) => {
      const args = command.split(' ');
      const { env } = examples();
      const run = await runCli(args, { env: { ...env, CDK8S_OUTDIR: '' } });
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(
        'error: no output folder given (CDK8S_OUTDIR is empty): set it to a folder netscale may own, such as dist; nothing was written\n',
      );
      expect(run.stdout).toBe('');
    },
  );

  test.each(['check', 'diff'])('%s refuses a folder of files netscale did not write, and the clusters folder', async (command) => {
    const { env, clusters } = examples();
    const foreign = path.join(temp.path, 'foreign');
    fs.mkdirSync(foreign);
    fs.writeFileSync(path.join(foreign, 'notes.txt'), 'mine\n');
    const other = await runCli([command], { env: { ...env, CDK8S_OUTDIR: foreign } });
    expect(other.status).toBe(2);
    expect(other.stderr).toMatch(/^error: the output folder ".*foreign" holds files netscale did not write \(notes\.txt\) and no /);
    const own = await runCli([command], { env: { ...env, CDK8S_OUTDIR: clusters } });
    expect(own.status).toBe(2);
    expect(own.stderr).toMatch(
      /^error: the output folder ".*clusters" is the clusters folder: netscale would delete the profiles; nothing was written\n$/,
    );
    expect(fs.readFileSync(path.join(foreign, 'notes.txt'), 'utf8')).toBe('mine\n');
  });
});

describe('explain', () => {
  test('on a folder says it wants a file', async () => {
    const run = await runCli(['explain', EXAMPLES]);
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `error: 1 problem in the cluster ` +
        `profiles:\n  ${path.relative(process.cwd(), EXAMPLES)}:1:1 is a folder: explain takes one profile file, e.g. clusters/prod.yaml\n`,
    );
  });

  test('takes exactly one file', async () => {
    expect((await runCli(['explain'])).stderr).toBe('error: explain takes one profile file, e.g. netscale explain clusters/prod.yaml\n');
  });

  test('prints the resolved profile and its review and writes nothing: not the output folder, the profiles or the cache', async () => {
    const { clusters, out } = examples();
    // A profile changed since the last synth: explain shows it as it is now, and dist/ stays stale.
    const profile = path.join(clusters, 'ack-terway-relay.yaml');
    fs.writeFileSync(profile, fs.readFileSync(profile, 'utf8').replace('nodes: 1000', 'nodes: 1400'));
    const cache = path.join(temp.path, 'cache');
    const before = snapshot(temp.path);
    const run = await runCli(['explain', profile], { env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: out, NETSCALE_RENDER_CACHE: cache } });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/^# Resolved profile\n/);
    expect(run.stdout).toContain('nodes: 1400');
    expect(run.stdout).toContain('| Typha replicas | 7 |');
    expect(snapshot(temp.path)).toEqual(before);
    expect(fs.existsSync(cache)).toBe(false);
  });
});

describe('--cluster', () => {
  test('an unknown name lists the names that exist', async () => {
    const { env } = examples();
    const run = await runCli(['synth', '--cluster', 'ack-sh'], { env });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(
      'holds no ClusterProfile named "ack-sh"; it holds ack-bj-alerts, ack-hz-nopolicy, ack-sh-canary, ack-sh-relay, ack-sh-vswitch, ' +
        'dc1-calico-ipip, dc2-calico-bgp, dc3-calico-nft, dc3-calico-scale, fra-cilium-canary, fra-cilium-dsr, fra-cilium-wave, k3s-lab-kpr',
    );
  });

  test('in a large fleet, the names closest to the one asked for come first', async () => {
    const clusters = fleet(
      'many',
      Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`edge-${String(i).padStart(2, '0')}`, { ...ACK_TERWAY, networkPolicy: 'disabled' }])),
    );
    fs.writeFileSync(path.join(clusters, 'zz.yaml'), profileYaml({ ...ACK_TERWAY, networkPolicy: 'disabled' }, 'prod-sh'));
    const run = await runCli(['synth', '--cluster', 'prod'], { env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out') } });
    expect(run.stderr).toContain('holds no ClusterProfile named "prod"; it holds prod-sh, edge-00, edge-01,');
    expect(run.stderr).toContain('and 11 more');
  });
});

describe('warnings in a big fleet', () => {
  const profiles = Object.fromEntries(
    Array.from({ length: 25 }, (_, i) => [`c${String(i).padStart(2, '0')}`, { ...ACK_TERWAY, networkPolicy: 'direct' }]),
  );

  test('one line per rule with the count and three example clusters; --verbose prints each', async () => {
    const clusters = fleet('big', { ...profiles, odd: { ...KUBEADM_CALICO, nodes: 40, kubeProxy: { scheduler: 'lc' } } });
    const env = { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out') };
    const run = await runCli(['synth'], { env });
    expect(run.status).toBe(0);
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines.filter((l) => l.includes('odd.yaml'))).toEqual([
      expect.stringMatching(/^warning: .*odd\.yaml:\d+:\d+ spec\.kubeProxy: has no baseConfig/),
    ]);
    expect(lines[lines.length - 1]).toBe(
      "netscale: 26 warnings in 2 rules, one line each; --verbose prints every one, and each review lists its cluster's",
    );
    const verbose = await runCli(['synth', '--verbose'], { env });
    const each = verbose.stderr.split('\n').filter((l) => l.startsWith('warning: ') && l.includes('spec.networkPolicy: direct on 1000 nodes'));
    expect(each).toHaveLength(25);
    // The summary line is c00's own warning (message and the guides it cites) with the count, the examples and where it is.
    const [, where, text] = /^warning: (\S*c00\.yaml:\d+:\d+) spec\.networkPolicy: (.*)$/.exec(each[0])!;
    expect(text).toMatch(/ \(ACK: .*<https:\/\/[^>]+>\)$/);
    expect(lines.filter((l) => l.includes('spec.networkPolicy: direct on 1000 nodes'))).toEqual([
      `warning: 25 clusters (c00, c01, c02, ...): spec.networkPolicy: ${text}; first in ${where}`,
    ]);
    // The reviews keep every warning of their cluster.
    expect(fs.readFileSync(path.join(temp.path, 'out', 'reviews', 'c24.md'), 'utf8')).toMatch(
      /## Warnings\n\n- .*c24\.yaml:\d+:\d+ spec\.networkPolicy: direct on 1000 nodes/,
    );
  });

  test('a terminal shows progress for fleets over 200 clusters; a pipe never does', async () => {
    const small = { ...ACK_TERWAY, nodes: 50, networkPolicy: 'disabled' };
    const clusters = fleet('progress', Object.fromEntries(Array.from({ length: 201 }, (_, i) => [`p${String(i).padStart(3, '0')}`, small])));
    const env = { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out') };
    const tty = await runCli(['check'], { env, tty: true });
    expect(tty.stderr).toContain('\rnetscale: checking 201 of 201 clusters (100%)');
    expect(tty.stderr).toContain('\r\u001b[K');
    const piped = await runCli(['check'], { env });
    expect(piped.stderr).not.toContain('\r');
    const under = fleet('under', Object.fromEntries(Array.from({ length: 3 }, (_, i) => [`u${i}`, small])));
    expect((await runCli(['check'], { env: { ...env, CLUSTERS_DIR: under }, tty: true })).stderr).not.toContain('\r');
  }, 30_000);
});

describe('the summary line of a rule', () => {
  const many = (message: string) =>
    Array.from({ length: WARNINGS_PRINTED_IN_FULL + 1 }, (_, i) => ({
      severity: 'warning' as const,
      file: `clusters/c${i}.yaml`,
      line: 3,
      col: 5,
      path: 'spec.networkPolicy',
      message,
      source: [REFERENCES.calicoTyphaScaling],
    }));
  const clusterOf = new Map(Array.from({ length: 30 }, (_, i) => [`clusters/c${i}.yaml`, `c${i}`]));

  test('cites the guide by title and URL', () => {
    const [line] = warningLines(many('use the relay'), clusterOf, false);
    expect(line).toBe(
      `warning: 21 clusters (c0, c1, c10, ...): spec.networkPolicy: use the ` +
        `relay (${REFERENCES.calicoTyphaScaling.title} <${REFERENCES.calicoTyphaScaling.url}>); first in clusters/c0.yaml:3:5`,
    );
  });

  test('redacts a credential in the message, as the one-by-one lines do', () => {
    const lines = warningLines(many('fetched from https://admin:hunter2secret@repo.example.com'), clusterOf, false);
    expect(lines.join('\n')).not.toContain('hunter2secret');
    expect(lines[0]).toContain('(redacted)');
  });
});

describe('files netscale does not read', () => {
  test('are named in one warning, hidden profiles too; other hidden files are left out', async () => {
    const clusters = fleet('mixed', { good: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    fs.writeFileSync(path.join(clusters, '.good.yaml.swp'), 'x');
    fs.writeFileSync(path.join(clusters, '.hidden.yaml'), profileYaml(ACK_TERWAY, 'hidden'));
    fs.writeFileSync(path.join(clusters, 'prod.json'), '{}');
    fs.writeFileSync(path.join(clusters, 'README.md'), '# notes');
    fs.mkdirSync(path.join(clusters, 'archive'));
    const run = await runCli(['synth'], { env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out') } });
    expect(run.status).toBe(0);
    expect(run.stderr.split('\n').filter((l) => l.includes('not read as profiles'))).toEqual([
      `warning: ${clusters}:1:1 holds entries that are not read as profiles (profiles end in .yaml or .yml): .hidden.yaml (hidden), ` +
        `README.md, archive/, prod.json`,
    ]);
    expect(fs.readdirSync(path.join(temp.path, 'out'))).not.toContain('hidden');
  });
});

describe('reuse of unchanged clusters', () => {
  function cachedEnv(clusters: string, out: string) {
    return { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: out, NETSCALE_RENDER_CACHE: path.join(temp.path, 'cache') };
  }

  test('after one profile changes, only that cluster renders, and --full writes the same bytes', async () => {
    const { clusters, out } = examples();
    const env = cachedEnv(clusters, out);
    expect((await runCli(['synth'], { env })).stdout).toMatch(/\(6 warnings; 0 files written, 0 removed\)\n$/);
    expect((await runCli(['synth'], { env })).stdout).toMatch(/\(6 warnings; 0 files written, 0 removed, 13 reused unchanged\)\n$/);
    const profile = path.join(clusters, 'calico-ipip-ipvs.yaml');
    fs.writeFileSync(
      profile,
      fs.readFileSync(profile, 'utf8').replace(/nodes: (\d+)/, (_, n: string) => `nodes: ${Number(n) + 100}`),
    );
    const stale = await runCli(['check'], { env });
    expect(stale.status).toBe(1);
    const again = await runCli(['synth'], { env });
    expect(again.stdout).toMatch(/synthesized into .*\(6 warnings; \d+ files written, 0 removed, 12 reused unchanged\)\n$/);
    const incremental = snapshot(out);
    const full = path.join(temp.path, 'full');
    expect((await runCli(['synth', '--full'], { env: { ...env, CDK8S_OUTDIR: full } })).status).toBe(0);
    expect(snapshot(full)).toEqual(incremental);
    expect((await runCli(['check'], { env })).status).toBe(0);
    expect((await runCli(['check', '--full'], { env })).status).toBe(0);
  });

  test('a bad profile still leaves dist/ untouched, and check and diff never write the cache', async () => {
    const { clusters, out } = examples();
    const env = cachedEnv(clusters, out);
    await runCli(['synth'], { env });
    const cache = snapshot(path.join(temp.path, 'cache'));
    fs.writeFileSync(path.join(clusters, 'ack-terway-relay.yaml'), profileYaml({ ...ACK_TERWAY, nodes: 'many' }, 'ack-sh-relay'));
    const before = snapshot(out);
    expect((await runCli(['synth'], { env })).status).toBe(1);
    expect(snapshot(out)).toEqual(before);
    fs.writeFileSync(
      path.join(clusters, 'ack-terway-relay.yaml'),
      profileYaml({ ...ACK_TERWAY, nodes: 700, networkPolicy: 'relay' }, 'ack-sh-relay'),
    );
    expect((await runCli(['check'], { env })).status).toBe(1);
    expect((await runCli(['diff'], { env })).status).toBe(1);
    expect(snapshot(path.join(temp.path, 'cache'))).toEqual(cache);
  });

  test('a Calico cluster renders again when dist/ holds other pools than it was checked against, so the in-place check still holds', async () => {
    const { clusters, out } = examples();
    const env = cachedEnv(clusters, out);
    await runCli(['synth'], { env });
    const pool = path.join(out, 'dc1-calico-ipip', 'IPPool.default-ipv4-ippool.k8s.yaml');
    const original = fs.readFileSync(pool, 'utf8');
    // What dist/ holds on a branch where the pool had another cidr: the profile would change it in place.
    fs.writeFileSync(pool, original.replace('cidr: 10.244.0.0/16', 'cidr: 10.99.0.0/16'));
    const refused = new RegExp(
      /calico-ipip-ipvs\.yaml:\d+:\d+ spec\.calico\.ipPools\[0\]\.cidr: 10\.244\.0\.0\/16 differs from 10\.99\.0\.0\/16, /.source +
        /the cidr of pool "default-ipv4-ippool" already rendered in dist\//.source,
    );
    const synth = await runCli(['synth'], { env });
    expect(synth.status).toBe(1);
    expect(synth.stderr).toMatch(refused);
    const check = await runCli(['check'], { env });
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(refused);
    fs.writeFileSync(pool, original);
    expect((await runCli(['synth'], { env })).stdout).toContain('(6 warnings; 0 files written, 0 removed, 13 reused unchanged)');
    // A new output folder holds no pools: the two clusters with pools render again, checked
    // against nothing, and what they wrote there is what their next reuse finds.
    const fresh = { ...env, CDK8S_OUTDIR: path.join(temp.path, 'fresh') };
    expect((await runCli(['synth'], { env: fresh })).stdout).toContain('11 reused unchanged');
    expect((await runCli(['synth'], { env: fresh })).stdout).toContain('(6 warnings; 0 files written, 0 removed, 13 reused unchanged)');
  });

  test('a profile reached by another path renders again: its review names its repository path, its warnings the path as typed', async () => {
    const repo = path.join(temp.path, 'repo');
    fs.cpSync(EXAMPLES, path.join(repo, 'clusters'), { recursive: true });
    const out = path.join(temp.path, 'out');
    const env = { CLUSTERS_DIR: path.join(repo, 'clusters'), CDK8S_OUTDIR: out, NETSCALE_RENDER_CACHE: path.join(temp.path, 'cache') };
    const review = () => fs.readFileSync(path.join(out, 'reviews', 'ack-sh-relay.md'), 'utf8');
    expect((await runCli(['synth'], { env })).status).toBe(0);
    expect(review()).toContain('Profile `clusters/ack-terway-relay.yaml`');
    expect((await runCli(['synth'], { env })).stdout).toContain('13 reused unchanged');
    // A repository found higher up: the same bytes, another path in the repository.
    fs.mkdirSync(path.join(temp.path, '.git'));
    const moved = await runCli(['synth'], { env });
    expect(moved.stdout).not.toContain('reused');
    expect(review()).toContain('Profile `repo/clusters/ack-terway-relay.yaml`');
    expect(review()).toMatch(/## Warnings\n\n- repo\/clusters\/ack-terway-relay\.yaml:\d+:\d+ spec\.argocd:/);
    const full = path.join(temp.path, 'full');
    expect((await runCli(['synth', '--full'], { env: { ...env, CDK8S_OUTDIR: full } })).status).toBe(0);
    expect(snapshot(full)).toEqual(snapshot(out));
    // From another working directory the warnings name the file as typed there.
    const cwd = process.cwd();
    process.chdir(temp.path);
    try {
      const typed = await runCli(['synth'], { env: { ...env, CLUSTERS_DIR: path.join('repo', 'clusters') } });
      expect(typed.stdout).toContain('(6 warnings; 0 files written, 0 removed)');
      expect(typed.stderr).toMatch(/^warning: repo\/clusters\/ack-terway-relay\.yaml:\d+:\d+ spec\.argocd:/m);
      expect((await runCli(['synth'], { env: { ...env, CLUSTERS_DIR: path.join('repo', 'clusters') } })).stdout).toContain('13 reused unchanged');
    } finally {
      process.chdir(cwd);
    }
  });

  test("the fleet's ApplicationSets and index are built from cached and rendered clusters alike", async () => {
    const { clusters, out } = examples();
    const env = cachedEnv(clusters, out);
    await runCli(['synth'], { env });
    const appSet = path.join(out, 'argocd', 'ApplicationSet.netscale-cilium-stages.k8s.yaml');
    const before = fs.readFileSync(appSet, 'utf8');
    // A staged cluster's Cilium values travel in its element of the ApplicationSet.
    const profile = path.join(clusters, 'cilium-wave-argocd.yaml');
    fs.writeFileSync(
      profile,
      fs.readFileSync(profile, 'utf8').replace('operatorReplicas: 3', 'operatorReplicas: 2').replace('nodes: 800', 'nodes: 900'),
    );
    expect((await runCli(['synth'], { env })).stdout).toContain('12 reused unchanged');
    expect(fs.readFileSync(appSet, 'utf8')).not.toBe(before);
    expect(fs.readFileSync(path.join(out, 'reviews', 'README.md'), 'utf8')).toMatch(/^\| 1 \| 1 \| 900 \| 1 at a time \| \[fra-cilium-wave\]/m);
    const full = path.join(temp.path, 'full');
    expect((await runCli(['synth', '--full'], { env: { ...env, CDK8S_OUTDIR: full } })).status).toBe(0);
    expect(snapshot(full)).toEqual(snapshot(out));
  });

  test('a damaged cache entry is rendered again, never written as it is', async () => {
    const { clusters, out } = examples();
    const env = cachedEnv(clusters, out);
    await runCli(['synth'], { env });
    const outDir = path.join(temp.path, 'cache', fs.readdirSync(path.join(temp.path, 'cache'))[0], 'packs');
    // Same length, other bytes: only the hash tells.
    for (const f of fs.readdirSync(outDir)) {
      const file = path.join(outDir, f);
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/replicas: \d/g, 'replicas: 9'));
    }
    // The fleet's ApplicationSets, kept beside the packs, are checked the same way, and so are the
    // facts the index keeps of each cluster (here its node count, in the fleet index's row).
    const fleetFiles = path.join(outDir, '..', 'fleet-files.json');
    fs.writeFileSync(fleetFiles, fs.readFileSync(fleetFiles, 'utf8').replace(/maxUpdate: 1\b/g, 'maxUpdate: 7'));
    const index = path.join(outDir, '..', 'index');
    const lines = fs.readFileSync(index, 'utf8').split('\n');
    const relay = lines.findIndex((l) => l.includes('"name":"ack-sh-relay"'));
    lines[relay] = lines[relay].replace(/"nodes":1000\b/g, '"nodes":1001');
    fs.writeFileSync(index, lines.join('\n'));
    expect((await runCli(['check'], { env })).status).toBe(0);
    const target = path.join(temp.path, 'target');
    const run = await runCli(['synth'], { env: { ...env, CDK8S_OUTDIR: target } });
    // The two Calico clusters with pools render again (their rules compare with the pools of the
    // output folder, and the new one holds none), and so does the cluster whose facts were altered.
    expect(run.stdout).toContain('10 reused unchanged');
    expect(snapshot(target)).toEqual(snapshot(out));
  });
});

describe('a refused secret', () => {
  test('points at the profile line it came from', async () => {
    const spec = {
      platform: 'kubeadm',
      cni: 'cilium',
      kubernetesVersion: '1.31',
      nodes: 50,
      cilium: {
        version: '1.18.12',
        k8sServiceHost: '10.0.0.1',
        k8sServicePort: 6443,
        values: { hubble: { relay: { extraEnv: [{ name: 'DB_PASSWORD', value: 'hunter2' }] } } },
      },
    };
    const clusters = fleet('leak', { leaky: spec });
    const text = fs.readFileSync(path.join(clusters, 'leaky.yaml'), 'utf8');
    const line = text.split('\n').findIndex((l) => l.includes('hunter2')) + 1;
    const run = await runCli(['synth'], { env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out') } });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      new RegExp(
        `leaky\\.yaml:${line}:\\d+ spec\\.cilium\\.values\\.hubble\\.relay\\.extraEnv\\[0\\]\\.value: holds a credential, which must never ` +
          `be committed`,
      ),
    );
    expect(run.stderr).not.toContain('hunter2');
  });
});

describe('a credential in a file that spans the fleet', () => {
  test('is traced to its profile field, whether its cluster was rendered or reused', async () => {
    const spec = KUBEADM_CILIUM;
    // A project name shaped like a Slack token reaches only the root Application and the ApplicationSet.
    const argocd = { repoURL: 'https://git.example.com/fleet.git', project: 'xoxb-1234567890-1234567890-abcdefghijklmnopqrstuvwx', stage: 0 };
    const clusters = fleet('fleet-leak', { leaky: { ...spec, argocd } });
    const env = { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: path.join(temp.path, 'out'), NETSCALE_RENDER_CACHE: path.join(temp.path, 'cache') };
    // The start of each refusal: the profile field, what it holds, redacted, and the file it would reach.
    const leak = /leaky\.yaml:\d+:\d+ spec\.argocd\.project: would write a Slack token \(xoxb-…\(redacted\)\) into /.source;
    for (let run = 0; run < 2; run++) {
      const synth = await runCli(['synth'], { env });
      expect(synth.status).toBe(1);
      expect(synth.stderr.split('\n').filter((l) => l.includes('would write'))).toEqual([
        expect.stringMatching(new RegExp(leak + /dist\/argocd\/Application\.netscale-fleet\.k8s\.yaml:\d+: /.source)),
        expect.stringMatching(new RegExp(leak + /dist\/argocd\/ApplicationSet\.netscale-cilium-stages\.k8s\.yaml:\d+: /.source)),
      ]);
      expect(synth.stderr).not.toContain('abcdefghijklmnopqrstuvwx');
      expect(fs.existsSync(path.join(temp.path, 'out'))).toBe(false);
    }
  });
});

describe('the real binary', () => {
  test('bin/netscale.js runs the bundle: check, help, a usage error, and a large fleet rendered by worker threads', async () => {
    const node = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, [path.join(ROOT, 'bin', 'netscale.js'), ...args], {
        cwd: ROOT,
        env: { ...process.env, NETSCALE_RENDER_CACHE: 'off', CLUSTER: '', ...env },
        encoding: 'utf8',
      });
    const check = node(['check']);
    expect(check.status).toBe(0);
    expect(check.stderr).toMatch(/netscale: dist\/ \(13 clusters\) is up to date with the profiles in clusters\/ \(6 warnings\)\n$/);
    const help = node(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: netscale /);
    expect(node(['frobnicate']).status).toBe(2);

    // Just enough profiles to render for worker threads (only the bundle runs them): the same bytes as one thread.
    const kinds = [
      { ...ACK_TERWAY, networkPolicy: 'relay' },
      {
        ...KUBEADM_CALICO,
        networkPolicy: 'relay',
        calico: CALICO_INSTALL,
        kubeProxy: { scheduler: 'lc', baseConfig: 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n' },
      },
    ];
    const names = Array.from({ length: POOL_THRESHOLD + 1 }, (_, i) => `w${String(i).padStart(3, '0')}`);
    const clusters = fleet('workers', Object.fromEntries(names.map((name, i) => [name, { ...kinds[i % 2], nodes: 100 + i }])));
    const threaded = path.join(temp.path, 'threaded');
    const run = node(['synth'], { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: threaded, NETSCALE_WORKERS: '2' });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('rendered by 2 threads');
    const single = path.join(temp.path, 'single');
    expect((await runCli(['synth'], { env: { CLUSTERS_DIR: clusters, CDK8S_OUTDIR: single } })).status).toBe(0);
    expect(snapshot(threaded)).toEqual(snapshot(single));
  }, 120_000);
});
