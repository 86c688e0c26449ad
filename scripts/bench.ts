/**
 * `npm run bench`: how long `npm run synth` takes, and how much memory, as the fleet grows.
 *
 *   npm run bench                  N = 1, 10, 100, 1000, 10000; 5 runs each (3 for large fleets when one run is slow)
 *   npm run bench -- --quick       N = 1, 10, 100; 3 runs each
 *   npm run bench -- --runs 7      runs per measurement
 *   npm run bench -- --profile     also profile one synth of the largest fleet (--cpu-prof)
 *   npm run bench -- --keep        keep the temporary folder (fleets, outputs, profiles)
 *   npm run bench -- --sizes 1000,2000   other fleet sizes
 *   npm run bench -- --write-fleet 10000 DIR   only write a fleet, to profile by hand (node --cpu-prof)
 *
 * Fleets are synthetic but valid: every example profile in clusters/ (and a few variants derived
 * from them that add the constructs the examples leave out) renamed bench-0001, bench-0002, ...
 * with nodes, cpuPerNode, regions and vSwitch ids varied deterministically. Each fleet is
 * synthesized once and checked before it is timed. The synth runs exactly as `npm run synth` does:
 * `node bin/netscale.js` in the repository root with CLUSTERS_DIR and CDK8S_OUTDIR set, every timed
 * run into a new, empty output folder with an empty render cache (the worst case: every file is
 * new, every profile rendered, and the cache written as a first run writes it); nothing is deleted
 * until the end, since mass deletion slows file creation for a while after it. Wall
 * time is measured around the child; peak RSS and CPU time are the child's, from GNU time (or,
 * without it, from process.resourceUsage() at exit). The example fleet in clusters/ also runs
 * through the stock cdk8s path (`cdk8s synth --app "npx ts-node main.ts"`), alternating with
 * `npm run synth`. `--cluster NAME` is checked on a small fleet (only that cluster's files may
 * change) and, when it works, timed on the largest. On the largest fleet, one profile changes at a
 * time: synth and check reuse the render cache for the rest (check with the cache as it was before
 * the change, as CI would have it), and a check --full proves the reused output is the same bytes;
 * a broken profile must leave that dist/ untouched. Nothing in the repository is written.
 *
 * Exit code: 0 whatever the targets say (they are informational); 1 when a synth fails.
 */
import { spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parse, stringify } from 'yaml';

const REPO = path.resolve(__dirname, '..');
const NODE = process.execPath;
const SYNTH_ARGS = ['bin/netscale.js'];
const CDK8S_BIN = path.join(REPO, 'node_modules', '.bin', 'cdk8s');
const STOCK_APP = 'npx ts-node main.ts';
const MiB = 1024 * 1024;

/** The targets, set for a 2-core machine. */
const TARGETS = {
  exampleSpeedup: 4,
  wall1000Ms: 6000,
  rss1000MiB: 512,
  perClusterRatio: 1.3,
  singleClusterMs: 600,
  wall10000Ms: 30_000,
  rss10000MiB: 512,
  perClusterRatio10000: 1.2,
  oneChangeMs: 3000,
};

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  /** Only write a fleet of this many profiles into this folder (for profiling by hand). */
  readonly writeFleet?: { readonly n: number; readonly dir: string };
  readonly quick: boolean;
  readonly runs?: number;
  readonly profile: boolean;
  readonly keep: boolean;
  readonly sizes: readonly number[];
}

function parseOptions(argv: readonly string[]): Options {
  let quick = false;
  let runs: number | undefined;
  let profile = false;
  let keep = false;
  let sizes: number[] | undefined;
  let writeFleet: Options['writeFleet'];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (v === undefined) usage(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') quick = true;
    else if (a === '--profile') profile = true;
    else if (a === '--keep') keep = true;
    else if (a === '--runs' || a.startsWith('--runs=')) {
      runs = Number(value());
      if (!Number.isInteger(runs) || runs < 1) usage('--runs takes a whole number of at least 1');
    } else if (a === '--sizes' || a.startsWith('--sizes=')) {
      sizes = value().split(',').map(Number);
      if (sizes.some((n) => !Number.isInteger(n) || n < 1)) usage('--sizes takes fleet sizes such as 1,10,100');
    } else if (a === '--write-fleet') {
      const n = Number(argv[++i]);
      const dir = argv[++i];
      if (!Number.isInteger(n) || n < 1 || dir === undefined) usage('--write-fleet takes a size and a folder: --write-fleet 10000 /tmp/fleet');
      writeFleet = { n, dir: path.resolve(dir) };
    } else if (a === '--help' || a === '-h') usage();
    else usage(`unknown option ${a}`);
  }
  return { writeFleet, quick, runs, profile, keep, sizes: sizes ?? (quick ? [1, 10, 100] : [1, 10, 100, 1000, 10000]) };
}

function usage(problem?: string): never {
  if (problem) process.stderr.write(`bench: ${problem}\n`);
  process.stderr.write('usage: npm run bench -- [--quick] [--runs K] [--profile] [--keep] [--sizes 1,10,100]\n');
  process.exit(problem ? 2 : 0);
}

// ---------------------------------------------------------------------------------------------
// Running children and measuring them

interface RunResult {
  readonly ms: number;
  readonly rssKiB?: number;
  /** User + system CPU time of the child, less sensitive than wall time to other load on the machine. */
  readonly cpuMs?: number;
  /** System CPU time of the child: mostly the file system, creating and reading files. */
  readonly sysMs?: number;
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** How the peak RSS of a child is read: GNU time's %M, or a preload that reports its own maxRSS. */
type RssMethod = { kind: 'gnu-time'; bin: string } | { kind: 'preload'; hook: string };

let rssMethod: RssMethod;
let tmpRoot: string;
let seq = 0;

function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  // No render cache unless a measurement asks for one: a cache left by an earlier run would time reuse, not rendering.
  const env: NodeJS.ProcessEnv = { ...process.env, CDK8S_CHECK_UPGRADE: 'false', NETSCALE_RENDER_CACHE: 'off', ...extra };
  // A CLUSTER left in the environment would turn every full synth into a single-cluster one.
  if (!('CLUSTER' in extra)) delete env.CLUSTER;
  return env;
}

