/**
 * spec.monitoring: the PrometheusRule and the PodMonitor it renders, the rules of the section, and
 * the alerts' thresholds taken from the capacity model the review prints.
 */

import { ALERT_NAMES } from '../lib/components/monitoring/facts';
import { NetscaleAlert, netscaleAlerts } from '../lib/components/monitoring/alert-rules';
import { NetscaleAlerts } from '../lib/components/monitoring/netscale-alerts';
import { conntrackSizing } from '../lib/components/kube-proxy/conntrack';
import { FELIX_WATCHED_RESOURCE_TYPES } from '../lib/components/typha/facts';
import { typhaConnectionLimits } from '../lib/components/typha/releases';
import { typhaHeadroom, typhaReplicas } from '../lib/components/typha/sizing';
import { parseCalicoRelease } from '../lib/components/calico/facts';
import { tempDirPerTest } from './support/files';
import { getKind } from './support/kinds';
import { ACK_TERWAY, CALICO_INSTALL, KUBEADM_CALICO, KUBEADM_CILIUM, loadSpec, Spec } from './support/profiles';
import { K8sObject, validateObject } from './support/validate';
import { testChart } from './support/charts';
import { synthCluster } from './support/synth';

const temp = tempDirPerTest('monitoring');

const synth = (spec: Spec, name = 'test-cluster') => synthCluster(temp.path, spec, name);

/** The alerts a valid profile resolves to, by name. */
function alerts(spec: Spec): Record<string, NetscaleAlert> {
  const { loaded, errors } = loadSpec(spec);
  expect(errors).toEqual([]);
  return Object.fromEntries((loaded!.cluster.monitoring?.alerts ?? []).map((a) => [a.alert, a]));
}

type Rule = { alert: string; expr: string; for: string; labels: Record<string, string>; annotations: Record<string, string> };
const rulesOf = (o: K8sObject): Rule[] => (o.spec as { groups: Array<{ rules: Rule[] }> }).groups.flatMap((g) => g.rules);
/** The first object of `kind` (named `name`, when given): the custom resources here have no kubernetes-models type. */
const find = (objects: K8sObject[], kind: string, name?: string): K8sObject | undefined =>
  objects.find((o) => o.kind === kind && (name === undefined || o.metadata?.name === name));
type PodMonitor = K8sObject & {
  spec: {
    selector: { matchLabels: Record<string, string> };
    namespaceSelector: { matchNames: string[] };
    podMetricsEndpoints: Array<{ port: string }>;
  };
};

const RELAY_CALICO: Spec = {
  ...KUBEADM_CALICO,
  nodes: 1000,
  networkPolicy: 'relay',
  calico: CALICO_INSTALL,
  kubeProxy: { conntrackMax: 2310720, metricsBindAddress: '0.0.0.0:10249' },
};

