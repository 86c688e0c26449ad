/**
 * The alerts under Prometheus's own tools: the rule groups netscale renders pass
 * `promtool check rules`, and the unit tests in test/alerts/<scenario>/ (input series, each alert
 * firing and not firing) pass `promtool test rules` against the rules rendered from the profile
 * beside them.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import fc from 'fast-check';
import { runs } from './support/property-runs';
import { parse, stringify } from 'yaml';
import { ALERT_NAMES } from '../lib/components/monitoring/facts';
import { synthesizeFleet } from '../lib/output/fleet';
import { tempDirPerTest } from './support/files';
import { profileDocArb, profileText } from './support/arbitraries';
import { ACK_TERWAY, CALICO_INSTALL, KUBEADM_CALICO, profileYaml, Spec } from './support/profiles';
import { describeWithShared, sharedPath } from './support/shared';
import { K8sObject, readManifests } from './support/validate';

const SCENARIOS_DIR = path.join(__dirname, 'alerts');
const SCENARIOS = fs
  .readdirSync(SCENARIOS_DIR)
  .filter((d) => fs.existsSync(path.join(SCENARIOS_DIR, d, 'profile.yaml')))
  .sort();

const temp = tempDirPerTest('alerts');

/** Synthesize profiles into a temporary dist/ and return each cluster's PrometheusRule. */
function renderRules(profiles: Record<string, string>): Record<string, K8sObject> {
  const clusters = path.join(temp.path, 'clusters');
  fs.mkdirSync(clusters, { recursive: true });
  for (const [file, text] of Object.entries(profiles)) fs.writeFileSync(path.join(clusters, file), text);
  const out = path.join(temp.path, 'dist');
  synthesizeFleet({ clustersDir: clusters, outdir: out });
  const rules: Record<string, K8sObject> = {};
  for (const { file, object } of readManifests(out)) {
    if (object.kind === 'PrometheusRule') rules[path.basename(path.dirname(file))] = object;
  }
  return rules;
}

/** The PrometheusRule's groups as the plain rule file promtool reads. */
function writeRuleFile(rule: K8sObject, file: string): void {
  fs.writeFileSync(file, stringify(rule.spec));
}

function scenarioRules(scenario: string): K8sObject {
  const rules = Object.values(renderRules({ 'profile.yaml': fs.readFileSync(path.join(SCENARIOS_DIR, scenario, 'profile.yaml'), 'utf8') }));
  expect(rules).toHaveLength(1);
  return rules[0];
}