/** Run `command args` in the repository root; time it and read its peak RSS when `measureRss`. */
function run(command: string, args: readonly string[], env: NodeJS.ProcessEnv, measureRss = true): RunResult {
  let file = command;
  let argv = [...args];
  const rssFile = path.join(tmpRoot, `rss-${process.pid}-${seq++}.txt`);
  fs.rmSync(rssFile, { force: true });
  if (measureRss && rssMethod.kind === 'gnu-time') {
    file = rssMethod.bin;
    argv = ['-f', '%M %U %S', '-o', rssFile, command, ...args];
  } else if (measureRss && command === NODE && rssMethod.kind === 'preload') {
    argv = ['--require', rssMethod.hook, ...args];
    env = { ...env, NETSCALE_BENCH_RSS_FILE: rssFile };
  }
  const start = process.hrtime.bigint();
  const r = spawnSync(file, argv, { cwd: REPO, env, encoding: 'utf8', maxBuffer: 256 * MiB });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.error) throw r.error;
  let rssKiB: number | undefined;
  let cpuMs: number | undefined;
  let sysMs: number | undefined;
  if (measureRss && fs.existsSync(rssFile)) {
    // "maxrss-KiB user-s sys-s"; GNU time writes "Command exited with non-zero status N" first on failure.
    const lines = fs.readFileSync(rssFile, 'utf8').trim().split('\n');
    const [kib, user, sys] = lines[lines.length - 1].split(' ').map(Number);
    if (Number.isFinite(kib) && kib > 0) rssKiB = kib;
    if (Number.isFinite(user) && Number.isFinite(sys)) {
      cpuMs = (user + sys) * 1000;
      sysMs = sys * 1000;
    }
    fs.rmSync(rssFile, { force: true });
  }
  return { ms, rssKiB, cpuMs, sysMs, status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

function detectRssMethod(): RssMethod {
  const hook = path.join(tmpRoot, 'rss-hook.cjs');
  fs.writeFileSync(
    hook,
    "'use strict';\nconst file = process.env.NETSCALE_BENCH_RSS_FILE;\nif (file) process.on('exit', () => { const u = " +
      "process.resourceUsage(); require('fs').writeFileSync(file, [u.maxRSS, u.userCPUTime / 1e6, u.systemCPUTime / 1e6].join(' ')); });\n",
  );
  const bin = '/usr/bin/time';
  if (fs.existsSync(bin)) {
    // Check it is GNU time and that its %M is KiB: a child that touches 64 MiB must show 64 to ~200 MiB.
    const out = path.join(tmpRoot, 'time-probe.txt');
    const r = spawnSync(bin, ['-f', '%M', '-o', out, NODE, '-e', 'Buffer.alloc(64 * 1024 * 1024, 1)'], { encoding: 'utf8' });
    const kib = r.status === 0 && fs.existsSync(out) ? Number(fs.readFileSync(out, 'utf8').trim()) : NaN;
    if (kib >= 64 * 1024 && kib <= 200 * 1024) return { kind: 'gnu-time', bin };
  }
  return { kind: 'preload', hook };
}

/** Fail the benchmark: a synth that does not work cannot be timed. */
function fail(what: string, r?: RunResult): never {
  process.stderr.write(`\nbench: ${what}\n`);
  if (r) {
    process.stderr.write(`exit status ${r.status}${r.signal ? ` (signal ${r.signal})` : ''}\n`);
    const tail = (s: string) => s.split('\n').slice(-30).join('\n');
    if (r.stdout.trim()) process.stderr.write(`--- stdout (tail)\n${tail(r.stdout)}\n`);
    if (r.stderr.trim()) process.stderr.write(`--- stderr (tail)\n${tail(r.stderr)}\n`);
  }
  process.stderr.write(`temporary files kept in ${tmpRoot}\n`);
  process.exit(1);
}

function synth(clustersDir: string, outdir: string, extraArgs: readonly string[] = [], extraEnv: Record<string, string> = {}): RunResult {
  return run(NODE, [...SYNTH_ARGS, ...extraArgs], childEnv({ CLUSTERS_DIR: clustersDir, CDK8S_OUTDIR: outdir, ...extraEnv }));
}

function missingReviews(outdir: string, names: readonly string[]): string[] {
  return names.filter((n) => !fs.existsSync(path.join(outdir, 'reviews', `${n}.md`)));
}

/** A full synth that must succeed and report `n` clusters, with no error line. */
function checkFullSynth(r: RunResult, n: number, what: string): void {
  const m = /netscale: ([\d,]+) clusters? synthesized/.exec(r.stdout);
  if (r.status !== 0 || /^error:/m.test(r.stderr) || !m || Number(m[1].replace(/,/g, '')) !== n)
    fail(`${what}: the synth failed or did not report ${n} clusters`, r);
}

// ---------------------------------------------------------------------------------------------
// Statistics and formatting

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const msText = (ms: number) => (ms >= 100 ? `${ms.toFixed(0)} ms` : ms >= 10 ? `${ms.toFixed(1)} ms` : `${ms.toFixed(2)} ms`);
const mib = (kib: number | undefined) => (kib === undefined ? 'n/a' : `${(kib / 1024).toFixed(0)} MiB`);
const pad = (n: number, width: number) => String(n).padStart(width, '0');

function table(header: readonly string[], rows: readonly (readonly string[])[], align: readonly ('l' | 'r')[] = []): string {
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map((_, i) => (align[i] === 'r' ? '---:' : '---')).join(' | ')} |`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

function say(text: string): void {
  process.stdout.write(`${text}\n`);
}

function progress(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

// ---------------------------------------------------------------------------------------------
// Synthetic fleets

type Json = Record<string, unknown>;
interface Profile extends Json {
  metadata: { name: string } & Json;
  spec: Json;
}

interface Variant {
  readonly label: string;
  /** The example it is derived from, for the generated file's header. */
  readonly from: string;
  readonly base: Profile;
}

const REGIONS = ['cn-shanghai', 'cn-hangzhou', 'cn-beijing', 'cn-shenzhen', 'cn-zhangjiakou'];
const CPU_CHOICES = [4, 8, 16, 32, 64];
/** Node-count factors, one per round through the variants (capacity-checked profiles only shrink). */
const NODE_FACTORS = [1, 0.9, 1.1, 0.8, 1.2];
const SHRINK_FACTORS = [1, 0.9, 0.95, 0.8, 0.85];

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const obj = (x: unknown): Json | undefined => (x !== null && typeof x === 'object' && !Array.isArray(x) ? (x as Json) : undefined);

function readExamples(): { file: string; profile: Profile }[] {
  const dir = path.join(REPO, 'clusters');
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => ({ file: `clusters/${f}`, profile: parse(fs.readFileSync(path.join(dir, f), 'utf8')) as Profile }))
    .filter((e) => obj(e.profile)?.spec !== undefined && obj(e.profile.metadata) !== undefined);
}

/**
 * Every example, plus variants that add what the examples leave out: tuned Typha and kube-proxy
 * on ACK, a full eni-config under Argo CD, Calico VXLAN with WireGuard, nftables and Typha TLS,
 * Cilium over a Geneve tunnel delivered as Helm values, Calico with kube-proxy flags on k3s.
 */
function variants(): Variant[] {
  const examples = readExamples();
  const out: Variant[] = examples.map((e) => ({ label: e.profile.metadata.name, from: e.file, base: e.profile }));
  const find = (pred: (s: Json) => boolean) => examples.find((e) => pred(e.profile.spec));
  const argocd = examples.map((e) => obj(e.profile.spec.argocd)).find((a) => a !== undefined);

  const relay = find((s) => s.platform === 'ack' && s.cni === 'terway' && s.networkPolicy === 'relay');
  if (relay) {
    const p = clone(relay.profile);
    p.spec.typha = { logSeverity: 'warning', resources: { cpu: '500m', memory: '512Mi' } };
    p.spec.kubeProxy = { mode: 'ipvs', scheduler: 'wlc', udpTimeout: '10s', conntrackMaxPerCore: 65536, conntrackMin: 262144 };
    out.push({ label: 'ack-typha-kube-proxy', from: relay.file, base: p });
  }
  const vswitch = find((s) => s.platform === 'ack' && obj(obj(s.terway)?.vswitches) !== undefined);
  if (vswitch) {
    const p = clone(vswitch.profile);
    p.spec.networkPolicy = 'relay';
    (p.spec.terway as Json).eniConf = { enable_eni_trunking: true };
    // The restart Jobs' kubectl must be within one minor of the cluster's, and registry.k8s.io starts at 1.28.
    p.spec.kubernetesVersion = '1.30';
    if (argocd) p.spec.argocd = clone(argocd);
    out.push({ label: 'ack-full-eni-config-argocd', from: vswitch.file, base: p });
  }
  const calico = find((s) => s.cni === 'calico' && obj(s.calico) !== undefined && obj(s.kubeProxy) !== undefined);
  if (calico) {
    const p = clone(calico.profile);
    p.spec.kubernetesVersion = '1.33';
    // Calico's Felix can present a client certificate, so Typha TLS belongs here.
    p.spec.networkPolicy = 'relay';
    p.spec.typha = { tls: { secretName: 'calico-typha-tls', caConfigMapName: 'calico-typha-ca', clientCommonName: 'calico-felix' } };
    const c = p.spec.calico as Json;
    // Felix needs nftablesMode, which arrives in Calico 3.29.
    c.version = '3.30.5';
    c.wireguard = true;
    delete c.bgp;
    for (const pool of (c.ipPools as Json[]) ?? []) Object.assign(pool, { ipipMode: 'Never', vxlanMode: 'Always' });
    const kp = p.spec.kubeProxy as Json;
    for (const f of ['scheduler', 'udpTimeout', 'tcpTimeout', 'tcpFinTimeout', 'strictARP', 'excludeCIDRs']) delete kp[f];
    kp.mode = 'nftables';
    if (argocd) p.spec.argocd = clone(argocd);
    out.push({ label: 'calico-vxlan-wireguard-nftables', from: calico.file, base: p });
  }
  const cilium = find((s) => s.cni === 'cilium' && s.platform !== 'k3s' && obj(s.cilium) !== undefined);
  if (cilium) {
    const p = clone(cilium.profile);
    delete p.spec.argocd;
    const c = p.spec.cilium as Json;
    for (const f of ['autoDirectNodeRoutes', 'ipv4NativeRoutingCidr', 'delivery']) delete c[f];
    Object.assign(c, {
      routingMode: 'tunnel',
      tunnelProtocol: 'geneve',
      loadBalancer: { mode: 'dsr', dsrDispatch: 'geneve' },
      hubble: { relay: true, ui: false },
    });
    out.push({ label: 'cilium-geneve-dsr-values', from: cilium.file, base: p });
  }
  const k3s = find((s) => s.platform === 'k3s');
  if (k3s) {
    const p = clone(k3s.profile);
    delete p.spec.cilium;
    Object.assign(p.spec, {
      cni: 'calico',
      nodes: 40,
      networkPolicy: 'relay',
      // netscale renders Typha for a calico.yaml install, of the installed release.
      calico: {
        install: 'manifest',
        version: '3.30.5',
        ipPools: [{ name: 'default-ipv4-ippool', cidr: '10.42.0.0/16', blockSize: 26, vxlanMode: 'CrossSubnet' }],
      },
      kubeProxy: { mode: 'ipvs', scheduler: 'lc', conntrackMaxPerCore: 65536 },
    });
    out.push({ label: 'k3s-calico-kube-proxy-args', from: k3s.file, base: p });
  }
  return out;
}

function hashId(seed: string, length: number): string {
  let s = '';
  for (let k = 0; s.length < length; k++) s += BigInt(`0x${crypto.createHash('sha256').update(`${seed}/${k}`).digest('hex')}`).toString(36);
  return s.slice(0, length);
}

/** Profile `index` (0-based) of a fleet: variant index % V, varied by round and index. */
function makeProfile(vs: readonly Variant[], index: number, width: number): { name: string; text: string; variant: Variant } {
  const variant = vs[index % vs.length];
  const round = Math.floor(index / vs.length);
  const p = clone(variant.base);
  const s = p.spec;
  const name = `bench-${pad(index + 1, width)}`;
  p.metadata = { ...p.metadata, name };

  const terway = obj(s.terway);
  const capacityChecked = terway?.vswitchCidrs !== undefined && s.maxPodsPerNode !== undefined;
  if (typeof s.nodes === 'number') {
    const base = s.nodes;
    if (base < 10) s.nodes = base + (round % 3);
    else s.nodes = Math.max(10, Math.round(base * (capacityChecked ? SHRINK_FACTORS : NODE_FACTORS)[round % 5]));
  }
  if (typeof s.cpuPerNode === 'number') s.cpuPerNode = CPU_CHOICES[(round + index) % CPU_CHOICES.length];

  if (s.platform === 'ack' && typeof s.region === 'string') {
    const from = s.region;
    const to = REGIONS[round % REGIONS.length];
    s.region = to;
    const rezone = (zone: string) => (zone.startsWith(`${from}-`) ? `${to}${zone.slice(from.length)}` : zone);
    if (terway) {
      const ids = new Map<string, string>();
      const newId = (id: string) => ids.get(id) ?? (ids.set(id, `vsw-${hashId(`${name}/${id}`, 21)}`), ids.get(id)!);
      const vsw = obj(terway.vswitches);
      if (vsw) terway.vswitches = Object.fromEntries(Object.entries(vsw).map(([zone, list]) => [rezone(zone), (list as string[]).map(newId)]));
      const cidrs = obj(terway.vswitchCidrs);
      if (cidrs) terway.vswitchCidrs = Object.fromEntries(Object.entries(cidrs).map(([id, cidr]) => [newId(id), cidr]));
      const perZone = obj(terway.nodesPerZone);
      if (perZone) terway.nodesPerZone = Object.fromEntries(Object.entries(perZone).map(([zone, n]) => [rezone(zone), n]));
      if (Array.isArray(terway.securityGroups))
        terway.securityGroups = terway.securityGroups.map((g, k) => `sg-${hashId(`${name}/sg/${g}/${k}`, 20)}`);
    }
  }
  // repoURL (and the rest of the source) stays as it is: one root Application needs every profile to agree.
  const dest = obj(obj(s.argocd)?.destination);
  if (dest && typeof dest.name === 'string') dest.name = name;

  const header = `# generated by scripts/bench.ts from ${variant.from} (variant ${variant.label}, round ${round})\n`;
  return { name, text: header + stringify(p), variant };
}

