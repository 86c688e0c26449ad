/**
 * What a reviewer needs before approving a change: what changes (against the profile's base), how
 * long each step takes with one bound on every path, how to know it worked, how to undo it, a
 * picture Mermaid itself parses, and citations a reader can open.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { parse } from 'yaml';
import { loadProfiles } from '../lib/cluster/load';
import { daemonSetPace, formatSeconds, podsPerBatch, surgePace } from '../lib/core/pace';
import { REFERENCES, UNOPENABLE_LABEL } from '../lib/core/references';
import { diffSettings } from '../lib/core/review-parts';
import { formatDiagnostic } from '../lib/profile/diagnostics';
import { tempDirPerTest } from './support/files';
import { ACK_TERWAY, KUBEADM_CALICO, loadSpec, Spec } from './support/profiles';
import { synthProfiles } from './support/synth';

const ROOT = path.join(__dirname, '..');
const EXAMPLES = path.join(ROOT, 'clusters');
const REVIEWS = path.join(ROOT, 'dist', 'reviews');
const ARGOCD = { repoURL: 'https://git.example.com/platform/fleet.git' };
const KUBE_PROXY_BASE =
  'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: iptables\nclusterCIDR: 10.244.0.0/16\nconntrack:\n  ' +
  'maxPerCore: 32768\n';

const temp = tempDirPerTest('approval');

function synth(profiles: Record<string, Spec>): { out: string; review: (name: string) => string } {
  const out = synthProfiles(temp.path, profiles);
  return { out, review: (name) => fs.readFileSync(path.join(out, 'reviews', `${name}.md`), 'utf8') };
}

/** The text of one `## ` section, without its heading. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) return '';
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start + heading.length + 5, next < 0 ? undefined : next);
}

const committedReviews = () => fs.readdirSync(REVIEWS).filter((f) => f.endsWith('.md') && f !== 'README.md');

/** Every ```mermaid block of a Markdown text. */
function mermaidBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```mermaid\n([\s\S]*?)```/g)].map((m) => m[1]);
}

