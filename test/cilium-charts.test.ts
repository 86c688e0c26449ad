/**
 * The values netscale renders, run through the real Cilium charts with real Helm (3.17, offline):
 * every chart version netscale knows renders them, the rendered cilium-config says what the
 * review says, a values change reaches the agents, and the Argo CD Application ignores exactly
 * the objects that change between two renders. Each chart renders each values file once; the
 * values with Hubble relay a second time, for the comparison.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { parse } from 'yaml';
import { chartKeysFromArchives, chartKeysModule, CHART_KEYS_FILE } from '../scripts/cilium-chart-keys';
import { loadProfileText } from '../lib/cluster/load';
import { renderTree } from '../lib/output/render';
import { Kind, Kinds } from './support/kinds';
import { describeWithShared, sharedPath } from './support/shared';
import { profileYaml } from './support/profiles';

const ROOT = path.join(__dirname, '..');
const VERSIONS = ['1.13.4', '1.14.5', '1.15.19', '1.16.19', '1.17.18', '1.18.12', '1.19.6', '1.20.0'];
const REPO = 'https://git.example.com/platform/fleet.git';

/** One object of a render: its kind and name read from the text, parsed only when a test needs it. */
interface RenderedDoc {
  readonly kind: string;
  readonly name: string;
  readonly text: string;
}

function splitRender(stdout: string): RenderedDoc[] {
  return stdout
    .split(/^---\s*$/m)
    .map((text) => ({
      text,
      kind: /^kind: (\S+)/m.exec(text)?.[1] ?? '',
      name: /^metadata:\n(?: {2}.*\n)*? {2}name: "?([^"\s]+)"?/m.exec(text)?.[1] ?? '',
    }))
    .filter((d) => d.kind !== '');
}

function find<K extends Kind>(docs: readonly RenderedDoc[], kind: K, name: string): Kinds[K] {
  const doc = docs.find((d) => d.kind === kind && d.name === name);
  if (!doc) throw new Error(`the render holds no ${kind} ${name}`);
  return parse(doc.text) as Kinds[K];
}

const run = promisify(execFile);

/** Run `jobs` two at a time (the CI machine has two cores). */
async function inPairs<T>(jobs: Array<() => Promise<T>>): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

/** Profiles per chart version: native routing with DSR and Hubble relay and UI, and a tunnel without relay. */
function profiles(version: string): Record<string, Record<string, unknown>> {
  const minor = Number(version.split('.')[1]);
  const id = version.replace(/\./g, '-');
  const base = {
    platform: 'kubeadm',
    cni: 'cilium',
    kubernetesVersion: '1.30',
    nodes: 20,
    argocd: { repoURL: REPO, destination: { name: `c-${id}` } },
  };
  return {
    [`native-${id}`]: {
      ...base,
      cilium: {
        version,
        k8sServiceHost: '10.0.0.1',
        k8sServicePort: 6443,
        routingMode: 'native',
        ipv4NativeRoutingCidr: '10.0.0.0/8',
        autoDirectNodeRoutes: true,
        loadBalancer: { mode: 'dsr' },
        hubble: { relay: true, ui: true },
      },
    },
    // 1.13 cannot carry DSR in a tunnel: a plain VXLAN tunnel there, a Geneve one with DSR over Geneve from 1.14.
    [`tunnel-${id}`]: {
      ...base,
      cilium:
        minor < 14
          ? { version, k8sServiceHost: '10.0.0.1', k8sServicePort: 6443, routingMode: 'tunnel', tunnelProtocol: 'vxlan' }
          : {
              version,
              k8sServiceHost: '10.0.0.1',
              k8sServicePort: 6443,
              routingMode: 'tunnel',
              tunnelProtocol: 'geneve',
              loadBalancer: { mode: 'dsr', dsrDispatch: 'geneve' },
            },
    },
  };
}

/** What the review's decision table says about Cilium, by setting. */
function reviewDecisions(review: string): Record<string, string> {
  return Object.fromEntries([...review.matchAll(/^\| Cilium (\S+) \| ([^|]+?) \|/gm)].map((m) => [m[1], m[2].replace(/^"(.*)"$/, '$1')]));
}

const SHARED_CHARTS = 'charts/cilium';