describe('what spec.monitoring renders', () => {
  test('nothing without the section: no PrometheusRule, no PodMonitor, and Typha serves no metrics', () => {
    const { objects, review } = synth(RELAY_CALICO);
    expect(objects.filter((o) => o.apiVersion.startsWith('monitoring.coreos.com/'))).toEqual([]);
    const env = getKind(objects, 'Deployment', 'calico-typha').spec!.template.spec!.containers[0].env!.map((e) => e.name);
    expect(env).not.toContain('TYPHA_PROMETHEUSMETRICSENABLED');
    expect(review).not.toContain('## Alerts');
  });

  test('a PrometheusRule and a PodMonitor for Typha, valid against the vendored CRDs, in the namespace and with the labels the profile gives', () => {
    const { objects } = synth({ ...RELAY_CALICO, monitoring: { namespace: 'monitoring', labels: { release: 'kube-prometheus-stack' } } });
    const rule = find(objects, 'PrometheusRule', 'netscale-alerts')!;
    const monitor = find(objects, 'PodMonitor', 'calico-typha') as PodMonitor;
    for (const o of [rule, monitor]) {
      expect(o.metadata).toMatchObject({ namespace: 'monitoring', labels: { release: 'kube-prometheus-stack' } });
      expect(validateObject(o)).toEqual([]);
    }
    // The PodMonitor finds the Typha pods by their labels in kube-system, and the port by its name.
    const deployment = getKind(objects, 'Deployment', 'calico-typha');
    expect(monitor.spec.selector.matchLabels).toEqual(deployment.spec!.selector.matchLabels);
    expect(monitor.spec.namespaceSelector).toEqual({ matchNames: [deployment.metadata!.namespace] });
    const typha = deployment.spec!.template.spec!.containers[0];
    expect(typha.ports).toContainEqual({ name: monitor.spec.podMetricsEndpoints[0].port, containerPort: 9093, protocol: 'TCP' });
    expect(typha.env).toEqual(
      expect.arrayContaining([
        { name: 'TYPHA_PROMETHEUSMETRICSENABLED', value: 'true' },
        { name: 'TYPHA_PROMETHEUSMETRICSPORT', value: '9093' },
      ]),
    );
    for (const o of objects) expect(validateObject(o)).toEqual([]);
  });

  test('every rule carries the cluster and a severity, waits at most 15m, and its annotations name where the review explains it', () => {
    const { objects } = synth({ ...RELAY_CALICO, monitoring: {} }, 'dc-west');
    const rules = rulesOf(find(objects, 'PrometheusRule')!);
    expect(rules.length).toBeGreaterThan(4);
    for (const r of rules) {
      expect(r.labels).toEqual({ cluster: 'dc-west', severity: expect.stringMatching(/^(warning|critical)$/) });
      expect(Number(/^(\d+)m$/.exec(r.for)![1])).toBeLessThanOrEqual(15);
      expect(r.annotations.review).toBe('dist/reviews/dc-west.md#alerts');
      expect(r.annotations.summary).not.toBe('');
    }
    expect(rules.every((r) => (ALERT_NAMES as readonly string[]).includes(r.alert))).toBe(true);
  });

  test('without the relay there is no Typha to scrape: no PodMonitor and no Typha or watch alerts', () => {
    const { objects } = synth({ ...KUBEADM_CALICO, networkPolicy: 'direct', monitoring: {} });
    expect(find(objects, 'PodMonitor')).toBeUndefined();
    expect(rulesOf(find(objects, 'PrometheusRule')!).map((r) => r.alert)).toEqual(['NetscaleConntrackTableFilling', 'NetscaleKubeProxySyncSlow']);
  });

  test('the Terway alert only on Terway, the Cilium alert only on Cilium, the kube-proxy alert only where kube-proxy runs', () => {
    const cilium = {
      platform: 'kubeadm',
      cni: 'cilium',
      kubernetesVersion: '1.31',
      nodes: 400,
      cilium: { version: '1.18.12', k8sServiceHost: '10.0.0.1', k8sServicePort: 6443, values: { prometheus: { enabled: true } } },
      monitoring: {},
    };
    expect(Object.keys(alerts(cilium))).toEqual(['NetscaleConntrackTableFilling', 'NetscaleCiliumBpfMapPressure']);
    expect(Object.keys(alerts({ ...ACK_TERWAY, networkPolicy: 'disabled', monitoring: {} }))).toEqual([
      'NetscaleConntrackTableFilling',
      'NetscaleKubeProxySyncSlow',
      'NetscaleTerwayIpPoolExhausted',
    ]);
    expect(Object.keys(alerts({ ...RELAY_CALICO, monitoring: {} }))).toEqual([
      'NetscaleConntrackTableFilling',
      'NetscaleConntrackLimitNotApplied',
      'NetscaleKubeProxySyncSlow',
      'NetscaleTyphaConnectionsUnbalanced',
      'NetscaleTyphaConnectionsNearLimit',
      'NetscaleApiServerWatchesHigh',
    ]);
  });

  test('jobSelectors reach every selector of their source and no other', () => {
    const a = alerts({
      ...RELAY_CALICO,
      monitoring: { jobSelectors: { nodeExporter: 'job="node-exporter"', typha: 'job="kube-system/calico-typha"' } },
    });
    expect(a.NetscaleConntrackTableFilling.expr).toBe(
      'node_nf_conntrack_entries{job="node-exporter"} / node_nf_conntrack_entries_limit{job="node-exporter"} > 0.75',
    );
    expect(a.NetscaleConntrackLimitNotApplied.expr).toContain('node_cpu_seconds_total{job="node-exporter", mode="idle"}');
    expect(a.NetscaleConntrackLimitNotApplied.expr.match(/\{job="node-exporter"/g)).toHaveLength(3);
    expect(a.NetscaleTyphaConnectionsNearLimit.expr).toMatch(
      /^sum by \(instance\) \(typha_connections_active\{job="kube-system\/calico-typha"\}\) > /,
    );
    expect(a.NetscaleApiServerWatchesHigh.expr).toContain('apiserver_longrunning_requests{verb="WATCH", group="crd.projectcalico.org"}');
    expect(a.NetscaleKubeProxySyncSlow.expr).toContain('kubeproxy_sync_proxy_rules_duration_seconds_bucket[5m]');
  });

  test('the PrometheusRule construct refuses a for: above 15m and an alert named twice', () => {
    const alert = netscaleAlerts({ conntrackWarnRatio: 0.75, apiServerWatchMargin: 2, terway: false, cilium: false })[0];
    const chart = testChart();
    expect(() => new NetscaleAlerts(chart, 'A', { cluster: 'c', alerts: [{ ...alert, for: '20m' }, alert] })).toThrow(
      'NetscaleAlerts: alerts[0].for: must be whole minutes up to 15m (got 20m); alerts[1].alert: NetscaleConntrackTableFilling appears twice',
    );
  });
});

describe('thresholds from the capacity model', () => {
  test.each([
    [300, 'ack'],
    [1000, 'ack'],
    [1000, 'kubeadm'],
    [4000, 'kubeadm'],
  ])('%i nodes on %s: near the limit is 80% of the per-replica limit the review computes', (nodes, platform) => {
    const calico = { install: 'manifest', version: '3.30.5' };
    const spec =
      platform === 'ack'
        ? { ...ACK_TERWAY, nodes, networkPolicy: 'relay', monitoring: {} }
        : { ...KUBEADM_CALICO, nodes, networkPolicy: 'relay', calico, monitoring: {} };
    const { loaded } = loadSpec(spec);
    const capacity = loaded!.cluster.decisions.find((d) => d.name === 'Typha connections per replica')!;
    const limit = Number(/Typha's own limit .*= (\d+);/.exec(capacity.rule)![1]);
    const replicas = typhaReplicas({ nodes }).replicas;
    // The same figure the sizing function gives: clients per node by CNI, limits by the Typha release (ACK runs v3.5.8).
    const release = parseCalicoRelease(platform === 'ack' ? '3.5.8' : '3.30.5');
    expect(limit).toBe(typhaHeadroom({ nodes, replicas, clientsPerNode: platform === 'ack' ? 1 : 2, limits: typhaConnectionLimits(release) }).limit);
    const nearLimit = Object.fromEntries(loaded!.cluster.monitoring!.alerts.map((a) => [a.alert, a])).NetscaleTyphaConnectionsNearLimit;
    expect(nearLimit.expr).toBe(`sum by (instance) (typha_connections_active) > ${Math.round(limit * 80) / 100}`);
    expect(nearLimit.description).toContain(
      `80% of ${limit.toLocaleString('en-US')}, the per-replica limit Typha computes ` +
        `for ${nodes.toLocaleString('en-US')} nodes and ${replicas} replicas`,
    );
  });

  test.each([
    [1000, undefined, 160],
    [1000, 3, 240],
    [4000, 1.5, 480],
  ])('%i nodes, margin %s: watches on Calico resources above %i, the prediction with the relay times the margin', (nodes, margin, threshold) => {
    const a = alerts({
      ...KUBEADM_CALICO,
      nodes,
      networkPolicy: 'relay',
      calico: CALICO_INSTALL,
      monitoring: margin === undefined ? {} : { apiServerWatchMargin: margin },
    });
    expect(threshold).toBe(Math.ceil(typhaReplicas({ nodes }).replicas * FELIX_WATCHED_RESOURCE_TYPES * (margin ?? 2)));
    expect(a.NetscaleApiServerWatchesHigh.expr).toBe(
      `sum (apiserver_longrunning_requests{verb="WATCH", group="crd.projectcalico.org"}) > ${threshold}`,
    );
  });

  test('the conntrack limit a node must have is the one kube-proxy sets from the profile: max(maxPerCore x CPUs, min)', () => {
    const a = alerts({ ...RELAY_CALICO, monitoring: {} });
    const sized = conntrackSizing({ cpuPerNode: 16, conntrackMax: 2310720 });
    expect(a.NetscaleConntrackLimitNotApplied.expr).toContain(`* ${sized.maxPerCore}, ${sized.min})`);
    expect(a.NetscaleConntrackLimitNotApplied.expr).toContain(`+ ${sized.effectiveMax}`);
    expect(a.NetscaleConntrackLimitNotApplied.threshold).toBe(
      'max(144420 x CPUs, 2310720); 2,310,720 on 16 CPUs (spec.cpuPerNode) where node_exporter shows no CPUs',
    );
  });

  test("the conntrack values of baseConfig count where the profile sets none; kube-proxy's defaults where neither does", () => {
    const base =
      'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nconntrack:\n  maxPerCore: 65536\n  min: ' +
      '262144\nipvs:\n  syncPeriod: 5s\n';
    const fromBase = alerts({ ...KUBEADM_CALICO, kubeProxy: { baseConfig: base }, monitoring: {} });
    expect(fromBase.NetscaleConntrackLimitNotApplied.thresholdSource).toMatch(
      /^spec.kubeProxy.baseConfig \(conntrack.maxPerCore 65536, conntrack.min 262144\)/,
    );
    expect(fromBase.NetscaleKubeProxySyncSlow.expr).toMatch(/\) > 5$/);
    expect(fromBase.NetscaleKubeProxySyncSlow.thresholdSource).toBe('spec.kubeProxy.baseConfig (ipvs.syncPeriod)');
    const defaults = alerts({ ...KUBEADM_CALICO, kubeProxy: { scheduler: 'lc' }, monitoring: {} });
    expect(defaults.NetscaleConntrackLimitNotApplied.threshold).toMatch(/^max\(32768 x CPUs, 131072\); 524,288 on 16 CPUs/);
  });

  test('no limit to hold a node to where kube-proxy leaves nf_conntrack_max alone or netscale does not tune kube-proxy', () => {
    expect(alerts({ ...KUBEADM_CALICO, kubeProxy: { conntrackMaxPerCore: 0 }, monitoring: {} }).NetscaleConntrackLimitNotApplied).toBeUndefined();
    expect(alerts({ ...KUBEADM_CALICO, monitoring: {} }).NetscaleConntrackLimitNotApplied).toBeUndefined();
  });

  test('without cpuPerNode only a node whose CPUs node_exporter shows is compared', () => {
    const a = alerts({ ...KUBEADM_CALICO, cpuPerNode: undefined, kubeProxy: { conntrackMaxPerCore: 65536, conntrackMin: 524288 }, monitoring: {} });
    expect(a.NetscaleConntrackLimitNotApplied.expr).toBe(
      'node_nf_conntrack_entries_limit\n  < on (instance, job) group_left ()\nclamp_min(count by (instance, job) ' +
        '(node_cpu_seconds_total{mode="idle"}) * 65536, 524288)',
    );
  });

  test.each([
    ['10s', '> 10'],
    ['16s', '> 16'],
    ['1m', '>= 16.384'],
  ])('a sync period of %s: the p99 of rule syncs %s s (kube-proxy measures up to 16.384 s)', (syncPeriod, comparison) => {
    const a = alerts({ ...KUBEADM_CALICO, kubeProxy: { syncPeriod }, monitoring: {} });
    expect(a.NetscaleKubeProxySyncSlow.expr).toBe(
      `histogram_quantile(0.99, sum by (instance, le) (rate(kubeproxy_sync_proxy_rules_duration_seconds_bucket[5m]))) ${comparison}`,
    );
  });

  test('conntrackWarnRatio sets the table-filling ratio', () => {
    expect(alerts({ ...KUBEADM_CALICO, monitoring: { conntrackWarnRatio: 0.6 } }).NetscaleConntrackTableFilling.expr).toBe(
      'node_nf_conntrack_entries / node_nf_conntrack_entries_limit > 0.6',
    );
  });
});

describe('the rules of spec.monitoring', () => {
  const errorsOf = (monitoring: unknown) => loadSpec({ ...KUBEADM_CALICO, monitoring }).errors;

  test.each([
    [{ conntrackWarnRatio: 0 }, 'spec.monitoring.conntrackWarnRatio: must be above 0 and below 1, e.g. 0.75'],
    [{ conntrackWarnRatio: 1 }, 'spec.monitoring.conntrackWarnRatio: must be above 0 and below 1, e.g. 0.75 (got 1)'],
    [{ conntrackWarnRatio: '75%' }, 'spec.monitoring.conntrackWarnRatio: must be a number (got "75%")'],
    [{ apiServerWatchMargin: 0.5 }, 'spec.monitoring.apiServerWatchMargin: must be at least 1 (1: no margin), e.g. 2'],
    [
      { apiServerWatchMargin: 500 },
      'spec.monitoring.apiServerWatchMargin: must be at most 100: a larger margin would hide Felix agents that bypass Typha',
    ],
    [{ namespace: 'Monitoring' }, 'spec.monitoring.namespace: must be a DNS label'],
    [
      { labels: { 'bad key!': 'x' } },
      'spec.monitoring.labels["bad key!"]: key "bad key!" must be a Kubernetes label key such as release or example.com/team',
    ],
    [{ labels: { release: 'has space' } }, 'spec.monitoring.labels.release: must be a Kubernetes label value'],
    [
      { jobSelectors: { nodeExporter: 'node-exporter' } },
      'spec.monitoring.jobSelectors.nodeExporter: must be PromQL label matchers such as job="node-exporter"',
    ],
    [
      { jobSelectors: { typha: 'job="a",' } },
      'spec.monitoring.jobSelectors.typha: must be PromQL label matchers such as job="node-exporter": a label name, one of = != =~ !~, a ' +
        'double-quoted value, several separated by commas (ends with a comma)',
    ],
    [
      { jobSelectors: { apiServer: 'job=~"api(?!x)"' } },
      'spec.monitoring.jobSelectors.apiServer: job=~"api(?!x)": Prometheus regular expressions (RE2) have no lookaround or back-references',
    ],
    [{ jobSelectors: { cilium: 'job=~"cilium["' } }, 'spec.monitoring.jobSelectors.cilium: job=~"cilium[" is not a valid regular expression'],
    [
      { jobSelectors: { kubeProxy: 'instance=~"10\\..*"' } },
      'spec.monitoring.jobSelectors.kubeProxy: instance=~"10\\..*": a backslash in a PromQL string starts an escape',
    ],
    [{ jobSelectors: { terway: '__name__="x"' } }, 'spec.monitoring.jobSelectors.terway: must not match __name__: every alert picks its own metric'],
    [{ jobSelectors: { nodeExpoter: 'job="x"' } }, 'spec.monitoring.jobSelectors.nodeExpoter: unknown field (did you mean "nodeExporter"?)'],
  ])('fails on %j', (monitoring, message) => {
    const errors = errorsOf(monitoring);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(message);
  });

  test('accepts several matchers with every operator, and an empty section', () => {
    expect(errorsOf({ jobSelectors: { nodeExporter: 'job="node-exporter", instance!="", node=~"pool-a-.*", env!~"dev|test"' } })).toEqual([]);
    expect(errorsOf({})).toEqual([]);
  });

  test('warns that kube-proxy serves its metrics on the loopback, where Prometheus cannot scrape them', () => {
    const loopback = loadSpec({ ...KUBEADM_CALICO, kubeProxy: { scheduler: 'lc' }, monitoring: {} });
    expect(loopback.warnings).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          "spec.kubeProxy.metricsBindAddress: kube-proxy serves its metrics on 127.0.0.1:10249, the node's loopback, where Prometheus cannot " +
            'scrape them: NetscaleKubeProxySyncSlow stays silent',
        ),
      ]),
    );
    const open = loadSpec({ ...KUBEADM_CALICO, kubeProxy: { scheduler: 'lc', metricsBindAddress: '0.0.0.0:10249' }, monitoring: {} });
    expect(open.warnings.filter((w) => w.includes('metrics'))).toEqual([]);
    // Without spec.monitoring nothing reads them, so nothing to warn about.
    expect(loadSpec({ ...KUBEADM_CALICO, kubeProxy: { scheduler: 'lc' } }).warnings.filter((w) => w.includes('metrics'))).toEqual([]);
  });

  test('warns that Cilium serves no metrics without prometheus.enabled', () => {
    const cilium = { ...KUBEADM_CILIUM, nodes: 400, monitoring: {} };
    expect(loadSpec(cilium).warnings).toEqual(
      expect.arrayContaining([expect.stringContaining('spec.cilium: sets no prometheus.enabled: true in its values')]),
    );
    const enabled = { ...cilium, cilium: { ...cilium.cilium, values: { prometheus: { enabled: true } } } };
    expect(loadSpec(enabled).warnings.filter((w) => w.includes('prometheus'))).toEqual([]);
  });
});