/** mermaid's own parser, run under jsdom in a child process (mermaid ships ES modules only). */
function mermaidParse(diagrams: readonly string[]): Array<{ ok: boolean; type?: string; error?: string }> {
  const run = spawnSync(process.execPath, [path.join(__dirname, 'support', 'mermaid-parse.mjs')], {
    input: JSON.stringify(diagrams),
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`mermaid-parse failed: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

describe('every committed review', () => {
  test.each(committedReviews())('%s has Changes, Duration, Verify and ends with the Rollback', (file) => {
    const text = fs.readFileSync(path.join(REVIEWS, file), 'utf8');
    const headings = [...text.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    for (const h of ['Changes', 'Decisions', 'Rollout', 'Duration', 'Verify', 'Rollback']) expect(headings).toContain(h);
    expect(headings[headings.length - 1]).toBe('Rollback');
    expect(section(text, 'Rollback')).toContain('Point of no return:');
    expect(section(text, 'Duration')).toMatch(/\| \| total \| [\d,]+ nodes \| [^|]+ \| \|/);
    expect(mermaidBlocks(section(text, 'Rollout'))).toHaveLength(1);
  });

  test('every Mermaid diagram of dist/reviews/ parses with mermaid itself, and a broken one does not', () => {
    const files = fs.readdirSync(REVIEWS).filter((f) => f.endsWith('.md'));
    const diagrams = files.flatMap((f) => mermaidBlocks(fs.readFileSync(path.join(REVIEWS, f), 'utf8')).map((d) => ({ f, d })));
    expect(diagrams.length).toBeGreaterThanOrEqual(committedReviews().length + 2);
    const results = mermaidParse([...diagrams.map((x) => x.d), 'flowchart TD\n  s1["a"] -->']);
    const broken = results
      .slice(0, -1)
      .map((r, i) => ({ file: diagrams[i].f, ...r }))
      .filter((r) => !r.ok);
    expect(broken).toEqual([]);
    expect(new Set(results.slice(0, -1).map((r) => r.type))).toEqual(new Set(['flowchart-v2', 'pie']));
    expect(results[results.length - 1].ok).toBe(false);
  }, 90_000);

  test('cites nothing a reader cannot open: no seed labels, and every source cell is made of links', () => {
    for (const file of fs.readdirSync(REVIEWS)) {
      const text = fs.readFileSync(path.join(REVIEWS, file), 'utf8');
      expect([file, text.match(UNOPENABLE_LABEL)?.[0]]).toEqual([file, undefined]);
      for (const table of ['Decisions', 'Capacity']) {
        for (const row of section(text, table)
          .split('\n')
          .filter((l) => l.startsWith('| ') && !l.startsWith('| value') && !l.startsWith('| figure') && !l.startsWith('| ---'))) {
          const source = row.split(' | ').pop()!.replace(/ ?\|$/, '').trim();
          expect([file, source.replace(/\[[^\]]+\]\(https:\/\/[^)\s]+\)(; )?/g, '')]).toEqual([file, '']);
        }
      }
    }
    for (const text of [
      fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8'),
      fs.readFileSync(path.join(ROOT, 'schema', 'clusterprofile.schema.json'), 'utf8'),
    ]) {
      expect(text.match(UNOPENABLE_LABEL)?.[0]).toBeUndefined();
    }
  });
});

describe('citations', () => {
  test('every catalogue entry is an https link with a title', () => {
    for (const [name, r] of Object.entries(REFERENCES))
      expect([name, /^https:\/\/[^\s]+$/.test(r.url), r.title.length > 0]).toEqual([name, true, true]);
  });

  test('every warning of the example profiles names its source as URLs a terminal can open, never a seed label', () => {
    const loaded = loadProfiles(EXAMPLES);
    const warnings = loaded.diagnostics.filter((d) => d.severity === 'warning');
    expect(warnings.length).toBeGreaterThan(3);
    for (const w of warnings) {
      const line = formatDiagnostic(w);
      expect(line).not.toMatch(UNOPENABLE_LABEL);
      if (w.source) expect(line).toMatch(/<https:\/\/[^>]+>\)$/);
    }
    for (const p of loaded.profiles) for (const d of p.cluster.decisions) for (const r of d.source ?? []) expect(r.url).toMatch(/^https:\/\//);
  });

  test('fails the check on a seed label', () => {
    expect('the rule (seed 002)').toMatch(UNOPENABLE_LABEL);
    expect('seeds 000/001').toMatch(UNOPENABLE_LABEL);
    expect('Seed 003: vSwitches').toMatch(UNOPENABLE_LABEL);
  });
});

describe('durations', () => {
  test("a DaemonSet's pace comes from its maxUnavailable, rounded up as Kubernetes does", () => {
    expect([
      podsPerBatch('10%', 2500),
      podsPerBatch('10%', 15),
      podsPerBatch('1', 2500),
      podsPerBatch(undefined, 2500),
      podsPerBatch('0', 10),
      podsPerBatch('25', 3),
    ]).toEqual([250, 2, 1, 1, 1, 3]);
    // 2,500 Terway nodes at 10%: ten batches of 20 s, bounded at the 30-minute floor.
    expect(daemonSetPace('10%', 2500)).toMatchObject({ podsPerBatch: 250, batches: 10, estimateSeconds: 200, bound: '30m' });
    // 2,500 kube-proxies one at a time: 13 h 53 min, bounded at twice that.
    const slow = daemonSetPace(undefined, 2500);
    expect(slow).toMatchObject({ batches: 2500, estimateSeconds: 50000, boundSeconds: 100020, bound: '1667m' });
    expect(formatSeconds(slow.estimateSeconds)).toBe('13 h 53 min');
    expect(surgePace(5)).toMatchObject({ podsPerBatch: 5, batches: 1, estimateSeconds: 20, bound: '30m' });
    expect(daemonSetPace('1', 30_000).bound).toBe('10080m');
  });

  test('the kubectl commands and the Argo CD restart Job wait with the same bound, and the review shows it per step and in total', () => {
    const spec = { ...KUBEADM_CALICO, nodes: 1200, networkPolicy: 'relay', calico: { install: 'manifest-typha', version: '3.30.5' } };
    const { out, review } = synth({ hooks: { ...spec, argocd: ARGOCD }, manual: spec });
    // calico-node: maxUnavailable 1, 1,200 batches of 20 s = 6 h 40 min, bounded at 800 minutes.
    const job = parse(fs.readFileSync(path.join(out, 'hooks', 'Job.netscale-restart-calico-node.k8s.yaml'), 'utf8'));
    expect(job.spec.activeDeadlineSeconds).toBe(800 * 60 + 300);
    expect(review('manual')).toContain('kubectl -n kube-system rollout status ds/calico-node --timeout=800m');
    for (const name of ['hooks', 'manual']) {
      const duration = section(review(name), 'Duration');
      expect(duration).toContain(
        '| restart ds/calico-node: calico-node reads typha_service_name from calico-config only when it starts | maxUnavailable 1: 1 pod per ' +
          'batch, 1200 batches | 6 h 40 min | 800m |',
      );
      expect(duration).toContain(
        '| wait for Deployment calico-typha: Typha is ready before Felix is pointed at it | maxSurge 100%: all 6 new pods in one batch | 20 s ' +
          '| 30m |',
      );
      expect(duration).toContain('| | total | 1,200 nodes | 6 h 40 min | |');
    }
    expect(review('manual')).toContain('kubectl -n kube-system rollout status deploy/calico-typha --timeout=30m');
    expect(review('hooks')).toContain('about 6 h 40 min, bound 800m');
  });

  test('spec.argocd.restartTimeout bounds every Job instead, and the review says so', () => {
    const { out, review } = synth({ t: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: { ...ARGOCD, restartTimeout: '2h' } } });
    expect(parse(fs.readFileSync(path.join(out, 't', 'Job.netscale-restart-terway-eniip.k8s.yaml'), 'utf8')).spec.activeDeadlineSeconds).toBe(
      7200 + 300,
    );
    expect(section(review('t'), 'Duration')).toContain("spec.argocd.restartTimeout sets every restart Job's bound to 2h instead.");
  });

  test('the flowchart shows each step with its estimate, in the order of the Duration table', () => {
    const { review } = synth({ t: { ...ACK_TERWAY, nodes: 2500, networkPolicy: 'relay' } });
    const [chart] = mermaidBlocks(review('t'));
    expect(chart.split('\n').filter((l) => /^\s+s\d+\[/.test(l))).toEqual([
      '  s1["1. apply wave 0 (definitions)<br/>seconds"]',
      '  s2["2. apply wave 2 (relay and data plane)<br/>seconds"]',
      '  s3["3. wait for Deployment calico-typha<br/>1 batch of 13: 20 s, bound 30m"]',
      '  s4["4. apply wave 3 (switch)<br/>seconds"]',
      '  s5["5. restart ds/terway-eniip<br/>10 batches of 250: 3 min 20 s, bound 30m"]',
    ]);
    expect(chart).toContain('done(["done: about 3 min 40 s for 2,500 nodes"])');
  });
});

describe('the Changes table', () => {
  test("compares kube-proxy's configuration with baseConfig, setting by setting, and counts what stays", () => {
    const { review } = synth({
      kp: { ...KUBEADM_CALICO, kubeProxy: { mode: 'ipvs', scheduler: 'lc', conntrackMax: 2310720, baseConfig: KUBE_PROXY_BASE } },
    });
    const changes = section(review('kp'), 'Changes');
    expect(changes).toContain(
      "**ConfigMap kube-system/kube-proxy, config.conf**, against the cluster's current values in `spec.kubeProxy.baseConfig`; 3 other " +
        'settings stay as they are:',
    );
    expect(changes).toContain('| `mode` | `"iptables"` | `"ipvs"` | set in the profile (spec.kubeProxy.mode) |');
    expect(changes).toContain('| `conntrack.maxPerCore` | `32768` | `144420` | maxPerCore = ceil(2310720 / 16) = 144420 |');
    expect(changes).toContain('| `ipvs.scheduler` | not set | `"lc"` | set in the profile (spec.kubeProxy.scheduler) |');
    // apiVersion, kind and clusterCIDR stay: no row.
    expect(changes).not.toContain('clusterCIDR');
  });

  test('without a base it says "current value unknown" once, not per row', () => {
    const { review } = synth({
      kp: {
        ...KUBEADM_CALICO,
        networkPolicy: 'relay',
        calico: { install: 'manifest-typha', version: '3.30.5', ipPools: [{ name: 'a', cidr: '10.244.0.0/16' }] },
        kubeProxy: { scheduler: 'lc' },
      },
    });
    const changes = section(review('kp'), 'Changes');
    expect(changes.match(/Current value unknown/g)).toHaveLength(1);
    expect(changes).toContain('the profile gives no kubeProxy.baseConfig');
    expect(changes).toContain('**IPPool a** (');
    expect(changes).toContain('| `blockSize` | `26` |');
    expect(changes).not.toMatch(/\| unknown \|/);
  });

  test('compares eni_conf with baseEniConf', () => {
    const base = JSON.stringify({
      version: '1',
      max_pool_size: 5,
      min_pool_size: 0,
      vswitches: { 'cn-shanghai-f': ['vsw-a'] },
      service_cidr: '172.16.0.0/16',
      security_group: 'sg-a',
      enable_eni_trunking: false,
    });
    const { review } = synth({
      t: {
        ...ACK_TERWAY,
        networkPolicy: 'disabled',
        terway: { baseEniConf: base, vswitches: { 'cn-shanghai-f': ['vsw-a', 'vsw-b'] }, pool: { min: 20, max: 80 } },
      },
    });
    const changes = section(review('t'), 'Changes');
    expect(changes).toContain('| `vswitches.cn-shanghai-f` | `["vsw-a"]` | `["vsw-a","vsw-b"]` | set in the profile (spec.terway.vswitches) |');
    expect(changes).toMatch(/\| `max_pool_size` \| `5` \| `80` \| set in the profile; /);
    expect(changes).toContain('| `disable_network_policy` | `"true"` |');
  });

  test('diffSettings lists added, changed and removed settings in order, and counts the rest', () => {
    expect(
      diffSettings({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 4 }, f: 'x', e: [1] }, (s, removed) => (removed ? 'gone' : 'new')),
    ).toEqual({
      changes: [
        { setting: 'b.c', current: '2', next: '4', why: 'new' },
        { setting: 'b.d', current: '3', next: undefined, why: 'gone' },
        { setting: 'f', current: undefined, next: '"x"', why: 'new' },
      ],
      kept: 2,
    });
  });
});

describe('Verify and Rollback', () => {
  test('each component a profile changes gets its own checks with what healthy looks like', () => {
    const bgp = {
      ...KUBEADM_CALICO,
      nodes: 300,
      kubernetesVersion: '1.30',
      networkPolicy: 'relay',
      calico: {
        install: 'manifest-typha',
        version: '3.30.5',
        ipPools: [{ name: 'a', cidr: '10.244.0.0/16', blockSize: 27 }],
        bgp: { routeReflectors: { nodeSelector: "route-reflector == 'true'" } },
      },
      kubeProxy: { mode: 'ipvs', scheduler: 'lc', conntrackMax: 2310720 },
    };
    const { review } = synth({ bgp, relay: { ...ACK_TERWAY, networkPolicy: 'relay' } });
    const verify = section(review('bgp'), 'Verify');
    expect([...verify.matchAll(/^### (.+)$/gm)].map((m) => m[1])).toEqual(['Typha relay', 'kube-proxy', 'Calico']);
    expect(verify).toContain("`ss -Htn state established '( sport = :5473 )' | wc -l`: healthy when about 200 per replica (300 nodes x 2 / 3)");
    expect(verify).toContain('on a node: `sysctl net.netfilter.nf_conntrack_max`: healthy when `net.netfilter.nf_conntrack_max = 2310720`');
    expect(verify).toContain('on a node: `ipvsadm -Ln --stats`: healthy when one virtual server per Service port, each with scheduler `lc`');
    expect(verify).toContain(
      'on a route reflector node: `calicoctl node status`: healthy when a BGP session to every other node, each `Established`',
    );
    const relay = section(review('relay'), 'Verify');
    expect([...relay.matchAll(/^### (.+)$/gm)].map((m) => m[1])).toEqual(['Typha relay', 'Terway']);
    expect(relay).toContain('`kubectl -n kube-system logs <a terway-eniip pod> -c policy | grep -i typha`');
  });

  test('the rollback names the point of no return: the BGP mesh, a kube-proxy configuration replaced whole', () => {
    const { review } = synth({
      bgp: {
        ...KUBEADM_CALICO,
        nodes: 300,
        calico: { ipPools: [{ name: 'a', cidr: '10.244.0.0/16' }], bgp: { routeReflectors: { nodeSelector: "route-reflector == 'true'" } } },
        kubeProxy: { scheduler: 'lc' },
      },
      plain: { ...ACK_TERWAY, networkPolicy: 'relay' },
    });
    const bgp = section(review('bgp'), 'Rollback');
    expect(bgp).toContain('- Calico BGP: the mesh goes off the moment BGPConfiguration default applies');
    expect(bgp).toContain('- kube-proxy: without baseConfig, config.conf is replaced whole once synced');
    expect(bgp).toContain('`calicoctl patch bgpconfiguration default -p \'{"spec":{"nodeToNodeMeshEnabled":true}}\'`');
    expect(bgp).toContain('kubectl deletes nothing');
    const plain = section(review('plain'), 'Rollback');
    expect(plain).toContain('Point of no return:\n\n- None: a revert restores the previous state, once the restarts above have run.');
    expect(plain).toContain('1. ds/terway-eniip: maxUnavailable 10%: 100 pods per batch, 10 batches, about 3 min 20 s, bound 30m');
  });

  test('with Argo CD the rollback is the revert, and terminate-op stops a sync at once', () => {
    const { review } = synth({ t: { ...ACK_TERWAY, networkPolicy: 'relay', argocd: ARGOCD } });
    const rollback = section(review('t'), 'Rollback');
    expect(rollback).toContain('Revert the commit (`git revert <commit>`) and merge it: Argo CD syncs the previous objects');
    expect(rollback).toContain('`argocd app terminate-op t` ends the running operation and deletes its running restart Job');
    expect(rollback).toContain('Argo CD prunes it at the end of its sync, before the restart Job runs');
  });
});