function writeFleet(vs: readonly Variant[], dir: string, n: number): string[] {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const width = Math.max(4, String(n).length);
  const names: string[] = [];
  for (let i = 0; i < n; i++) {
    const { name, text } = makeProfile(vs, i, width);
    fs.writeFileSync(path.join(dir, `${name}.yaml`), text);
    names.push(name);
  }
  return names;
}

/**
 * One profile of each variant, synthesized together; a variant whose profile does not load is
 * left out (with its errors) so a change to the rules or the examples cannot stop the benchmark.
 * Two rounds of every variant, so the varied fields are checked too.
 */
function checkedVariants(): Variant[] {
  let vs = variants();
  for (let attempt = 0; attempt < 3 && vs.length > 0; attempt++) {
    const dir = path.join(tmpRoot, 'variant-probe');
    const n = vs.length * 5;
    const names = writeFleet(vs, dir, n);
    const r = synth(dir, path.join(tmpRoot, 'variant-probe-out'));
    if (r.status === 0) return vs;
    const bad = new Set<number>();
    for (const m of r.stderr.matchAll(/^\s+(\S+?\.ya?ml):\d+:\d+/gm)) {
      const i = names.indexOf(path.basename(m[1]).replace(/\.ya?ml$/, ''));
      if (i >= 0) bad.add(i % vs.length);
    }
    if (bad.size === 0) fail('the variant probe fleet does not synthesize', r);
    for (const i of bad) {
      const errors = r.stderr.split('\n').filter((l) => names.some((nm, k) => k % vs.length === i && l.includes(`${nm}.yaml`)));
      progress(`variant ${vs[i].label} (from ${vs[i].from}) left out; it does not load:\n${errors.slice(0, 5).join('\n')}`);
    }
    vs = vs.filter((_, i) => !bad.has(i));
  }
  if (vs.length === 0) fail('no profile variant loads: check clusters/ with npm run synth');
  return vs;
}