describe('the review', () => {
  test('has an Alerts table: alert, the expression in words, threshold and its source, one row per rendered alert', () => {
    const { objects, review } = synth({ ...RELAY_CALICO, monitoring: {} });
    const section = review.slice(review.indexOf('## Alerts'), review.indexOf('## Warnings'));
    expect(section).toContain('| alert | fires when | threshold | source of the threshold | severity |');
    const rows = section.split('\n').filter((l) => l.startsWith('| Netscale'));
    expect(rows.map((r) => r.split(' | ')[0].slice(2))).toEqual(rulesOf(find(objects, 'PrometheusRule')!).map((r) => r.alert));
    expect(section).toContain(
      "| NetscaleTyphaConnectionsNearLimit | a replica's typha_connections_active (summed per instance) above 80% of Typha's per-replica " +
        'limit, for 10m | 963.2 connections (80% of 1,204) |',
    );
    expect(section).toContain('| NetscaleApiServerWatchesHigh | ');
    expect(section).toContain(
      "| 160 watches (80 x 2) | the capacity table's API server watches with the relay (5 x 16) x spec.monitoring.apiServerWatchMargin | warning |",
    );
    // And what Prometheus has to scrape for them.
    expect(section).toContain('What Prometheus must scrape for them:');
    expect(section).toContain('- Typha: the PodMonitor netscale renders scrapes port 9093');
  });

  test('on Terway it says how to scrape terwayd, which serves its metrics only on a unix socket', () => {
    const { review } = synth({ ...ACK_TERWAY, monitoring: {} });
    expect(review).toContain('terwayd serves its metrics only on the unix socket /var/run/eni/eni_debug.socket');
    expect(review).toContain("relabel the pod's node name (`__meta_kubernetes_pod_node_name`) into the label `node`");
  });
});