describeWithShared(SHARED_CHARTS)('the real Cilium charts render what netscale writes', () => {
  const helm = sharedPath('tools', 'helm');
  let work = '';
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  // Every generated profile and the examples' Cilium clusters, through the real pipeline.
  const texts: Record<string, string> = Object.fromEntries(
    VERSIONS.flatMap((v) => Object.entries(profiles(v))).map(([name, spec]) => [name, profileYaml(spec, name)]),
  );
  for (const file of fs.readdirSync(path.join(ROOT, 'clusters'))) {
    const text = fs.readFileSync(path.join(ROOT, 'clusters', file), 'utf8');
    if (/\bcni: cilium\b/.test(text)) texts[file] = text;
  }
  const loaded = Object.entries(texts).map(([name, text]) => {
    const result = loadProfileText(`clusters/${name}`, text);
    if (!result.profile) throw new Error(`${name}: ${result.diagnostics.map((d) => d.message).join('; ')}`);
    return result.profile;
  });
  const tree = renderTree(loaded);
  const clusters = loaded.map((p) => ({
    name: p.cluster.name,
    version: p.cluster.cilium!.version,
    kubernetesVersion: p.cluster.kubernetesVersion,
    values: tree.get(`values/${p.cluster.name}.cilium-values.yaml`)!,
    review: tree.get(`reviews/${p.cluster.name}.md`)!,
    application: tree.get(`argocd/Application.${p.cluster.name}-cilium.k8s.yaml`),
    twice: p.cluster.name.startsWith('native-'),
  }));

  let renders: Map<string, RenderedDoc[][]>;
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'netscale-charts-'));
    const jobs = clusters.flatMap((c) => {
      const valuesFile = path.join(work, `${c.name}.yaml`);
      fs.writeFileSync(valuesFile, c.values);
      const chart = sharedPath('charts', 'cilium', `cilium-${c.version}.tgz`);
      const render = async () => {
        const { stdout } = await run(
          helm,
          ['template', 'cilium', chart, '--namespace', 'kube-system', '--kube-version', c.kubernetesVersion, '-f', valuesFile],
          { maxBuffer: 64 * 1024 * 1024 },
        );
        return splitRender(stdout);
      };
      return (c.twice ? [render, render] : [render]).map((r) => async () => [c.name, await r()] as const);
    });
    renders = new Map();
    for (const [name, docs] of await inPairs(jobs)) renders.set(name, [...(renders.get(name) ?? []), docs]);
  }, 240_000);

  test('covers every chart version, and every Cilium example', () => {
    expect([...new Set(clusters.map((c) => c.version))].sort()).toEqual(expect.arrayContaining(VERSIONS));
    expect(clusters.map((c) => c.name)).toEqual(expect.arrayContaining(['k3s-lab-kpr', 'fra-cilium-dsr']));
    for (const v of VERSIONS) expect(fs.existsSync(sharedPath('charts', 'cilium', `cilium-${v}.tgz`))).toBe(true);
  });

  test.each(clusters.map((c) => [c.name, c] as const))('%s: cilium-config says what the review says', (_, c) => {
    const config = find(renders.get(c.name)![0], 'ConfigMap', 'cilium-config').data!;
    const said = reviewDecisions(c.review);
    expect(config['kube-proxy-replacement']).toBe(said.kubeProxyReplacement);
    if (said.tunnel !== undefined) {
      // 1.13: tunnel carries both the routing and the protocol.
      expect(config.tunnel).toBe(said.tunnel);
      expect(config['routing-mode']).toBeUndefined();
    } else {
      expect(config['routing-mode']).toBe(said.routingMode);
      if (said.routingMode === 'tunnel') expect(config['tunnel-protocol']).toBe(said.tunnelProtocol);
    }
    expect(config['bpf-lb-mode']).toBe(said['loadBalancer.mode']);
    expect(config['bpf-lb-dsr-dispatch']).toBe(said['loadBalancer.dsrDispatch']);
    expect(config['ipv4-native-routing-cidr']).toBe(said.ipv4NativeRoutingCIDR);
    if (said.autoDirectNodeRoutes !== undefined) expect(config['auto-direct-node-routes']).toBe(said.autoDirectNodeRoutes);
  });

  test.each(clusters.map((c) => [c.name, c] as const))('%s: a values change reaches the agents and the operator', (_, c) => {
    const docs = renders.get(c.name)![0];
    const agent = find(docs, 'DaemonSet', 'cilium');
    const operator = find(docs, 'Deployment', 'cilium-operator');
    for (const workload of [agent, operator])
      expect(workload.spec!.template.metadata!.annotations!['cilium.io/cilium-configmap-checksum']).toMatch(/^[0-9a-f]{64}$/);
  });

  test.each(clusters.filter((c) => c.twice).map((c) => [c.name, c] as const))(
    '%s: the Application ignores exactly the objects that differ between two renders',
    (_, c) => {
      const [first, second] = renders.get(c.name)!;
      const key = (d: RenderedDoc) => `${d.kind}/${d.name}`;
      const again = new Map(second.map((d) => [key(d), d.text]));
      expect(second.map(key).sort()).toEqual(first.map(key).sort());
      const differing = first
        .filter((d) => again.get(key(d)) !== d.text)
        .map(key)
        .sort();
      expect(differing.length).toBeGreaterThan(0);
      const ignored = (parse(c.application!).spec.ignoreDifferences as Array<{ kind: string; name: string }>)
        .map((i) => `${i.kind}/${i.name}`)
        .sort();
      expect(ignored).toEqual(differing);
    },
  );

  test.each(clusters.filter((c) => !c.twice && c.application).map((c) => [c.name, c] as const))(
    '%s: the Application ignores exactly the generated Secrets this render holds',
    (_, c) => {
      // The Secrets the chart generates on every render, as the double renders above found them.
      const generated = new Set(
        clusters
          .filter((o) => o.twice)
          .flatMap((o) => {
            const [a, b] = renders.get(o.name)!;
            return a.filter((d) => d.text !== b.find((x) => x.kind === d.kind && x.name === d.name)?.text).map((d) => `${d.kind}/${d.name}`);
          }),
      );
      const present = renders
        .get(c.name)![0]
        .map((d) => `${d.kind}/${d.name}`)
        .filter((k) => generated.has(k))
        .sort();
      const ignored = (parse(c.application!).spec.ignoreDifferences as Array<{ kind: string; name: string }>)
        .map((i) => `${i.kind}/${i.name}`)
        .sort();
      expect(ignored).toEqual(present);
    },
  );
});

describeWithShared(SHARED_CHARTS)('the chart keys spec.cilium.values is checked against', () => {
  test(`${CHART_KEYS_FILE} is what the chart archives give (run npm run cilium-keys)`, () => {
    const generated = chartKeysModule(chartKeysFromArchives(sharedPath('charts', 'cilium')));
    expect(fs.readFileSync(path.join(ROOT, CHART_KEYS_FILE), 'utf8')).toBe(generated);
  });
});