describe('the fleet index', () => {
  test('puts what needs attention first: IPVS on a deprecating release, low headroom, warnings', () => {
    const base = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\n';
    const { out } = synth({
      aaa: { ...KUBEADM_CALICO, nodes: 40 },
      bbb: { ...KUBEADM_CALICO, nodes: 40, kubernetesVersion: '1.35', calico: { version: '3.30.5' }, kubeProxy: { mode: 'ipvs', baseConfig: base } },
      ccc: { ...ACK_TERWAY, networkPolicy: 'relay' },
      ddd: { ...KUBEADM_CALICO, nodes: 40, kubernetesVersion: '1.27' },
    });
    const index = fs.readFileSync(path.join(out, 'reviews', 'README.md'), 'utf8');
    const rows = index.split('\n').filter((l) => l.startsWith('| ['));
    expect(rows.slice(0, 3).map((r) => r.split(' | ').slice(0, 2))).toEqual([
      ['| [bbb](bbb.md)', 'IPVS on 1.35, deprecated; 1 warning'],
      ['| [ccc](ccc.md)', 'Typha connections per replica: 16.9% headroom'],
      ['| [aaa](aaa.md)', ''],
    ]);
    expect(mermaidBlocks(index)).toEqual(['pie title Clusters by status\n  "needs attention" : 2\n  "nothing flagged" : 2\n']);
    expect(
      loadSpec({ ...KUBEADM_CALICO, nodes: 40, kubernetesVersion: '1.35', kubeProxy: { mode: 'ipvs', baseConfig: base } }).warnings,
    ).toHaveLength(1);
  });
});

describe('the README', () => {
  test('shows a review excerpt exactly as the committed review has it', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    const marker = 'From `dist/reviews/dc2-calico-bgp.md`';
    const excerpt = readme
      .slice(readme.indexOf(marker), readme.indexOf('## Rollout with Argo CD'))
      .split('\n')
      .slice(1)
      .filter((l) => l.trim() !== '');
    expect(excerpt.length).toBeGreaterThan(15);
    const review = fs.readFileSync(path.join(REVIEWS, 'dc2-calico-bgp.md'), 'utf8').split('\n');
    expect(excerpt.filter((l) => !review.includes(l))).toEqual([]);
  });
});
