import { Testing } from 'cdk8s';
import { spreadNodes, vswitchUsableAddresses, zoneCapacity } from '../lib/components/terway/capacity';
import { renderEniConf, TerwayEniConfig, TerwayEniConfigProps } from '../lib/components/terway/terway-eni-config';
import { cidrOf, parseCidr } from '../lib/core/cidr';
import { ownershipOf } from '../lib/core/rollout';
import { ACK_TERWAY, loadSpec } from './support/profiles';
import { K8sObject, validateObject } from './support/validate';
import { testChart } from './support/charts';

/** The eni-config ConfigMap: its data holds every key TerwayEniConfig renders. */
type EniConfigMap = K8sObject & { data: Record<string, string> };

function configMap(props: TerwayEniConfigProps): EniConfigMap {
  const chart = testChart();
  new TerwayEniConfig(chart, 'Terway', props);
  const [cm] = Testing.synth(chart) as EniConfigMap[];
  expect(validateObject(cm)).toEqual([]);
  return cm;
}

const FULL = {
  vswitches: { 'cn-shanghai-f': ['vsw-uf6aaa', 'vsw-uf6bbb'] },
  securityGroups: ['sg-uf6xxx'],
  serviceCidr: '172.16.0.0/16',
};

describe('TerwayEniConfig from a profile', () => {
  test('relay: patch mode owns only felix_relay_service and keeps policy on, of a ConfigMap shared with ACK', () => {
    const { loaded } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay' });
    const cm = configMap(loaded!.cluster.terway!.eniConfig);
    expect(cm.metadata).toEqual({ name: 'eni-config', namespace: 'kube-system' });
    const construct = new TerwayEniConfig(testChart(), 'T', loaded!.cluster.terway!.eniConfig);
    expect(ownershipOf(construct.configMap)).toBe('shared');
    // The relay serves Felix, which runs only with policy on: "false" is one of the values Terway reads as on.
    expect(cm.data).toEqual({ disable_network_policy: 'false', felix_relay_service: 'calico-typha' });
  });

  test('disabled: patch mode sets disable_network_policy "true" and no relay', () => {
    const { loaded } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled' });
    expect(configMap(loaded!.cluster.terway!.eniConfig).data).toEqual({ disable_network_policy: 'true' });
    expect(loaded!.cluster.typha).toBeUndefined();
  });

  test("direct: keeps policy on without a relay, and warns above 100 nodes with ACK's advice, as a URL", () => {
    const { loaded, warnings } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'direct' });
    expect(configMap(loaded!.cluster.terway!.eniConfig).data).toEqual({ disable_network_policy: 'false' });
    expect(warnings).toEqual([
      expect.stringContaining(
        "spec.networkPolicy: direct on 1000 nodes: every node's Felix watches the API server; above 100 nodes deploy the Typha relay " +
          '(networkPolicy: relay) or turn NetworkPolicy off (networkPolicy: disabled) (ACK: NetworkPolicy for large Terway clusters (Typha relay) ' +
          '<https://www.alibabacloud.com/help/en/ack/ack-managed-and-ack-dedicated/user-guide/improve-the-performance-of-the-networkpolicy-feature-for-a-large-ack-cluster-in-terway-mode>)',
      ),
    ]);
    expect(loadSpec({ ...ACK_TERWAY, nodes: 100 }).warnings).toEqual([]);
  });

  test('without networkPolicy the profile decides nothing about policy: disable_network_policy is left alone', () => {
    const { loaded } = loadSpec({ ...ACK_TERWAY, nodes: 80, terway: FULL });
    const cm = configMap(loaded!.cluster.terway!.eniConfig);
    expect(Object.keys(cm.data)).toEqual(['eni_conf']);
    expect(loadSpec({ ...ACK_TERWAY, nodes: 80 }).loaded!.cluster.terway!.eniConfig.disableNetworkPolicy).toBeUndefined();
  });

  test("eni_conf fields switch to full mode and render eni_conf, but never a 10-terway.conf of netscale's own (seed 003)", () => {
    const { loaded } = loadSpec({
      ...ACK_TERWAY,
      networkPolicy: 'disabled',
      terway: { ...FULL, pool: { min: 20, max: 80 }, vswitchSelectionPolicy: 'ordered', eniTags: { 'ack.aliyun.com': 'c123' } },
    });
    const cm = configMap(loaded!.cluster.terway!.eniConfig);
    expect(Object.keys(cm.data).sort()).toEqual(['disable_network_policy', 'eni_conf']);
    expect(cm.data.disable_network_policy).toBe('true');
    expect(loaded!.cluster.decisions.find((d) => d.name === '10-terway.conf')).toMatchObject({ value: 'left alone' });
    expect(JSON.parse(cm.data.eni_conf)).toEqual({
      version: '1',
      max_pool_size: 80,
      min_pool_size: 20,
      credential_path: '/var/addon/token-config',
      vswitches: { 'cn-shanghai-f': ['vsw-uf6aaa', 'vsw-uf6bbb'] },
      eni_tags: { 'ack.aliyun.com': 'c123' },
      service_cidr: '172.16.0.0/16',
      security_group: 'sg-uf6xxx',
      vswitch_selection_policy: 'ordered',
      ip_stack: 'ipv4',
    });
  });

  test('full mode with the relay keeps policy on and points Felix at Typha', () => {
    const { loaded } = loadSpec({
      ...ACK_TERWAY,
      networkPolicy: 'relay',
      terway: { ...FULL, inClusterLoadBalance: true, eniConf: { enable_eni_trunking: true } },
    });
    const cm = configMap(loaded!.cluster.terway!.eniConfig);
    expect(cm.data).toMatchObject({ disable_network_policy: 'false', felix_relay_service: 'calico-typha', in_cluster_loadbalance: 'true' });
    expect(JSON.parse(cm.data.eni_conf).enable_eni_trunking).toBe(true);
  });

  test('the review says what ordered means in current Terway: the vSwitch with the most free IPs first', () => {
    // terway daemon/config.go maps "ordered" to its "most" policy; pkg/vswitch/vswitch.go sorts by free IPs, most first.
    const { loaded } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', terway: { ...FULL, vswitchSelectionPolicy: 'ordered' } });
    const d = loaded!.cluster.decisions.find((x) => x.name === 'vSwitch selection')!;
    expect(d.value).toBe('ordered');
    expect(d.rule).toContain('the vSwitch of the zone with the most free IPs first, whatever the order of the list');
  });

  test('several security groups render security_groups', () => {
    const conf = JSON.parse(renderEniConf({ ...FULL, securityGroups: ['sg-a', 'sg-b'] }));
    expect(conf.security_groups).toEqual(['sg-a', 'sg-b']);
    expect(conf.security_group).toBeUndefined();
  });
});