// ---------------------------------------------------------------------------------------------
// Output snapshots (for the single-cluster check)

interface FileState {
  readonly hash: string;
  readonly mtimeMs: number;
}

function snapshot(dir: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const abs = path.join(d, e.name);
      if (e.isDirectory()) walk(abs);
      else
        out.set(path.relative(dir, abs), {
          hash: crypto.createHash('sha1').update(fs.readFileSync(abs)).digest('hex'),
          mtimeMs: fs.statSync(abs).mtimeMs,
        });
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

function changedFiles(before: Map<string, FileState>, after: Map<string, FileState>): { content: string[]; touched: string[] } {
  const content: string[] = [];
  const touched: string[] = [];
  for (const f of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(f);
    const b = after.get(f);
    if (!a || !b || a.hash !== b.hash) content.push(f);
    else if (a.mtimeMs !== b.mtimeMs) touched.push(f);
  }
  return { content: content.sort(), touched: touched.sort() };
}

/** Files of dist/ that belong to one cluster. */
function ownedBy(file: string, name: string): boolean {
  const f = file.split(path.sep).join('/');
  return (
    f.startsWith(`${name}/`) ||
    f === `reviews/${name}.md` ||
    f.startsWith(`values/${name}.`) ||
    f === `argocd/Application.${name}.k8s.yaml` ||
    f === `argocd/Application.${name}-cilium.k8s.yaml`
  );
}

interface SingleClusterCheck {
  readonly works: boolean;
  readonly detail: string;
  readonly envWorks?: boolean;
  readonly envDetail?: string;
  readonly unknownName?: string;
}

/**
 * Does `--cluster NAME` (and CLUSTER=NAME) render just that cluster? On a small fleet: synthesize
 * all, change two profiles (their reviews show the node count), render one of them alone, and
 * check only its files changed and the other's did not.
 */
function checkSingleCluster(vs: readonly Variant[]): SingleClusterCheck {
  const dir = path.join(tmpRoot, 'single-check');
  const clusters = path.join(dir, 'clusters');
  const out = path.join(dir, 'out');
  const names = writeFleet(vs, clusters, Math.min(Math.max(vs.length, 6), 12));
  checkFullSynth(synth(clusters, out), names.length, 'single-cluster check, full synth');

  const nodesOf = (name: string) => Number(/^\s+nodes: (\d+)$/m.exec(fs.readFileSync(path.join(clusters, `${name}.yaml`), 'utf8'))?.[1]);
  const candidates = names.filter((n) => nodesOf(n) >= 50);
  if (candidates.length < 2) return { works: false, detail: 'could not be checked (no two profiles with 50 nodes or more)' };
  const [target, other] = candidates;
  const bumpNodes = (name: string) => {
    const file = path.join(clusters, `${name}.yaml`);
    fs.writeFileSync(
      file,
      fs.readFileSync(file, 'utf8').replace(/^(\s+nodes: )(\d+)$/m, (_, k: string, v: string) => `${k}${Number(v) - 1}`),
    );
  };
  bumpNodes(target);
  bumpNodes(other);

  const attempt = (who: string, args: readonly string[], env: Record<string, string>, bystander: string): { works: boolean; detail: string } => {
    const before = snapshot(out);
    const r = synth(clusters, out, args, env);
    const after = snapshot(out);
    const { content, touched } = changedFiles(before, after);
    const firstLine = (r.stderr.trim() || r.stdout.trim()).split('\n')[0];
    if (r.status !== 0) return { works: false, detail: `exits ${r.status}: ${firstLine}` };
    if (content.includes(`reviews/${bystander}.md`) || content.some((f) => !ownedBy(f, who))) {
      return {
        works: false,
        detail: `renders more than ${who}: ${content.filter((f) => !ownedBy(f, who)).length} files of other clusters changed (e.g. ${content
          .filter((f) => !ownedBy(f, who))
          .slice(0, 2)
          .join(', ')})`,
      };
    }
    if (!content.includes(`reviews/${who}.md`)) return { works: false, detail: `exits 0 but does not update ${who}'s review` };
    const others = touched.filter((f) => !ownedBy(f, who));
    return {
      works: true,
      detail:
        `renders only ${who} (${content.length} of its files changed; other clusters' ` +
        `files ${others.length === 0 ? 'untouched, same mtime' : `same content, ${others.length} rewritten`})`,
    };
  };

  const argv = attempt(target, ['--cluster', target], {}, other);
  bumpNodes(target);
  bumpNodes(other);
  const env = attempt(other, [], { CLUSTER: other }, target);
  let unknownName: string | undefined;
  if (argv.works) {
    const r = synth(clusters, out, ['--cluster', 'no-such-cluster']);
    unknownName = `exit ${r.status}${
      r.status !== 0
        ? `: ${(r.stderr.trim() || r.stdout.trim())
            .split('\n')
            .slice(0, 2)
            .map((l) => l.trim())
            .join(' ')}`
        : ' (accepted)'
    }`;
  }
  return { works: argv.works, detail: argv.detail, envWorks: env.works, envDetail: env.detail, unknownName };
}

// ---------------------------------------------------------------------------------------------
// CPU profile summary

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}
interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

function shortUrl(url: string): string {
  if (url === '') return '';
  let u = url.replace(/^file:\/\//, '');
  try {
    u = decodeURIComponent(u);
  } catch {
    // keep it as it is
  }
  u = u.replace(/\?.*$/, '');
  if (u.startsWith(REPO + '/')) u = u.slice(REPO.length + 1);
  return u;
}

/** The package (or area) a script belongs to: node_modules/<pkg>, netscale's own files, node internals. */
function packageOf(url: string, functionName: string): string {
  if (url === '') return /^\(.*\)$/.test(functionName) ? functionName : '(native: V8 builtins, node bindings such as fs)';
  if (url.startsWith('wasm://')) return '(wasm: the module lexer tsx loads)';
  const u = shortUrl(url);
  const m = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u);
  if (m) return m[1];
  if (u.startsWith('node:')) return 'node: internals';
  if (u.startsWith('lib/') || u === 'main.ts' || u.startsWith('imports/'))
    return `netscale ${u.split('/')[0] === 'main.ts' ? 'main.ts' : u.split('/')[0] + '/'}`;
  return u;
}

interface ProfileSummary {
  readonly file: string;
  readonly totalMs: number;
  readonly byFunction: [string, number][];
  readonly byFile: [string, number][];
  readonly byPackage: [string, number][];
  readonly inclusive: [string, number][];
  /** Inclusive time by function name and file (no line), for the phase table. */
  readonly byNameAndFile: Map<string, number>;
  readonly idleMs: number;
}