function promtool(args: string[], cwd: string) {
  const run = spawnSync(sharedPath('tools', 'promtool'), args, { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

type UnitTests = { tests: Array<{ name: string; alert_rule_test?: Array<{ alertname: string; exp_alerts?: unknown[] }> }> };

describe('the unit tests in test/alerts/', () => {
  test('every alert the contract names is tested in some scenario', () => {
    const tested = new Set<string>();
    for (const s of SCENARIOS) {
      const unit = parse(fs.readFileSync(path.join(SCENARIOS_DIR, s, 'alerts.test.yaml'), 'utf8')) as UnitTests;
      for (const t of unit.tests) for (const a of t.alert_rule_test ?? []) tested.add(a.alertname);
    }
    expect([...tested].sort()).toEqual([...ALERT_NAMES].sort());
  });

  test.each(SCENARIOS)('%s: each alert the profile renders has a case where it fires and one where it does not', (scenario) => {
    const rendered = (scenarioRules(scenario).spec as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((g) =>
      g.rules.map((r) => r.alert),
    );
    const unit = parse(fs.readFileSync(path.join(SCENARIOS_DIR, scenario, 'alerts.test.yaml'), 'utf8')) as UnitTests;
    const cases = unit.tests.flatMap((t) => t.alert_rule_test ?? []);
    const coverage = rendered.map((alert) => ({
      alert,
      fires: cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length > 0),
      silent: cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length === 0),
    }));
    expect(coverage).toEqual(rendered.map((alert) => ({ alert, fires: true, silent: true })));
  });
});

describeWithShared('tools/promtool')('the alerts under promtool', () => {
  test.each(SCENARIOS)(
    '%s: the rendered groups pass promtool check rules and its unit tests pass promtool test rules',
    (scenario) => {
      const work = path.join(temp.path, 'promtool');
      fs.mkdirSync(work, { recursive: true });
      writeRuleFile(scenarioRules(scenario), path.join(work, 'rules.yaml'));
      fs.copyFileSync(path.join(SCENARIOS_DIR, scenario, 'alerts.test.yaml'), path.join(work, 'alerts.test.yaml'));
      const check = promtool(['check', 'rules', 'rules.yaml'], work);
      expect([check.status, check.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
      const unit = promtool(['test', 'rules', 'alerts.test.yaml'], work);
      expect([unit.status, unit.output]).toEqual([0, expect.stringContaining('SUCCESS')]);
    },
    60_000,
  );

  test('promtool check rules fails on a broken rule, so a pass means something', () => {
    const work = path.join(temp.path, 'broken');
    fs.mkdirSync(work, { recursive: true });
    fs.writeFileSync(
      path.join(work, 'rules.yaml'),
      stringify({ groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'sum by (instance (up)', for: '5m' }] }] }),
    );
    expect(promtool(['check', 'rules', 'rules.yaml'], work).status).not.toBe(0);
  }, 60_000);

  test('random valid profiles with spec.monitoring render groups promtool accepts', () => {
    // A fixed sample, so a failure names the same profiles on every run.
    const docs = Array.from({ length: runs(24, 200) }, (_, i) => fc.sample(profileDocArb(i), { numRuns: 1, seed: 1300 + i })[0]);
    const profiles = Object.fromEntries(
      docs.map((d) => [`${d.metadata.name}.yaml`, profileText({ ...d, spec: { ...d.spec, monitoring: d.spec.monitoring ?? {} } })]),
    );
    const rules = renderRules(profiles);
    expect(Object.keys(rules).sort()).toEqual(docs.map((d) => d.metadata.name).sort());
    const work = path.join(temp.path, 'random');
    fs.mkdirSync(work, { recursive: true });
    for (const [name, rule] of Object.entries(rules)) writeRuleFile(rule, path.join(work, `${name}.yaml`));
    const check = promtool(['check', 'rules', ...Object.keys(rules).map((n) => `${n}.yaml`)], work);
    expect([check.status, check.output.match(/SUCCESS/g)?.length]).toEqual([0, docs.length]);
  }, 120_000);

  test('every platform, CNI and NetworkPolicy mode renders groups promtool accepts', () => {
    const kubeProxy = { conntrackMax: 2310720, syncPeriod: '5s', metricsBindAddress: '0.0.0.0:10249' };
    const selectors = {
      nodeExporter: 'job="node-exporter"',
      kubeProxy: 'job=~"kube-proxy|kubelet", instance!=""',
      typha: 'job!="x"',
      apiServer: 'job="apiserver"',
      kubeStateMetrics: 'job="ksm"',
      terway: 'job="terway"',
      cilium: 'job="cilium"',
    };
    const cilium = { version: '1.18.12', k8sServiceHost: '10.0.0.1', k8sServicePort: 6443, values: { prometheus: { enabled: true } } };
    const variants: Record<string, Spec> = {
      'ack-relay': { ...ACK_TERWAY, networkPolicy: 'relay', monitoring: {} },
      'ack-direct-tuned': { ...ACK_TERWAY, networkPolicy: 'direct', kubeProxy, monitoring: { jobSelectors: selectors, conntrackWarnRatio: 0.6 } },
      'ack-disabled': { ...ACK_TERWAY, networkPolicy: 'disabled', monitoring: { labels: { release: 'kps' } } },
      'calico-relay': {
        ...KUBEADM_CALICO,
        networkPolicy: 'relay',
        calico: CALICO_INSTALL,
        kubeProxy,
        monitoring: { jobSelectors: selectors, apiServerWatchMargin: 1.5 },
      },
      'calico-autoscale': { ...KUBEADM_CALICO, networkPolicy: 'relay', calico: CALICO_INSTALL, typha: { autoscale: true }, monitoring: {} },
      'calico-direct': { ...KUBEADM_CALICO, networkPolicy: 'direct', monitoring: {} },
      'calico-no-cpus': { ...KUBEADM_CALICO, cpuPerNode: undefined, kubeProxy: { conntrackMaxPerCore: 0 }, monitoring: {} },
      'k3s-calico': {
        platform: 'k3s',
        cni: 'calico',
        kubernetesVersion: '1.33',
        nodes: 40,
        networkPolicy: 'relay',
        calico: CALICO_INSTALL,
        kubeProxy: { syncPeriod: '1m30s' },
        monitoring: {},
      },
      'kubeadm-cilium': {
        platform: 'kubeadm',
        cni: 'cilium',
        kubernetesVersion: '1.31',
        nodes: 400,
        cilium,
        monitoring: { jobSelectors: selectors },
      },
    };
    const rules = renderRules(
      Object.fromEntries(Object.entries(variants).map(([name, spec]) => [`${name}.yaml`, profileYaml(JSON.parse(JSON.stringify(spec)), name)])),
    );
    expect(Object.keys(rules).sort()).toEqual(Object.keys(variants).sort());
    const work = path.join(temp.path, 'matrix');
    fs.mkdirSync(work, { recursive: true });
    for (const [name, rule] of Object.entries(rules)) writeRuleFile(rule, path.join(work, `${name}.yaml`));
    const check = promtool(['check', 'rules', ...Object.keys(rules).map((n) => `${n}.yaml`)], work);
    expect([check.status, check.output]).toEqual([0, expect.not.stringContaining('FAILED')]);
    expect(check.output.match(/SUCCESS/g)).toHaveLength(Object.keys(variants).length);
  }, 60_000);
});