describe('10-terway.conf and the datapath', () => {
  // The chart's 10-terway.conf (charts/terway/templates/terwayd/configmap.yaml).
  const CHART_CNI = { cniVersion: '0.4.0', name: 'terway', capabilities: { bandwidth: true }, network_policy_provider: 'iptables', type: 'terway' };
  const withBase = (base: Record<string, unknown>, extra: Record<string, unknown> = {}, networkPolicy = 'relay') =>
    loadSpec({ ...ACK_TERWAY, networkPolicy, terway: { ...FULL, baseCniConf: JSON.stringify(base), ...extra } });

  test("renders 10-terway.conf from baseCniConf, every key kept, the profile's keys over it", () => {
    const { loaded, errors } = withBase(CHART_CNI, { cniConf: { capabilities: { bandwidth: true, portMappings: true } } });
    expect(errors).toEqual([]);
    const cm = configMap(loaded!.cluster.terway!.eniConfig);
    expect(JSON.parse(cm.data['10-terway.conf'])).toEqual({ ...CHART_CNI, capabilities: { bandwidth: true, portMappings: true } });
  });

  test('baseCniConf is a full-mode field: patch mode refuses it', () => {
    expect(loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', terway: { mode: 'patch', baseCniConf: JSON.stringify(CHART_CNI) } }).errors).toEqual([
      expect.stringContaining(
        'spec.terway.mode: patch owns only felix_relay_service and disable_network_policy, but baseCniConf render the whole eni-config',
      ),
    ]);
  });

  test("fails on cniConf without baseCniConf: a shorter file would drop the chart's keys", () => {
    const { errors } = loadSpec({
      ...ACK_TERWAY,
      networkPolicy: 'disabled',
      terway: { ...FULL, cniConf: { cniVersion: '0.3.0', name: 'terway', type: 'terway' } },
    });
    expect(errors).toEqual([
      expect.stringContaining("spec.terway.cniConf: needs baseCniConf: netscale renders 10-terway.conf only from the cluster's own"),
    ]);
  });

  test.each([
    ['fails on a baseCniConf that is not JSON', '{ "cniVersion": ', 'spec.terway.baseCniConf: is not JSON'],
    ['fails on a baseCniConf that is not an object', '"terway"', 'spec.terway.baseCniConf: must be a JSON object, as 10-terway.conf is'],
    [
      'fails on a datapath Terway refuses',
      JSON.stringify({ ...CHART_CNI, eniip_virtual_type: 'macvlan' }),
      'spec.terway.baseCniConf: has eniip_virtual_type "macvlan", which Terway refuses',
    ],
  ])('%s', (_, baseCniConf, message) => {
    expect(loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', terway: { ...FULL, baseCniConf } }).errors).toEqual([
      expect.stringContaining(message),
    ]);
  });

  // terway cmd/terway-cli/policy.go: Felix runs only on veth with the iptables provider; ipvlan and
  // datapathv2 run Cilium, and only Felix reads felix_relay_service.
  test.each([
    [{ datapath: 'ipvlan' }, 'datapath ipvlan'],
    [{ datapath: 'datapathv2' }, 'datapath datapathv2'],
  ])('fails on the relay with %j: Cilium, not Felix, enforces policy there', (terway, why) => {
    const { errors } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'relay', terway });
    expect(errors).toEqual([
      expect.stringContaining(
        `spec.networkPolicy: relay does nothing with ${why}: Terway enforces NetworkPolicy there with Cilium (or not at all), not Felix`,
      ),
    ]);
  });

  test('reads the datapath from baseCniConf the way terway-cli does: case-insensitive, absent is veth', () => {
    expect(withBase({ ...CHART_CNI, eniip_virtual_type: 'IPVlan' }).errors).toEqual([
      expect.stringContaining('relay does nothing with datapath ipvlan'),
    ]);
    expect(withBase({ ...CHART_CNI, network_policy_provider: 'ebpf' }).errors).toEqual([
      expect.stringContaining('relay does nothing with network_policy_provider ebpf in baseCniConf'),
    ]);
    const { loaded, errors } = withBase(CHART_CNI);
    expect(errors).toEqual([]);
    expect(loaded!.cluster.decisions.find((d) => d.name === 'Terway datapath')).toMatchObject({
      value: 'veth',
      rule: expect.stringContaining('Felix, which the Typha relay serves'),
    });
    // Without the relay, a datapathv2 cluster is fine, and its direct policy is not Felix's load.
    const v2 = loadSpec({ ...ACK_TERWAY, networkPolicy: 'direct', terway: { datapath: 'datapathv2' } });
    expect(v2.errors).toEqual([]);
    expect(v2.warnings).toEqual([]);
  });

  test("fails on a datapath that differs from the cluster's: netscale never changes it", () => {
    const { errors } = withBase({ ...CHART_CNI, eniip_virtual_type: 'datapathv2' }, { datapath: 'veth' }, 'disabled');
    expect(errors).toEqual([
      expect.stringContaining(
        'spec.terway.datapath: veth differs from the cluster\'s datapath in baseCniConf (eniip_virtual_type "datapathv2", that is datapathv2)',
      ),
    ]);
    expect(withBase(CHART_CNI, { cniConf: { eniip_virtual_type: 'datapathv2' } }, 'disabled').errors).toEqual([
      expect.stringContaining('spec.terway.cniConf.eniip_virtual_type: is the datapath: set terway.datapath instead'),
    ]);
  });
});