/** Phases of a synth, by the functions that run them; a function that is not found is left out. */
const PHASES: readonly { label: string; fn: string; file: RegExp }[] = [
  { label: 'main() (everything after module loading)', fn: 'main', file: /^main\.ts$/ },
  { label: 'loadProfiles: parse, check and size every profile', fn: 'loadProfiles', file: /^lib\// },
  { label: 'ClusterChart constructors (build the construct tree)', fn: 'ClusterChart', file: /^lib\// },
  { label: 'argocdChart (dist/argocd/ Applications)', fn: 'argocdChart', file: /^lib\// },
  { label: 'cdk8s App.synth', fn: 'synth', file: /node_modules\/cdk8s\/lib\/app\.js$/ },
  { label: '  of which Yaml.save (stringify + write one file)', fn: 'save', file: /node_modules\/cdk8s\/lib\/yaml\.js$/ },
  { label: '  of which Yaml.stringify', fn: 'stringify', file: /node_modules\/cdk8s\/lib\/yaml\.js$/ },
  { label: 'clusterReview (reviews, values files)', fn: 'clusterReview', file: /^lib\// },
  { label: 'renderedObjects (object lists for reviews and Applications)', fn: 'renderedObjects', file: /^lib\// },
  { label: 'renderReview (Markdown)', fn: 'renderReview', file: /^lib\// },
  { label: 'refuseSecrets (re-read dist/ for credentials)', fn: 'refuseSecrets', file: /^lib\// },
  { label: 'swapIn (rename staging in, delete the old tree)', fn: 'swapIn', file: /^lib\// },
  { label: 'fs.writeFileSync, anywhere', fn: 'writeFileSync', file: /^node:fs$/ },
  { label: 'fs.mkdirSync, anywhere', fn: 'mkdirSync', file: /^node:fs$/ },
  { label: 'fs.rmSync, anywhere', fn: 'rmSync', file: /^node:fs$/ },
  { label: 'fs.readFileSync, anywhere', fn: 'readFileSync', file: /^node:fs$/ },
];

function summarizeProfile(file: string): ProfileSummary {
  const prof = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(prof.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of prof.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  // Sample i lasts until sample i + 1 (the last until the profile's end), as DevTools counts it.
  const stamps: number[] = [];
  let t = prof.startTime;
  for (const d of prof.timeDeltas) stamps.push((t += d));
  const selfMs = new Map<number, number>();
  const inclusive = new Map<string, number>();
  const byNameAndFile = new Map<string, number>();
  const fnKey = (n: ProfileNode) => {
    const f = n.callFrame;
    const where = shortUrl(f.url);
    // tsx compiles a .ts file to very few lines, so a line number there says nothing.
    const line = /\.[cm]?tsx?$/.test(where) ? '' : `:${f.lineNumber + 1}`;
    return `${f.functionName || '(anonymous)'}${where ? ` ${where}${line}` : ''}`;
  };
  let totalMs = 0;
  for (let i = 0; i < prof.samples.length; i++) {
    const ms = ((i + 1 < stamps.length ? stamps[i + 1] : prof.endTime) - stamps[i]) / 1000;
    if (!(ms > 0)) continue;
    totalMs += ms;
    const id = prof.samples[i];
    selfMs.set(id, (selfMs.get(id) ?? 0) + ms);
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const n = byId.get(cur)!;
      if (n.callFrame.functionName === '(root)') continue;
      for (const k of [fnKey(n), `${n.callFrame.functionName}@${shortUrl(n.callFrame.url)}`]) {
        if (seen.has(k)) continue;
        seen.add(k);
        const m = k === fnKey(n) ? inclusive : byNameAndFile;
        m.set(k, (m.get(k) ?? 0) + ms);
      }
    }
  }
  const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const n = byId.get(id)!;
    add(byFunction, fnKey(n), ms);
    add(byFile, shortUrl(n.callFrame.url) || n.callFrame.functionName || '(native)', ms);
    add(byPackage, packageOf(n.callFrame.url, n.callFrame.functionName), ms);
  }
  const top = (m: Map<string, number>) => [...m.entries()].sort((a, b) => b[1] - a[1]);
  return {
    file,
    totalMs,
    byFunction: top(byFunction),
    byFile: top(byFile),
    byPackage: top(byPackage),
    inclusive: top(inclusive),
    byNameAndFile,
    idleMs: byPackage.get('(idle)') ?? 0,
  };
}

function profileReport(s: ProfileSummary, count = 15): string {
  const pct = (ms: number) => `${((100 * ms) / s.totalMs).toFixed(1)}%`;
  const rows = (list: [string, number][]) =>
    list.slice(0, count).map(([k, ms], i) => [String(i + 1), `\`${k.replace(/\|/g, '\\|')}\``, msText(ms), pct(ms)]);
  const phases: string[][] = [];
  for (const ph of PHASES) {
    let ms = 0;
    for (const [k, v] of s.byNameAndFile) {
      const at = k.indexOf('@');
      if (k.slice(0, at) === ph.fn && ph.file.test(k.slice(at + 1))) ms += v;
    }
    if (ms > 0) phases.push([ph.label, msText(ms), pct(ms)]);
  }
  const mainMs = [...s.byNameAndFile].filter(([k]) => /^main@main\.ts$/.test(k)).reduce((a, [, v]) => a + v, 0);
  if (mainMs > 0) phases.unshift(['startup and module loading (before main())', msText(s.totalMs - mainMs), pct(s.totalMs - mainMs)]);
  return [
    `Sampled time: ${sec(s.totalMs)} on the main thread (${path.basename(s.file)}).`,
    '',
    'Phases (inclusive time; phases nest, so they do not add up):',
    '',
    table(['phase', 'total', 'share'], phases, ['l', 'r', 'r']),
    '',
    `Top ${count} functions by self time:`,
    '',
    table(['#', 'function (file:line)', 'self', 'share'], rows(s.byFunction), ['r', 'l', 'r', 'r']),
    '',
    `Top ${count} files by self time:`,
    '',
    table(['#', 'file', 'self', 'share'], rows(s.byFile), ['r', 'l', 'r', 'r']),
    '',
    'Self time by package:',
    '',
    table(['#', 'package', 'self', 'share'], rows(s.byPackage), ['r', 'l', 'r', 'r']),
    '',
    `Top ${count} functions of netscale and its libraries by total (inclusive) time (module loading wrappers left out):`,
    '',
    table(['#', 'function (file:line)', 'total', 'share'], rows(s.inclusive.filter(([k]) => / (lib\/|main\.ts|node_modules\/(?!tsx\/))/.test(k))), [
      'r',
      'l',
      'r',
      'r',
    ]),
  ].join('\n');
}

// ---------------------------------------------------------------------------------------------
// One profile changes in a large fleet

interface Timings {
  readonly walls: number[];
  readonly rss: (number | undefined)[];
  readonly cpu: (number | undefined)[];
  readonly sys: (number | undefined)[];
}

interface OneChange {
  readonly n: number;
  readonly synth: Timings;
  readonly check: Timings;
  readonly rendered: number;
  readonly reused: number;
  readonly fullCheck: string;
  /** Peak RSS of that check --full: every cluster rendered and compared with dist/, nothing reused. */
  readonly fullCheckRssKiB?: number;
  readonly badProfile: string;
  /** The reused output matched a full render, and a broken profile left dist/ alone. */
  readonly correct: boolean;
}

/**
 * The fleet of `n` synthesized with a render cache, then one profile changed per run: synth (cache
 * kept up to date, as on a laptop) and check (the cache from before any change, as CI restores it
 * from the main branch). Then check --full over the result, and a broken profile.
 */
function measureOneChange(n: number, runs: number): OneChange {
  const width = Math.max(4, String(n).length);
  const dir = path.join(tmpRoot, `fleet-${n}`);
  const out = path.join(tmpRoot, `change-${n}`);
  const mainCache = path.join(tmpRoot, `cache-main-${n}`);
  const laptopCache = path.join(tmpRoot, `cache-laptop-${n}`);
  for (const d of [out, mainCache, laptopCache]) fs.rmSync(d, { recursive: true, force: true });
  checkFullSynth(synth(dir, out, [], { NETSCALE_RENDER_CACHE: mainCache }), n, `fleet of ${n} with a render cache`);
  fs.cpSync(mainCache, laptopCache, { recursive: true });
  const target = path.join(dir, `bench-${pad(Math.ceil(n / 3), width)}.yaml`);
  const original = fs.readFileSync(target, 'utf8');
  const synthT: Timings = { walls: [], rss: [], cpu: [], sys: [] };
  const checkT: Timings = { walls: [], rss: [], cpu: [], sys: [] };
  let rendered = 0;
  let reused = 0;
  try {
    for (let i = 1; i <= runs; i++) {
      // A new node count each run, so each run has exactly one profile the caches have not seen.
      fs.writeFileSync(
        target,
        original.replace(/^(\s+nodes: )(\d+)$/m, (_, k: string, v: string) => `${k}${Number(v) + i}`),
      );
      const s = synth(dir, out, [], { NETSCALE_RENDER_CACHE: laptopCache });
      checkFullSynth(s, n, `synth after one change, run ${i}`);
      const counts = /(\d[\d,]*) reused unchanged/.exec(s.stdout);
      reused = counts ? Number(counts[1].replace(/,/g, '')) : 0;
      rendered = n - reused;
      synthT.walls.push(s.ms);
      synthT.rss.push(s.rssKiB);
      synthT.cpu.push(s.cpuMs);
      synthT.sys.push(s.sysMs);
      const c = run(NODE, [...SYNTH_ARGS, 'check'], childEnv({ CLUSTERS_DIR: dir, CDK8S_OUTDIR: out, NETSCALE_RENDER_CACHE: mainCache }));
      if (c.status !== 0) fail(`check after one change, run ${i}, found differences`, c);
      checkT.walls.push(c.ms);
      checkT.rss.push(c.rssKiB);
      checkT.cpu.push(c.cpuMs);
      checkT.sys.push(c.sysMs);
    }
    progress(`one change of ${n}: synth median ${sec(median(synthT.walls))}, check median ${sec(median(checkT.walls))}`);
    const full = run(NODE, [...SYNTH_ARGS, 'check', '--full'], childEnv({ CLUSTERS_DIR: dir, CDK8S_OUTDIR: out }));
    const measured = `${sec(full.ms)}, ${mib(full.rssKiB)} peak`;
    const fullCheck = full.status === 0 ? `finds the same bytes (${measured})` : `finds differences (exit ${full.status}; ${measured})`;
    const bad = path.join(dir, 'zz-broken.yaml');
    fs.writeFileSync(bad, original.replace(/^(\s+nodes: )(\d+)$/m, '$1many').replace(/name: bench-\d+/, 'name: zz-broken'));
    const before = snapshot(out);
    const b = synth(dir, out, [], { NETSCALE_RENDER_CACHE: laptopCache });
    const untouched = changedFiles(before, snapshot(out));
    fs.rmSync(bad);
    const spared = b.status === 1 && untouched.content.length === 0 && untouched.touched.length === 0;
    const badProfile = spared
      ? 'exits 1 and leaves dist/ untouched'
      : `exits ${b.status}, ${untouched.content.length} files changed, ${untouched.touched.length} rewritten`;
    return {
      n,
      synth: synthT,
      check: checkT,
      rendered,
      reused,
      fullCheck,
      fullCheckRssKiB: full.rssKiB,
      badProfile,
      correct: full.status === 0 && spared && rendered === 1,
    };
  } finally {
    fs.writeFileSync(target, original);
  }
}

// ---------------------------------------------------------------------------------------------
// The benchmark

interface SizeResult {
  readonly n: number;
  readonly runs: number;
  readonly walls: number[];
  readonly rss: (number | undefined)[];
  readonly cpu: (number | undefined)[];
  readonly sys: (number | undefined)[];
}

function machine(): { cpu: string; cores: number; memory: string; node: string } {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.*)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux
  }
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return { cpu, cores, memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`, node: process.version };
}

/** The commit measured and whether main.ts or lib/ differ from it (read-only git commands). */
function gitRevision(): string | undefined {
  const git = (...args: string[]) => spawnSync('git', args, { cwd: REPO, encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return undefined;
  const dirty = git('diff', '--shortstat', 'HEAD', '--', 'main.ts', 'lib').stdout.trim();
  return `commit ${head.stdout.trim()}${dirty ? `, with uncommitted changes to main.ts and lib/ (${dirty})` : ''}`;
}

function main(): void {
  const opts = parseOptions(process.argv.slice(2));
  tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'netscale-bench-'));
  rssMethod = detectRssMethod();
  const defaultRuns = opts.runs ?? (opts.quick ? 3 : 5);
  const m = machine();
  const loadStart = os.loadavg()[0].toFixed(2);
  const revision = gitRevision();
  const rssVia = rssMethod.kind === 'gnu-time' ? `${rssMethod.bin} -f %M` : 'process.resourceUsage().maxRSS at exit';
  progress(`temporary folder ${tmpRoot}; peak RSS via ${rssVia}`);

  const vs = checkedVariants();
  progress(`${vs.length} profile variants: ${vs.map((v) => v.label).join(', ')}`);
  if (opts.writeFleet) {
    writeFleet(vs, opts.writeFleet.dir, opts.writeFleet.n);
    progress(`wrote ${opts.writeFleet.n} profiles into ${opts.writeFleet.dir}`);
    fs.rmSync(tmpRoot, { recursive: true, force: true });
    return;
  }

  // 1, 2. Fleets of N profiles: check once (also the warm-up: the cached bundle), then time.
  const sizes: SizeResult[] = [];
  let rssCrossCheck: string | undefined;
  for (const n of opts.sizes) {
    const dir = path.join(tmpRoot, `fleet-${n}`);
    const out = path.join(tmpRoot, `out-${n}`);
    const names = writeFleet(vs, dir, n);
    const check = synth(dir, out);
    checkFullSynth(check, n, `fleet of ${n}`);
    const missing = missingReviews(out, names);
    if (missing.length > 0) fail(`fleet of ${n}: no review for ${missing.length} clusters (${missing.slice(0, 3).join(', ')})`);
    if (rssCrossCheck === undefined && rssMethod.kind === 'gnu-time' && n >= 100) {
      // The two ways of reading the peak RSS should agree; a preload adds a little.
      const viaTime = check.rssKiB;
      const saved = rssMethod;
      rssMethod = { kind: 'preload', hook: path.join(tmpRoot, 'rss-hook.cjs') };
      const viaHook = synth(dir, out).rssKiB;
      rssMethod = saved;
      rssCrossCheck = `N=${n}: GNU time ${mib(viaTime)}, process.resourceUsage().maxRSS ${mib(viaHook)}`;
    }
    const runs = n >= 1000 && check.ms > 8000 && opts.runs === undefined ? Math.min(defaultRuns, 3) : defaultRuns;
    const walls: number[] = [];
    const rss: (number | undefined)[] = [];
    const cpu: (number | undefined)[] = [];
    const sys: (number | undefined)[] = [];
    for (let i = 0; i < runs; i++) {
      // A new, empty dist/ and render cache every time: the synth renders and writes everything, as
      // on a first run. Nothing is deleted between runs: after tens of thousands of files are
      // deleted, creating files is several times slower for a while (ext4 here), which would time
      // the benchmark's own cleanup rather than the synth. Everything goes when the benchmark ends.
      const runOut = path.join(tmpRoot, `out-${n}-run-${i + 1}`);
      const cache = path.join(tmpRoot, `cache-cold-${n}-run-${i + 1}`);
      const r = synth(dir, runOut, [], { NETSCALE_RENDER_CACHE: cache });
      checkFullSynth(r, n, `fleet of ${n}, run ${i + 1}`);
      walls.push(r.ms);
      rss.push(r.rssKiB);
      cpu.push(r.cpuMs);
      sys.push(r.sysMs);
    }
    sizes.push({ n, runs, walls, rss, cpu, sys });
    progress(`N=${n}: median ${sec(median(walls))}, peak RSS ${mib(Math.max(...rss.map((x) => x ?? 0)) || undefined)} (${runs} runs)`);
  }

  // 3. The example fleet: npm run synth (A) against the stock cdk8s + ts-node path (B), A B A B.
  const examples = readExamples().length;
  const outA = path.join(tmpRoot, 'example-tsx');
  const outB = path.join(tmpRoot, 'example-stock');
  const runA = () => synth('clusters', outA);
  const runB = () => run(CDK8S_BIN, ['synth', '--app', STOCK_APP, '--no-check-upgrade', '--output', outB], childEnv(), false);
  const a0 = runA();
  checkFullSynth(a0, examples, 'example fleet, npm run synth');
  const b0 = runB();
  if (b0.status !== 0) fail('example fleet through cdk8s synth --app "npx ts-node main.ts" failed', b0);
  const exRounds = opts.runs ?? (opts.quick ? 3 : 5);
  const wallsA: number[] = [];
  const wallsB: number[] = [];
  const rssA: (number | undefined)[] = [];
  const cpuA: (number | undefined)[] = [];
  for (let i = 0; i < exRounds; i++) {
    fs.rmSync(outA, { recursive: true, force: true }); // the stock path empties its output too
    const a = runA();
    checkFullSynth(a, examples, 'example fleet, npm run synth');
    wallsA.push(a.ms);
    rssA.push(a.rssKiB);
    cpuA.push(a.cpuMs);
    const b = runB();
    if (b.status !== 0) fail('example fleet through the stock cdk8s path failed', b);
    wallsB.push(b.ms);
  }
  const sameOutput = changedFiles(snapshot(outA), snapshot(outB)).content;
  progress(`example fleet: npm run synth ${sec(median(wallsA))}, stock ${sec(median(wallsB))}`);

  // 4. --cluster: detect, then time one cluster of the largest fleet.
  const single = checkSingleCluster(vs);
  const largest = sizes[sizes.length - 1];
  let singleTiming: { n: number; name: string; walls: number[]; rss: (number | undefined)[]; cpu: (number | undefined)[] } | undefined;
  if (single.works && largest) {
    const dir = path.join(tmpRoot, `fleet-${largest.n}`);
    const out = path.join(tmpRoot, `out-${largest.n}`);
    const name = `bench-${pad(Math.ceil(largest.n / 2), Math.max(4, String(largest.n).length))}`;
    const walls: number[] = [];
    const rss: (number | undefined)[] = [];
    const cpu: (number | undefined)[] = [];
    for (let i = 0; i <= defaultRuns; i++) {
      const r = synth(dir, out, ['--cluster', name]);
      if (r.status !== 0) fail(`--cluster ${name} on the fleet of ${largest.n} failed`, r);
      if (i === 0) continue; // warm-up
      walls.push(r.ms);
      rss.push(r.rssKiB);
      cpu.push(r.cpuMs);
    }
    const missing = missingReviews(
      out,
      Array.from({ length: largest.n }, (_, i) => `bench-${pad(i + 1, Math.max(4, String(largest.n).length))}`),
    );
    if (missing.length > 0) fail(`--cluster ${name} left the fleet's output without ${missing.length} reviews (${missing.slice(0, 3).join(', ')})`);
    singleTiming = { n: largest.n, name, walls, rss, cpu };
    progress(`--cluster ${name} of ${largest.n}: median ${sec(median(walls))}`);
  }

  // 5. One profile of the largest fleet changes: what a pull request pays with the render cache.
  let oneChange: OneChange | undefined;
  if (largest && largest.n >= 1000) oneChange = measureOneChange(largest.n, defaultRuns);

  // 6. Where the time goes.
  let profile: ProfileSummary | undefined;
  let profileNote = '';
  if (opts.profile && largest) {
    const dir = path.join(tmpRoot, `fleet-${largest.n}`);
    const profDir = path.join(tmpRoot, 'cpuprofile');
    fs.rmSync(profDir, { recursive: true, force: true });
    // In one thread, so the profile shows the rendering rather than a main thread waiting for workers.
    const r = run(
      NODE,
      ['--cpu-prof', '--cpu-prof-dir', profDir, ...SYNTH_ARGS],
      childEnv({ CLUSTERS_DIR: dir, CDK8S_OUTDIR: path.join(tmpRoot, `out-${largest.n}`), NETSCALE_WORKERS: '1' }),
      false,
    );
    checkFullSynth(r, largest.n, 'profiled synth');
    const files = fs
      .readdirSync(profDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => path.join(profDir, f));
    // The main thread's file is the one with the most samples; tsx's loader thread may write its own.
    const summaries = files.map(summarizeProfile).sort((x, y) => y.totalMs - x.totalMs);
    profile = summaries[0];
    profileNote = `Profiled one synth of N=${largest.n} (wall ${sec(r.ms)} with the profiler on)${
      summaries.length > 1
        ? `; other threads (tsx runs its module loader hooks in one): ${summaries
            .slice(1)
            .map((s) => `${path.basename(s.file)} ${sec(s.totalMs)}, ${((100 * s.idleMs) / s.totalMs).toFixed(0)}% idle`)
            .join(', ')}`
        : ''
    }.`;
  }

  // 5. Report.
  const bySize = new Map(sizes.map((s) => [s.n, s]));
  const perCluster = (s: SizeResult) => median(s.walls) / s.n;
  const peak = (xs: (number | undefined)[]) => (xs.some((x) => x !== undefined) ? Math.max(...xs.map((x) => x ?? 0)) : undefined);
  const cpuText = (xs: (number | undefined)[]) => (xs.length > 0 && xs.every((x) => x !== undefined) ? sec(median(xs as number[])) : 'n/a');
  const range = (xs: number[]) => `${sec(Math.min(...xs))} .. ${sec(Math.max(...xs))}`;
  const rows: string[][] = sizes.map((s) => [
    `\`npm run synth\`, N=${s.n}`,
    String(s.runs),
    sec(median(s.walls)),
    range(s.walls),
    cpuText(s.cpu),
    cpuText(s.sys),
    mib(peak(s.rss)),
    msText(perCluster(s)),
  ]);
  rows.push([
    `example fleet (${examples}), \`npm run synth\``,
    String(exRounds),
    sec(median(wallsA)),
    range(wallsA),
    cpuText(cpuA),
    'n/a',
    mib(peak(rssA)),
    msText(median(wallsA) / examples),
  ]);
  rows.push([
    `example fleet (${examples}), \`cdk8s synth --app "${STOCK_APP}"\``,
    String(exRounds),
    sec(median(wallsB)),
    range(wallsB),
    'n/a',
    'n/a',
    'n/a',
    msText(median(wallsB) / examples),
  ]);
  if (oneChange) {
    for (const command of ['synth', 'check'] as const) {
      const t = oneChange[command];
      const label = `\`${command}\` after one profile of ${oneChange.n} changed`;
      rows.push([label, String(t.walls.length), sec(median(t.walls)), range(t.walls), cpuText(t.cpu), cpuText(t.sys), mib(peak(t.rss)), '']);
    }
  }
  if (singleTiming) {
    rows.push([
      `\`--cluster ${singleTiming.name}\`, 1 of ${singleTiming.n}`,
      String(singleTiming.walls.length),
      sec(median(singleTiming.walls)),
      range(singleTiming.walls),
      cpuText(singleTiming.cpu),
      'n/a',
      mib(peak(singleTiming.rss)),
      '',
    ]);
  }

  say('');
  say('# netscale synth benchmark');
  say('');
  say(`Machine: ${m.cpu}, ${m.cores} cores, ${m.memory} memory, Node ${m.node} (${os.platform()} ${os.release()}).`);
  say(
    `Load average (1 ` +
      `min): ${loadStart} at the start, ${os.loadavg()[0].toFixed(2)} at the end; other work on the machine shows as spread between min and ` +
      `max wall time.`,
  );
  if (revision) say(`Code: ${revision}.`);
  if (m.cores !== 2) say(`The targets are set for 2 cores; this machine has ${m.cores}.`);
  const rssHow = rssMethod.kind === 'gnu-time' ? 'GNU time %M (maxrss of the child)' : 'process.resourceUsage().maxRSS at exit (preload)';
  say(`Peak RSS: ${rssHow}${rssCrossCheck ? `; cross-check ${rssCrossCheck}` : ''}.`);
  say(`Profiles cycle through ${vs.length} variants: ${vs.map((v) => v.label).join(', ')}.`);
  say('');
  say(
    table(
      ['measurement', 'runs', 'median wall', 'wall min .. max', 'median CPU (user+sys)', 'of which sys', 'peak RSS', 'per cluster (median wall / N)'],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  );
  say('');

  const ratioStock = median(wallsB) / median(wallsA);
  const outputs =
    sameOutput.length === 0
      ? 'both write identical files'
      : `their outputs differ in ${sameOutput.length} files (e.g. ${sameOutput.slice(0, 3).join(', ')})`;
  say(`- Example fleet: the stock cdk8s + ts-node path takes ${ratioStock.toFixed(2)}x as long as \`npm run synth\`; ${outputs}.`);
  const s100 = bySize.get(100);
  const s1000 = bySize.get(1000);
  const s1 = bySize.get(1);
  const ratio = s100 && s1000 ? perCluster(s1000) / perCluster(s100) : undefined;
  if (ratio !== undefined) say(`- Time per cluster at 1000 / at 100: ${ratio.toFixed(2)}.`);
  const s10000 = bySize.get(10000);
  const ratio10000 = s1000 && s10000 ? perCluster(s10000) / perCluster(s1000) : undefined;
  if (ratio10000 !== undefined) say(`- Time per cluster at 10000 / at 1000: ${ratio10000.toFixed(2)}.`);
  if (oneChange) {
    say(
      `- One profile of ${oneChange.n} changed: synth ` +
        `renders ${oneChange.rendered} and reuses ${oneChange.reused}; \`check --full\` (everything rendered, nothing ` +
        `reused) ${oneChange.fullCheck}; a broken profile ${oneChange.badProfile}.`,
    );
  }
  if (s1) {
    for (const s of sizes.filter((x) => x.n > 1)) {
      say(
        `- Marginal cost per cluster from N=1 ` +
          `to N=${s.n}: ${msText((median(s.walls) - median(s1.walls)) / (s.n - 1))} (startup and fixed cost ${sec(median(s1.walls))}).`,
      );
    }
  }
  const singleText = single.works ? `works: ${single.detail}` : `not available: ${single.detail}`;
  say(`- \`--cluster NAME\`: ${singleText}.`);
  if (single.envDetail !== undefined) say(`- \`CLUSTER=NAME\`: ${single.envWorks ? 'works' : 'not available'}: ${single.envDetail}.`);
  if (single.unknownName) say(`- \`--cluster no-such-cluster\`: ${single.unknownName}.`);
  say('');

  const verdict = (ok: boolean | undefined) => (ok === undefined ? 'n/a' : ok ? 'PASS' : 'MISS');
  const targets: string[][] = [
    [
      `example fleet >= ${TARGETS.exampleSpeedup}x faster than the stock path`,
      `${ratioStock.toFixed(2)}x`,
      verdict(ratioStock >= TARGETS.exampleSpeedup),
    ],
    [
      `1000 clusters <= ${TARGETS.wall1000Ms / 1000} s wall`,
      s1000 ? sec(median(s1000.walls)) : 'not run',
      verdict(s1000 ? median(s1000.walls) <= TARGETS.wall1000Ms : undefined),
    ],
    [
      `1000 clusters <= ${TARGETS.rss1000MiB} MiB peak RSS`,
      s1000 ? mib(peak(s1000.rss)) : 'not run',
      verdict(s1000 && peak(s1000.rss) !== undefined ? peak(s1000.rss)! / 1024 <= TARGETS.rss1000MiB : undefined),
    ],
    [
      `time per cluster at 1000 <= ${TARGETS.perClusterRatio}x that at 100`,
      ratio !== undefined ? ratio.toFixed(2) : 'not run',
      verdict(ratio !== undefined ? ratio <= TARGETS.perClusterRatio : undefined),
    ],
    [
      `one cluster of 1000 (\`--cluster\`) <= ${TARGETS.singleClusterMs / 1000} s`,
      singleTiming ? `${sec(median(singleTiming.walls))}${singleTiming.n !== 1000 ? ` (of ${singleTiming.n})` : ''}` : 'not available',
      verdict(singleTiming && singleTiming.n === 1000 ? median(singleTiming.walls) <= TARGETS.singleClusterMs : single.works ? undefined : false),
    ],
  ];
  targets.push(
    [
      `10000 clusters <= ${TARGETS.wall10000Ms / 1000} s wall`,
      s10000 ? sec(median(s10000.walls)) : 'not run',
      verdict(s10000 ? median(s10000.walls) <= TARGETS.wall10000Ms : undefined),
    ],
    [
      `10000 clusters < ${TARGETS.rss10000MiB} MiB peak RSS`,
      s10000 ? mib(peak(s10000.rss)) : 'not run',
      verdict(s10000 && peak(s10000.rss) !== undefined ? peak(s10000.rss)! / 1024 < TARGETS.rss10000MiB : undefined),
    ],
    [
      `check --full of ${oneChange?.n ?? 'N'} clusters < ${TARGETS.rss10000MiB} MiB peak RSS`,
      oneChange ? mib(oneChange.fullCheckRssKiB) : 'not run',
      verdict(oneChange?.fullCheckRssKiB !== undefined ? oneChange.fullCheckRssKiB / 1024 < TARGETS.rss10000MiB : undefined),
    ],
    [
      `time per cluster at 10000 <= ${TARGETS.perClusterRatio10000}x that at 1000`,
      ratio10000 !== undefined ? ratio10000.toFixed(2) : 'not run',
      verdict(ratio10000 !== undefined ? ratio10000 <= TARGETS.perClusterRatio10000 : undefined),
    ],
    [
      `synth after one profile of ${oneChange?.n ?? 'N'} changed < ${TARGETS.oneChangeMs / 1000} s`,
      oneChange ? sec(median(oneChange.synth.walls)) : 'not run',
      verdict(oneChange ? median(oneChange.synth.walls) < TARGETS.oneChangeMs && oneChange.correct : undefined),
    ],
    [
      `check after one profile of ${oneChange?.n ?? 'N'} changed < ${TARGETS.oneChangeMs / 1000} s`,
      oneChange ? sec(median(oneChange.check.walls)) : 'not run',
      verdict(oneChange ? median(oneChange.check.walls) < TARGETS.oneChangeMs && oneChange.correct : undefined),
    ],
  );
  say(table(['target (2 cores)', 'measured', 'result'], targets));
  say('');

  if (profile) {
    say('## Where the time goes');
    say('');
    say(profileNote);
    say('');
    say(profileReport(profile));
    say('');
  }

  if (opts.keep) progress(`kept ${tmpRoot}`);
  else fs.rmSync(tmpRoot, { recursive: true, force: true });
}

main();