describe("baseEniConf: the cluster's current eni_conf", () => {
  const BASE = JSON.stringify({
    version: '1',
    max_pool_size: 5,
    min_pool_size: 0,
    vswitches: { 'cn-shanghai-f': ['vsw-uf6aaa'] },
    security_groups: ['sg-uf6xxx', 'sg-uf6yyy'],
    service_cidr: '172.16.0.0/16',
    enable_eni_trunking: true,
    ip_pool_sync_period: '120s',
  });
  const eniConf = (terway: Record<string, unknown>) => {
    const { loaded, errors, warnings } = loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', terway });
    expect(errors).toEqual([]);
    return { conf: JSON.parse(configMap(loaded!.cluster.terway!.eniConfig).data.eni_conf), warnings };
  };

  test('keeps every key the profile does not set, and changes only what it sets', () => {
    const { conf, warnings } = eniConf({
      baseEniConf: BASE,
      vswitches: { 'cn-shanghai-f': ['vsw-uf6aaa', 'vsw-uf6bbb'] },
      pool: { min: 20, max: 80 },
    });
    expect(conf).toEqual({
      version: '1',
      max_pool_size: 80,
      min_pool_size: 20,
      credential_path: '/var/addon/token-config',
      vswitches: { 'cn-shanghai-f': ['vsw-uf6aaa', 'vsw-uf6bbb'] },
      service_cidr: '172.16.0.0/16',
      security_groups: ['sg-uf6xxx', 'sg-uf6yyy'],
      vswitch_selection_policy: 'ordered',
      ip_stack: 'ipv4',
      enable_eni_trunking: true,
      ip_pool_sync_period: '120s',
    });
    expect(warnings).toEqual([]);
  });

  test('supplies the fields full mode needs, and the pass-through still wins over it', () => {
    const { conf } = eniConf({ baseEniConf: BASE, eniConf: { enable_eni_trunking: false } });
    expect(conf).toMatchObject({ max_pool_size: 5, min_pool_size: 0, enable_eni_trunking: false, security_groups: ['sg-uf6xxx', 'sg-uf6yyy'] });
  });

  test.each([
    ['fails on a baseEniConf that is not JSON', { baseEniConf: '{ version: 1' }, 'spec.terway.baseEniConf: is not JSON'],
    ['fails on a baseEniConf that is not an object', { baseEniConf: '[1, 2]' }, 'spec.terway.baseEniConf: must be a JSON object, as eni_conf is'],
    [
      'fails on a baseEniConf that carries credentials',
      { baseEniConf: '{"access_key": "x", "vswitches": {}}' },
      'spec.terway.baseEniConf: holds a cloud credential, which must never be committed',
    ],
    [
      'fails on full mode whose baseEniConf lacks the vSwitches too',
      { baseEniConf: '{"security_group": "sg-uf6xxx", "service_cidr": "172.16.0.0/16"}' },
      'spec.terway.vswitches: is required when the whole eni-config is rendered (mode: full)',
    ],
    [
      'fails on a pool min above the max of baseEniConf',
      { baseEniConf: BASE, pool: { min: 6 } },
      'spec.terway.pool: min (6) must not exceed max (5, max_pool_size in baseEniConf)',
    ],
  ])('%s', (_, terway, message) => {
    expect(loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', terway }).errors).toEqual([expect.stringContaining(message)]);
  });
});

describe('TerwayEniConfig validation', () => {
  const terway = (t: Record<string, unknown>) => loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', terway: t });

  test.each([
    [
      'fails on a malformed vSwitch id',
      { ...FULL, vswitches: { 'cn-shanghai-f': ['vsw_UPPER'] } },
      'spec.terway.vswitches["cn-shanghai-f"][0]: must be a vSwitch id such as vsw-uf6f3kzjv1rh8j7z1bp0a (got "vsw_UPPER")',
    ],
    [
      'fails on a malformed security group',
      { ...FULL, securityGroups: ['group-1'] },
      'spec.terway.securityGroups[0]: must be a security group id such as sg-uf6bxk4v6mj2cq1a4tkd (got "group-1")',
    ],
    [
      'fails on more than 10 security groups',
      { ...FULL, securityGroups: Array.from({ length: 11 }, (_, i) => `sg-a${i}`) },
      "spec.terway.securityGroups: must list at most 10 security groups (Terway's limit)",
    ],
    ['fails on a pool min above max', { ...FULL, pool: { min: 90, max: 80 } }, 'spec.terway.pool: min (90) must not exceed max (80)'],
    [
      'fails on a pool min above the default max',
      { ...FULL, pool: { min: 50 } },
      'spec.terway.pool: min (50) must not exceed max (5, the default when pool.max is not set)',
    ],
    ['fails on a negative pool size', { ...FULL, pool: { min: -1 } }, 'spec.terway.pool.min: must be at least 0 (got -1)'],
    [
      'fails on a service CIDR with host bits',
      { ...FULL, serviceCidr: '172.16.0.1/16' },
      'spec.terway.serviceCidr: 172.16.0.1/16 has host bits set: the block starts at 172.16.0.0/16',
    ],
    [
      'fails on a service CIDR that is not one',
      { ...FULL, serviceCidr: '172.16.0.0' },
      'spec.terway.serviceCidr: must be a CIDR such as 10.0.0.0/16 (got "172.16.0.0")',
    ],
    [
      'fails on a zone without vSwitches',
      { ...FULL, vswitches: { 'cn-shanghai-f': [] } },
      'spec.terway.vswitches["cn-shanghai-f"]: must list at least one vSwitch',
    ],
    ['fails on ipStack ipv6', { ...FULL, ipStack: 'ipv6' }, 'spec.terway.ipStack: must be ipv4 or dual: Terway does not run IPv6-only (got "ipv6")'],
    [
      'fails on full mode without vswitches',
      { securityGroups: ['sg-a'], serviceCidr: '172.16.0.0/16' },
      'spec.terway.vswitches: is required when the whole eni-config is rendered (mode: full)',
    ],
    [
      'fails on patch mode with eni_conf fields',
      { ...FULL, mode: 'patch' },
      'spec.terway.mode: patch owns only felix_relay_service and disable_network_policy, but vswitches, securityGroups, serviceCidr render ' +
        'the whole eni-config',
    ],
    [
      'fails on a pass-through key that a typed field renders',
      { ...FULL, eniConf: { max_pool_size: 9 } },
      'spec.terway.eniConf.max_pool_size: is rendered from terway.pool.max: set it there, not in the pass-through',
    ],
    [
      'fails on a vSwitch in two zones',
      { ...FULL, vswitches: { 'cn-shanghai-f': ['vsw-a'], 'cn-shanghai-g': ['vsw-a'] } },
      'spec.terway.vswitches["cn-shanghai-g"][0]: vsw-a is listed under cn-shanghai-f too: a vSwitch belongs to one zone',
    ],
    [
      'fails on a CIDR for an unknown vSwitch',
      { ...FULL, vswitchCidrs: { 'vsw-zzz': '10.0.0.0/19' } },
      'spec.terway.vswitchCidrs["vsw-zzz"]: vsw-zzz is not in terway.vswitches: list it under its zone first',
    ],
    [
      'fails on nodes in a zone without vSwitches',
      { ...FULL, nodesPerZone: { 'cn-shanghai-g': 3 } },
      'spec.terway.nodesPerZone["cn-shanghai-g"]: cn-shanghai-g has no vSwitches in terway.vswitches',
    ],
    [
      'fails on a vSwitch CIDR Alibaba Cloud cannot create',
      { ...FULL, vswitchCidrs: { 'vsw-uf6aaa': '10.0.0.0/30' } },
      'spec.terway.vswitchCidrs["vsw-uf6aaa"]: 10.0.0.0/30: an Alibaba Cloud vSwitch is a /16 to /29',
    ],
    ['fails on a duplicate security group', { ...FULL, securityGroups: ['sg-a', 'sg-a'] }, 'spec.terway.securityGroups: lists sg-a more than once'],
  ])('%s', (_, t, message) => {
    expect(terway(t).errors).toEqual([expect.stringContaining(message)]);
  });

  test('warns on more than 5 security groups, which Terway daemons refuse', () => {
    expect(terway({ ...FULL, securityGroups: ['sg-a', 'sg-b', 'sg-c', 'sg-d', 'sg-e', 'sg-f'] }).warnings).toContainEqual(
      expect.stringContaining('spec.terway.securityGroups: lists 6 groups: Terway daemons of the releases checked refuse more than 5'),
    );
  });

  test('warns that full mode replaces eni_conf, and how to see what the cluster has', () => {
    expect(terway(FULL).warnings).toEqual([
      expect.stringContaining(
        "spec.terway.vswitches: renders eni_conf whole: keys of the cluster's eni_conf that the profile does not give are dropped when Terway " +
          'restarts; paste the current one as terway.baseEniConf ' +
          "(`kubectl -n kube-system get cm eni-config -o jsonpath='{.data.eni_conf}'`) to keep them",
      ),
    ]);
  });

  test('fails from TypeScript on full mode without eni_conf and on patch mode with it', () => {
    const chart = testChart();
    expect(() => new TerwayEniConfig(chart, 'a', { mode: 'full' })).toThrow('TerwayEniConfig mode "full" needs eniConf');
    expect(() => new TerwayEniConfig(chart, 'b', { eniConf: FULL })).toThrow(
      'TerwayEniConfig mode "patch" owns only felix_relay_service and disable_network_policy',
    );
    expect(() => new TerwayEniConfig(chart, 'c', { felixRelayService: 'calico-typha', disableNetworkPolicy: true })).toThrow(
      'set felixRelayService or disableNetworkPolicy, not both',
    );
  });
});

describe('IP capacity per zone (seed 003)', () => {
  const withCidrs = (cidrs: Record<string, string>, extra: Record<string, unknown> = {}) =>
    loadSpec({ ...ACK_TERWAY, nodes: 120, maxPodsPerNode: 64, networkPolicy: 'disabled', terway: { ...FULL, vswitchCidrs: cidrs, ...extra } });

  test('a vSwitch keeps 4 addresses back: a /19 hands out 8188', () => {
    expect(vswitchUsableAddresses(cidrOf('10.0.0.0/19'))).toBe(8188);
    expect(vswitchUsableAddresses(cidrOf('10.0.0.0/24'))).toBe(252);
  });

  test('capacity, demand and headroom of a zone', () => {
    const z = zoneCapacity({
      zone: 'cn-shanghai-f',
      nodes: 120,
      maxPodsPerNode: 64,
      vswitches: [
        { id: 'a', cidr: cidrOf('10.20.0.0/22') },
        { id: 'b', cidr: cidrOf('10.20.32.0/19') },
      ],
    });
    expect(z).toMatchObject({ usable: 1020 + 8188, demand: 7680 });
    expect(z.headroom).toBeCloseTo((9208 - 7680) / 9208, 6);
    expect(z.decision.rule).toBe(
      'usable (2^10 - 4) + (2^13 - 4) = 9208; needed 120 nodes x (64 pods + 0 idle, min_pool_size) = 7680; headroom 16.6%',
    );
  });

  test("each node holds its pods plus Terway's idle pool: demand is nodes x (maxPods + min_pool_size)", () => {
    // terway pkg/eni/manager.go syncPool keeps min_pool_size idle IPs after the pods are served.
    const z = zoneCapacity({
      zone: 'z',
      nodes: 120,
      maxPodsPerNode: 64,
      idlePerNode: 20,
      vswitches: [
        { id: 'a', cidr: cidrOf('10.20.0.0/22') },
        { id: 'b', cidr: cidrOf('10.20.32.0/19') },
      ],
    });
    expect(z.demand).toBe(120 * 84);
    expect(z.decision.rule).toContain('needed 120 nodes x (64 pods + 20 idle, min_pool_size) = 10080');
    // 7680 pods alone fit the 9208 addresses; with the idle pool of seed 003 (min 20) they do not.
    const { errors } = withCidrs({ 'vsw-uf6aaa': '10.20.0.0/22', 'vsw-uf6bbb': '10.20.32.0/19' }, { pool: { min: 20, max: 80 } });
    expect(errors).toEqual([
      expect.stringContaining(
        'spec.terway.vswitches["cn-shanghai-f"]: 10080 pod IPs needed (120 nodes x (64 pods + 20 idle, min_pool_size)) but the zone\'s ' +
          'vSwitches hand out 9208',
      ),
    ]);
    // min_pool_size from the cluster's eni_conf counts too.
    const base = withCidrs(
      { 'vsw-uf6aaa': '10.20.0.0/22', 'vsw-uf6bbb': '10.20.32.0/19' },
      { baseEniConf: JSON.stringify({ min_pool_size: 20, max_pool_size: 80 }) },
    );
    expect(base.errors).toEqual([expect.stringContaining('10080 pod IPs needed')]);
  });

  test.each([
    [
      'two vSwitches that share addresses',
      { 'vsw-uf6aaa': '10.20.0.0/19', 'vsw-uf6bbb': '10.20.16.0/20' },
      {},
      'spec.terway.vswitchCidrs["vsw-uf6bbb"]: 10.20.16.0/20 of vsw-uf6bbb overlaps 10.20.0.0/19 of vsw-uf6aaa: two vSwitches never share addresses',
    ],
    [
      'a vSwitch inside the Service CIDR',
      { 'vsw-uf6aaa': '172.16.32.0/19', 'vsw-uf6bbb': '10.20.32.0/19' },
      {},
      'spec.terway.vswitchCidrs["vsw-uf6aaa"]: 172.16.32.0/19 of vsw-uf6aaa overlaps the Service CIDR 172.16.0.0/16 (spec.terway.serviceCidr)',
    ],
  ])('fails on %s, naming both', (_, cidrs, extra, message) => {
    expect(withCidrs(cidrs, extra).errors).toEqual([expect.stringContaining(message)]);
  });

  test('fails on a vSwitch overlapping spec.serviceCidr or the service_cidr of baseEniConf', () => {
    const spec = loadSpec({
      ...ACK_TERWAY,
      networkPolicy: 'disabled',
      serviceCidr: '10.20.0.0/16',
      terway: { ...FULL, serviceCidr: undefined, vswitchCidrs: { 'vsw-uf6aaa': '10.20.0.0/19' } },
    });
    expect(spec.errors).toContainEqual(expect.stringContaining('overlaps the Service CIDR 10.20.0.0/16 (spec.serviceCidr)'));
    const base = loadSpec({
      ...ACK_TERWAY,
      networkPolicy: 'disabled',
      terway: {
        vswitches: FULL.vswitches,
        securityGroups: FULL.securityGroups,
        baseEniConf: JSON.stringify({ service_cidr: '10.20.0.0/16' }),
        vswitchCidrs: { 'vsw-uf6aaa': '10.20.0.0/19' },
      },
    });
    expect(base.errors).toEqual([expect.stringContaining('overlaps the Service CIDR 10.20.0.0/16 (service_cidr of baseEniConf)')]);
  });

  test('nodes spread evenly over the zones, the remainder to the first', () => {
    expect([...spreadNodes(10, ['a', 'b', 'c'])]).toEqual([
      ['a', 4],
      ['b', 3],
      ['c', 3],
    ]);
  });

  test('warns on a vSwitch smaller than /19', () => {
    const { warnings } = withCidrs({ 'vsw-uf6aaa': '10.20.0.0/20', 'vsw-uf6bbb': '10.20.32.0/19' });
    expect(warnings).toContainEqual(
      expect.stringContaining('spec.terway.vswitchCidrs["vsw-uf6aaa"]: 10.20.0.0/20 holds 4096 addresses, fewer than a /19 (8192)'),
    );
  });

  test('warns under 20% headroom', () => {
    const { warnings } = withCidrs({ 'vsw-uf6aaa': '10.20.0.0/22', 'vsw-uf6bbb': '10.20.32.0/19' });
    expect(warnings).toContainEqual(
      expect.stringContaining('spec.terway.vswitches["cn-shanghai-f"]: only 17% of the zone\'s pod IPs stay free at full density (7680 of 9208)'),
    );
  });

  test('fails when the pods cannot fit', () => {
    const { errors } = withCidrs({ 'vsw-uf6aaa': '10.20.0.0/24', 'vsw-uf6bbb': '10.20.1.0/24' });
    expect(errors).toEqual([
      expect.stringContaining(
        'spec.terway.vswitches["cn-shanghai-f"]: 7680 pod IPs needed (120 nodes x (64 pods + 0 idle, min_pool_size)) but the zone\'s ' +
          'vSwitches hand out 504: add a vSwitch of this zone (/19 or larger)',
      ),
    ]);
  });

  test('uses nodesPerZone when given and checks it adds up', () => {
    const { loaded, warnings } = withCidrs(
      { 'vsw-uf6aaa': '10.20.0.0/19', 'vsw-uf6bbb': '10.20.32.0/19' },
      { nodesPerZone: { 'cn-shanghai-f': 100 } },
    );
    expect(loaded!.cluster.terway!.zones[0]).toMatchObject({ demand: 6400 });
    expect(warnings).toContainEqual(expect.stringContaining('spec.terway.nodesPerZone: adds up to 100 nodes, but spec.nodes is 120'));
  });

  test('warns when a zone cannot be checked or maxPodsPerNode is missing', () => {
    expect(withCidrs({ 'vsw-uf6aaa': '10.20.0.0/19' }).warnings).toContainEqual(
      expect.stringContaining('capacity of cn-shanghai-f not checked: no CIDR for vsw-uf6bbb in terway.vswitchCidrs'),
    );
    const noPods = loadSpec({ ...ACK_TERWAY, networkPolicy: 'disabled', terway: { ...FULL, vswitchCidrs: { 'vsw-uf6aaa': '10.20.0.0/19' } } });
    expect(noPods.warnings).toContainEqual(
      expect.stringContaining('spec.terway.vswitchCidrs: IP capacity per zone is not checked: set spec.maxPodsPerNode'),
    );
  });
});

describe('CIDR parsing', () => {
  test.each([
    ['10.0.0.0/8', true],
    ['10.0.0.1/8', false],
    ['256.0.0.0/8', false],
    ['10.0.0.0/33', false],
    ['fd00::/8', true],
    ['fd00::1/64', false],
    ['2001:db8::/32', true],
    ['2001:db8:::/32', false],
  ])('%s valid: %s', (text, ok) => {
    expect(parseCidr(text).ok).toBe(ok);
  });
});
