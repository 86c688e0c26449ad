import { Testing } from 'cdk8s';
import { CalicoNetwork, CalicoNetworkProps } from '../lib/components/calico/calico-network';
import { CalicoTyphaConfig } from '../lib/components/calico/calico-typha-config';
import { CalicoCheckContext, checkCalico } from '../lib/components/calico/rules';
import { calicoSchema, CalicoSpec } from '../lib/components/calico/schema';
import { calicoNodeRestartStep, calicoRouteReflectorSteps, labelForSelector } from '../lib/components/calico/steps';
import { formatPath } from '../lib/core/findings';
import { ownershipOf } from '../lib/core/rollout';
import { K8sObject, validateObject } from './support/validate';
import { loadSpec } from './support/profiles';
import { testChart } from './support/charts';

/** Seed 002, option two: pools with one blockSize 27 and BGP route reflectors. */
const SEED_BGP: CalicoNetworkProps = {
  ipPools: [
    { name: 'pool-a', cidr: '10.244.0.0/17', blockSize: 27 },
    { name: 'pool-b', cidr: '10.244.128.0/17', blockSize: 27 },
  ],
  bgp: { asNumber: 64512, routeReflectors: { nodeSelector: "route-reflector == 'true'", nodes: ['rr-1', 'rr-2'] } },
};

function synth(props: CalicoNetworkProps): { network: CalicoNetwork; objects: K8sObject[] } {
  const chart = testChart();
  const network = new CalicoNetwork(chart, 'Calico', props);
  return { network, objects: Testing.synth(chart) as K8sObject[] };
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject & { spec: Record<string, unknown> } {
  const found = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  if (!found) throw new Error(`no ${kind} ${name} in ${objects.map((o) => `${o.kind}/${o.metadata?.name}`).join(', ')}`);
  return found as K8sObject & { spec: Record<string, unknown> };
}

function check(spec: CalicoSpec, ctx: CalicoCheckContext = {}) {
  return checkCalico(spec, ctx).map((f) => ({ severity: f.severity, path: formatPath(f.path), message: f.message }));
}

describe('CalicoNetwork', () => {
  test('renders seed 002 option two: one IPPool per pool, BGP configuration and the reflector peerings', () => {
    const { objects } = synth(SEED_BGP);
    expect(objects.map((o) => `${o.kind}/${o.metadata?.name}`)).toEqual([
      'IPPool/pool-a',
      'IPPool/pool-b',
      'BGPPeer/peer-with-route-reflectors',
      'BGPPeer/route-reflector-mesh',
      'BGPConfiguration/default',
    ]);
    expect(find(objects, 'IPPool', 'pool-a')).toEqual({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'IPPool',
      metadata: { name: 'pool-a' },
      spec: {
        blockSize: 27,
        cidr: '10.244.0.0/17',
        disabled: false,
        ipipMode: 'Never',
        natOutgoing: true,
        nodeSelector: 'all()',
        vxlanMode: 'Never',
      },
    });
    expect(find(objects, 'BGPConfiguration', 'default')).toEqual({
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'BGPConfiguration',
      metadata: { name: 'default' },
      spec: { asNumber: 64512, nodeToNodeMeshEnabled: false },
    });
    expect(find(objects, 'BGPPeer', 'peer-with-route-reflectors').spec).toEqual({
      nodeSelector: "!(route-reflector == 'true')",
      peerSelector: "route-reflector == 'true'",
    });
    expect(find(objects, 'BGPPeer', 'route-reflector-mesh').spec).toEqual({
      nodeSelector: "route-reflector == 'true'",
      peerSelector: "route-reflector == 'true'",
    });
    for (const o of objects) expect(validateObject(o)).toEqual([]);
  });

  test('every object is shared cluster state: the platform owns it too, so only its fields are applied and nothing deletes it', () => {
    const { network } = synth({ ...SEED_BGP, mtu: 1500, ipPools: [{ name: 'p', cidr: '10.244.0.0/16', ipipMode: 'Always' }] });
    const all = [...network.ipPools, ...network.bgpPeers, network.felixConfiguration!, network.bgpConfiguration!];
    expect(all).toHaveLength(5);
    expect(all.map(ownershipOf)).toEqual(['shared', 'shared', 'shared', 'shared', 'shared']);
  });

  test('pure BGP (no encapsulation) needs no FelixConfiguration: the veth MTU is the underlay MTU', () => {
    const { objects, network } = synth(SEED_BGP);
    expect(objects.some((o) => o.kind === 'FelixConfiguration')).toBe(false);
    expect(network.decisions).toEqual([]);
  });

  test('without route reflectors keeps the node-to-node mesh and renders no peers', () => {
    const { objects } = synth({ ...SEED_BGP, bgp: { asNumber: 65001 } });
    expect(objects.filter((o) => o.kind === 'BGPPeer')).toEqual([]);
    expect(find(objects, 'BGPConfiguration', 'default')).toMatchObject({
      metadata: { name: 'default' },
      spec: { asNumber: 65001, nodeToNodeMeshEnabled: true },
    });
  });

  test('without bgp renders no BGPConfiguration', () => {
    const { objects } = synth({ ipPools: SEED_BGP.ipPools });
    expect(objects.map((o) => o.kind)).toEqual(['IPPool', 'IPPool']);
  });

  test('seed 002 option one: IP-in-IP on a 1500-byte network gives ipipMTU 1480', () => {
    const { objects, network } = synth({ mtu: 1500, ipPools: [{ name: 'default-ipv4', cidr: '10.244.0.0/16', ipipMode: 'Always' }] });
    const felix = find(objects, 'FelixConfiguration', 'default');
    expect(felix.metadata).toEqual({ name: 'default' });
    expect(felix.spec).toEqual({ ipipMTU: 1480 });
    expect(find(objects, 'IPPool', 'default-ipv4').spec).toMatchObject({ ipipMode: 'Always', vxlanMode: 'Never', blockSize: 26 });
    expect(network.decisions).toEqual([expect.objectContaining({ value: 1480, rule: '1500 - 20 (IP-in-IP over IPv4) = 1480' })]);
    expect(validateObject(felix)).toEqual([]);
  });

  test.each([
    ['IP-in-IP, 1500', { mtu: 1500, ipPools: [{ name: 'p', cidr: '10.0.0.0/16', ipipMode: 'CrossSubnet' }] }, { ipipMTU: 1480 }],
    ['VXLAN, 1500', { mtu: 1500, ipPools: [{ name: 'p', cidr: '10.0.0.0/16', vxlanMode: 'Always' }] }, { vxlanMTU: 1450 }],
    ['VXLAN, jumbo 9000', { mtu: 9000, ipPools: [{ name: 'p', cidr: '10.0.0.0/16', vxlanMode: 'Always' }] }, { vxlanMTU: 8950 }],
    ['VXLAN over IPv6', { mtu: 1500, ipPools: [{ name: 'p6', cidr: 'fd00:10::/48', vxlanMode: 'Always' }] }, { vxlanMTUV6: 1430 }],
    [
      'WireGuard, IPv4',
      { mtu: 1500, wireguard: true, ipPools: [{ name: 'p', cidr: '10.0.0.0/16' }] },
      { wireguardEnabled: true, wireguardMTU: 1440 },
    ],
    [
      'WireGuard without an underlay MTU: on, and Felix sizes it',
      { wireguard: true, ipPools: [{ name: 'p', cidr: '10.0.0.0/16' }] },
      { wireguardEnabled: true },
    ],
    [
      'WireGuard and IP-in-IP, dual stack',
      {
        mtu: 1500,
        wireguard: true,
        ipPools: [
          { name: 'p', cidr: '10.0.0.0/16', ipipMode: 'Always' },
          { name: 'p6', cidr: 'fd00:10::/48' },
        ],
      },
      { ipipMTU: 1480, wireguardEnabled: true, wireguardMTU: 1440, wireguardEnabledV6: true, wireguardMTUV6: 1420 },
    ],
    [
      'OpenStack VXLAN underlay 1450 with IP-in-IP',
      { mtu: 1450, ipPools: [{ name: 'p', cidr: '10.0.0.0/16', ipipMode: 'Always' }] },
      { ipipMTU: 1430 },
    ],
  ] as Array<[string, CalicoNetworkProps, Record<string, unknown>]>)('MTU table: %s', (_name, props, felixSpec) => {
    const { objects } = synth(props);
    const felix = find(objects, 'FelixConfiguration', 'default');
    expect(felix.spec).toEqual(felixSpec);
    expect(validateObject(felix)).toEqual([]);
  });

  test('a disabled pool still sets its tunnel MTU: its pods keep their addresses', () => {
    const { objects } = synth({ mtu: 1500, ipPools: [{ name: 'old', cidr: '10.0.0.0/16', ipipMode: 'Always', disabled: true }] });
    expect(find(objects, 'FelixConfiguration', 'default').spec).toEqual({ ipipMTU: 1480 });
    expect(find(objects, 'IPPool', 'old').spec).toMatchObject({ disabled: true, ipipMode: 'Always' });
  });

  test('without an underlay MTU sets no MTU field: Felix derives it from the host, and the decision says auto', () => {
    // Felix's IpInIpMtu, VXLANMTU and WireguardMTU default to 0, which it replaces with the host MTU
    // less the overhead (felix/dataplane/linux/int_dataplane.go ConfigureDefaultMTUs).
    const { objects, network } = synth({
      ipPools: [
        { name: 'p', cidr: '10.0.0.0/16', ipipMode: 'Always' },
        { name: 'v', cidr: '10.1.0.0/16', vxlanMode: 'CrossSubnet' },
      ],
    });
    expect(objects.some((o) => o.kind === 'FelixConfiguration')).toBe(false);
    expect(network.decisions.map((d) => [d.name, d.value])).toEqual([
      ['ipip MTU', 'auto'],
      ['vxlan MTU', 'auto'],
    ]);
    expect(network.decisions[0].rule).toBe(
      "calico.mtu not set: Felix takes the host interface's MTU and subtracts 20 bytes itself (1500 gives 1480)",
    );
  });

  test('sets Felix nftablesMode when asked, to match kube-proxy', () => {
    const { objects } = synth({ ipPools: [{ name: 'p', cidr: '10.0.0.0/16' }], nftablesMode: 'Enabled' });
    expect(find(objects, 'FelixConfiguration', 'default').spec).toEqual({ nftablesMode: 'Enabled' });
  });

  test('IPv6 pools default to blockSize 122 and validate against the CRD', () => {
    const { objects } = synth({
      ipPools: [{ name: 'p6', cidr: 'fd00:10::/48', vxlanMode: 'CrossSubnet', natOutgoing: false, nodeSelector: "zone == 'a'" }],
    });
    const pool = find(objects, 'IPPool', 'p6');
    expect(pool.spec).toEqual({
      blockSize: 122,
      cidr: 'fd00:10::/48',
      disabled: false,
      ipipMode: 'Never',
      natOutgoing: false,
      nodeSelector: "zone == 'a'",
      vxlanMode: 'CrossSubnet',
    });
    expect(validateObject(pool)).toEqual([]);
  });

  test('fails in the constructor with every rule broken at once, each with its path', () => {
    expect(() =>
      synth({
        ipPools: [
          { name: 'a', cidr: '10.0.0.1/16', ipipMode: 'Always', vxlanMode: 'Always' },
          { name: 'a', cidr: '10.1.0.0/16', blockSize: 40 },
        ],
      }),
    ).toThrow(
      'CalicoNetwork: ipPools[1].name: "a" is also the name of ipPools[0]: each IPPool needs its own name; ipPools[0].cidr: 10.0.0.1/16 has ' +
        'host bits set: the block starts at 10.0.0.0/16; ipPools[1].blockSize: 40 is outside 20..32',
    );
  });

  test("without pools leaves the cluster's pools alone and renders only BGP", () => {
    const { objects } = synth({ bgp: SEED_BGP.bgp });
    expect(objects.map((o) => o.kind)).toEqual(['BGPPeer', 'BGPPeer', 'BGPConfiguration']);
  });
});

describe('checkCalico', () => {
  test('seed 002 has no findings', () => {
    expect(check(SEED_BGP as CalicoSpec, { serviceCidr: '10.96.0.0/12', clusterCidr: '10.244.0.0/16' })).toEqual([]);
  });

  test('the profile schema accepts seed 002', () => {
    expect(calicoSchema.safeParse(SEED_BGP).success).toBe(true);
  });

  test('fails on overlapping pools', () => {
    expect(
      check({
        ipPools: [
          { name: 'a', cidr: '10.244.0.0/16' },
          { name: 'b', cidr: '10.244.0.0/16' },
        ],
      }),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[1].cidr',
        message: '10.244.0.0/16 overlaps ipPools[0] ("a", 10.244.0.0/16): pools must not share addresses',
      },
    ]);
  });

  test('fails on partially overlapping pools, a smaller one inside a larger one, either way round', () => {
    expect(
      check({
        ipPools: [
          { name: 'big', cidr: '10.244.0.0/16' },
          { name: 'part', cidr: '10.244.128.0/17' },
        ],
      }),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[1].cidr',
        message: '10.244.128.0/17 overlaps ipPools[0] ("big", 10.244.0.0/16): pools must not share addresses',
      },
    ]);
    expect(
      check({
        ipPools: [
          { name: 'part', cidr: '10.244.192.0/18' },
          { name: 'big', cidr: '10.244.0.0/16' },
        ],
      }),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[1].cidr',
        message: '10.244.0.0/16 overlaps ipPools[0] ("part", 10.244.192.0/18): pools must not share addresses',
      },
    ]);
  });

  test('fails on overlapping IPv6 pools', () => {
    expect(
      check({
        ipPools: [
          { name: 'v6a', cidr: 'fd00:10::/48', blockSize: 122 },
          { name: 'v6b', cidr: 'fd00:10:0:8000::/49', blockSize: 122 },
        ],
      }),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[1].cidr',
        message: 'fd00:10:0:8000::/49 overlaps ipPools[0] ("v6a", fd00:10::/48): pools must not share addresses',
      },
    ]);
  });

  test('adjacent pools and pools of different families do not overlap', () => {
    expect(
      check({
        ipPools: [
          { name: 'a', cidr: '10.244.0.0/17' },
          { name: 'b', cidr: '10.244.128.0/17' },
          { name: 'c', cidr: 'fd00::/48' },
        ],
      }),
    ).toEqual([]);
  });

  test('fails on a pool overlapping the Service CIDR', () => {
    expect(check({ ipPools: [{ name: 'a', cidr: '10.96.0.0/16' }] }, { serviceCidr: '10.96.0.0/12' })).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[0].cidr',
        message: '10.96.0.0/16 overlaps the Service CIDR 10.96.0.0/12: pod and Service addresses would collide',
      },
    ]);
  });

  test('fails on a pool overlapping the IPv6 half of a dual-stack Service CIDR', () => {
    expect(
      check({ ipPools: [{ name: 'v6', cidr: 'fd00:96::/108', blockSize: 122 }] }, { serviceCidr: '10.96.0.0/12, fd00:96::/108' })[0],
    ).toMatchObject({ message: expect.stringContaining('overlaps the Service CIDR fd00:96::/108') });
  });

  test('fails on a pool overlapping another network (another cluster, the node subnet)', () => {
    expect(
      check(
        { ipPools: [{ name: 'a', cidr: '10.244.0.0/16' }] },
        {
          otherCidrs: [
            { path: 'clusters/prod-bj.yaml spec.calico.ipPools[0].cidr', cidr: '10.244.64.0/18' },
            { path: ['spec', 'nodeCidr'], cidr: '192.168.0.0/16' },
          ],
        },
      ),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[0].cidr',
        message:
          '10.244.0.0/16 overlaps clusters/prod-bj.yaml spec.calico.ipPools[0].cidr (10.244.64.0/18): the two networks would route the same ' +
          'addresses',
      },
    ]);
  });

  test('warns on a pool outside the cluster CIDR', () => {
    expect(check({ ipPools: [{ name: 'a', cidr: '10.245.0.0/16' }] }, { clusterCidr: '10.244.0.0/16' })).toEqual([
      {
        severity: 'warning',
        path: 'spec.calico.ipPools[0].cidr',
        message:
          '10.245.0.0/16 lies outside the cluster CIDR 10.244.0.0/16: kube-proxy treats traffic from these pods as coming from outside the cluster',
      },
    ]);
  });

  test('fails on different block sizes across pools', () => {
    expect(
      check({
        ipPools: [
          { name: 'a', cidr: '10.244.0.0/17', blockSize: 27 },
          { name: 'b', cidr: '10.244.128.0/17', blockSize: 26 },
        ],
      }),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[1].blockSize',
        message: 'blockSize 26 differs from 27 in ipPools[0] ("a"): use one blockSize in every IPv4 pool (so routes aggregate per pool)',
      },
    ]);
  });

  test('fails on a default block size next to an explicit one', () => {
    expect(
      check({
        ipPools: [
          { name: 'a', cidr: '10.244.0.0/17', blockSize: 27 },
          { name: 'b', cidr: '10.244.128.0/17' },
        ],
      }),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[1]',
        message:
          'blockSize 26 (the default) differs from 27 in ipPools[0] ("a"): use one blockSize in every IPv4 pool (so routes aggregate per pool)',
      },
    ]);
  });

  test('IPv4 and IPv6 pools each keep their own block size', () => {
    expect(
      check({
        ipPools: [
          { name: 'a', cidr: '10.244.0.0/16', blockSize: 27 },
          { name: 'b', cidr: 'fd00::/48', blockSize: 122 },
        ],
      }),
    ).toEqual([]);
  });

  test.each([
    ['10.0.0.0/8', 19, 'spec.calico.ipPools[0].blockSize', '19 is outside 20..32, the block sizes Calico accepts for an IPv4 pool'],
    ['10.0.0.0/8', 33, 'spec.calico.ipPools[0].blockSize', '33 is outside 20..32, the block sizes Calico accepts for an IPv4 pool'],
    ['fd00::/48', 115, 'spec.calico.ipPools[0].blockSize', '115 is outside 116..128, the block sizes Calico accepts for an IPv6 pool'],
    ['fd00::/48', 27, 'spec.calico.ipPools[0].blockSize', '27 is outside 116..128, the block sizes Calico accepts for an IPv6 pool'],
  ])("fails on pool %s with blockSize %i outside Calico's range", (cidr, blockSize, path, message) => {
    expect(check({ ipPools: [{ name: 'p', cidr, blockSize }] })).toEqual([{ severity: 'error', path, message }]);
  });

  test('fails on a block larger than its pool', () => {
    expect(check({ ipPools: [{ name: 'p', cidr: '10.0.0.0/28', blockSize: 26 }] })).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[0].blockSize',
        message: "a /26 block is larger than the pool 10.0.0.0/28: blockSize must be at least the pool's prefix length (28), or the pool larger",
      },
    ]);
    expect(check({ ipPools: [{ name: 'p', cidr: '10.0.0.0/27' }] })[0]).toMatchObject({
      path: 'spec.calico.ipPools[0].cidr',
      message: expect.stringContaining('a /26 block is larger than the pool 10.0.0.0/27'),
    });
    expect(check({ ipPools: [{ name: 'p', cidr: '10.0.0.0/26', blockSize: 26 }] })).toEqual([]);
  });

  test('fails on IP-in-IP and VXLAN both on one pool', () => {
    expect(check({ ipPools: [{ name: 'p', cidr: '10.0.0.0/16', ipipMode: 'Always', vxlanMode: 'CrossSubnet' }] })).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[0]',
        message: 'ipipMode Always and vxlanMode CrossSubnet are both on: a pool uses one encapsulation; set the other to Never',
      },
    ]);
    expect(check({ ipPools: [{ name: 'p', cidr: '10.0.0.0/16', ipipMode: 'Never', vxlanMode: 'Always' }] })).toEqual([]);
  });

  test('fails on IP-in-IP on an IPv6 pool', () => {
    expect(check({ ipPools: [{ name: 'p6', cidr: 'fd00::/48', ipipMode: 'CrossSubnet' }] })).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[0].ipipMode',
        message: "CrossSubnet on the IPv6 pool fd00::/48: Calico's IP-in-IP carries IPv4 only; use vxlanMode for IPv6 pools",
      },
    ]);
  });

  test('fails on route reflectors with an empty selector', () => {
    expect(
      check({ ipPools: SEED_BGP.ipPools as CalicoSpec['ipPools'], bgp: { routeReflectors: { nodeSelector: '  ', nodes: ['rr-1', 'rr-2'] } } }),
    ).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.bgp.routeReflectors.nodeSelector',
        message:
          "must select the reflector nodes, e.g. route-reflector == 'true': an empty selector leaves every node without a peer once the mesh is off",
      },
    ]);
  });

  test('warns on a single route reflector', () => {
    expect(check({ bgp: { routeReflectors: { nodeSelector: 'has(rr)', nodes: ['rr-1'] } } })).toEqual([
      {
        severity: 'warning',
        path: 'spec.calico.bgp.routeReflectors.nodes',
        message: 'lists 1 reflector: with one, its restart stops route exchange for the whole cluster; run at least two, on different switches',
      },
    ]);
  });

  test.each([0, -1, 4294967296, 1.5])('fails on AS number %d', (asNumber) => {
    expect(check({ bgp: { asNumber } })).toEqual([
      { severity: 'error', path: 'spec.calico.bgp.asNumber', message: `must be an AS number from 1 to 4294967295 (got ${asNumber})` },
    ]);
  });

  test('accepts AS numbers from 1, and 4-byte ones up to int32 without a finding', () => {
    expect(check({ bgp: { asNumber: 1 } })).toEqual([]);
    expect(check({ bgp: { asNumber: 2147483647 } })).toEqual([]);
  });

  test('warns on 4-byte AS numbers above int32, which most Calico CRDs refuse', () => {
    expect(check({ bgp: { asNumber: 4294967295 } })).toEqual([
      {
        severity: 'warning',
        path: 'spec.calico.bgp.asNumber',
        message:
          '4294967295 is a valid 4-byte AS number, but the crd.projectcalico.org CRDs of most Calico releases declare asNumber as int32 and ' +
          'the API server refuses values above 2147483647: check your release accepts it, or pick a private AS from 64512-65534',
      },
    ]);
  });

  test('fails on duplicate pool names', () => {
    expect(
      check({
        ipPools: [
          { name: 'p', cidr: '10.0.0.0/16' },
          { name: 'p', cidr: '10.1.0.0/16' },
        ],
      }),
    ).toEqual([
      { severity: 'error', path: 'spec.calico.ipPools[1].name', message: '"p" is also the name of ipPools[0]: each IPPool needs its own name' },
    ]);
  });

  test('fails on a CIDR with host bits set', () => {
    expect(check({ ipPools: [{ name: 'p', cidr: '10.244.1.0/16' }] })).toEqual([
      { severity: 'error', path: 'spec.calico.ipPools[0].cidr', message: '10.244.1.0/16 has host bits set: the block starts at 10.244.0.0/16' },
    ]);
    expect(check({ ipPools: [{ name: 'p6', cidr: 'fd00::1/48' }] })[0]).toMatchObject({
      path: 'spec.calico.ipPools[0].cidr',
      message: expect.stringContaining('has host bits set'),
    });
  });

  test('fails on a pool in the link-local range', () => {
    expect(check({ ipPools: [{ name: 'p', cidr: '169.254.0.0/20' }] })).toEqual([
      {
        severity: 'error',
        path: 'spec.calico.ipPools[0].cidr',
        message: '169.254.0.0/20 overlaps the link-local range 169.254.0.0/16, which Calico refuses',
      },
    ]);
  });
});

describe('route reflector steps', () => {
  test('give exact label and patch commands for each named reflector', () => {
    const steps = calicoRouteReflectorSteps({ nodeSelector: "route-reflector == 'true'", nodes: ['rr-1', 'rr-2'] });
    expect(steps).toHaveLength(2);
    expect(steps[0]).toContain('kubectl label node rr-1 route-reflector=true');
    expect(steps[0]).toContain('kubectl label node rr-2 route-reflector=true');
    expect(steps[0]).toContain(`calicoctl patch node rr-1 -p '{"spec":{"bgp":{"routeReflectorClusterID":"244.0.0.1"}}}'`);
    expect(steps[0]).toContain(`calicoctl patch node rr-2 -p '{"spec":{"bgp":{"routeReflectorClusterID":"244.0.0.1"}}}'`);
    expect(steps[0]).toMatch(/^Before this change is synced/);
    expect(steps[1]).toContain('calicoctl node status');
  });

  test('use a placeholder without node names, and the given cluster ID', () => {
    const steps = calicoRouteReflectorSteps({ nodeSelector: 'has(rr)', clusterId: '244.0.0.9' });
    expect(steps[0]).toContain('kubectl label node <node> rr=true');
    expect(steps[0]).toContain(`calicoctl patch node <node> -p '{"spec":{"bgp":{"routeReflectorClusterID":"244.0.0.9"}}}'`);
    expect(steps[0]).toContain('replace <node> by each reflector node');
  });

  test('turn a selector into the label that satisfies it, where one label does', () => {
    expect(labelForSelector("route-reflector == 'true'")).toBe('route-reflector=true');
    expect(labelForSelector('calico/rr == "yes"')).toBe('calico/rr=yes');
    expect(labelForSelector('has(example.com/rr)')).toBe('example.com/rr=true');
    expect(labelForSelector("rack in {'a', 'b'}")).toBeUndefined();
    expect(calicoRouteReflectorSteps({ nodeSelector: "rack in {'a'}" })[0]).toContain("kubectl label node <node> <a label matching: rack in {'a'}>");
  });
});

describe('CalicoTyphaConfig', () => {
  test('patches calico-config with only typha_service_name, server-side', () => {
    const chart = testChart();
    const config = new CalicoTyphaConfig(chart, 'Typha');
    expect(ownershipOf(config.configMap)).toBe('shared');
    const objects = Testing.synth(chart) as K8sObject[];
    expect(objects).toEqual([
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'calico-config', namespace: 'kube-system' },
        data: { typha_service_name: 'calico-typha' },
      },
    ]);
    expect(validateObject(objects[0])).toEqual([]);
  });

  test('fails on a service name that is not a DNS label', () => {
    expect(() => new CalicoTyphaConfig(testChart(), 'T', { serviceName: 'Calico_Typha' })).toThrow(
      'CalicoTyphaConfig serviceName must be a Service name (DNS label), got "Calico_Typha"',
    );
  });

  test('calico-node must be restarted to read it', () => {
    expect(calicoNodeRestartStep()).toBe(
      'calico-node reads typha_service_name from calico-config only when it starts: once Typha is ready, restart it node by node with ' +
        '`kubectl -n kube-system rollout restart ds/calico-node && kubectl -n kube-system rollout status ds/calico-node --timeout=30m`.',
    );
  });
});

describe('Calico warnings from a profile', () => {
  const base = { platform: 'kubeadm', cni: 'calico', kubernetesVersion: '1.29', nodes: 50 };
  test('an encapsulated pool without mtu is not a warning any more: no MTU field, and the review says auto', () => {
    const { loaded, warnings } = loadSpec({ ...base, calico: { ipPools: [{ name: 'p', cidr: '10.244.0.0/16', ipipMode: 'Always' }] } });
    expect(warnings).toEqual([]);
    expect(loaded!.cluster.decisions.find((d) => d.name === 'Underlay MTU')).toMatchObject({ value: 'auto' });
    expect(loaded!.cluster.decisions.find((d) => d.name === 'ipip MTU')).toMatchObject({ value: 'auto' });
  });

  test('tells the reviewer to compare the pools first, and how to move one', () => {
    const { loaded } = loadSpec({
      ...base,
      calico: { mtu: 1450, ipPools: [{ name: 'default-ipv4-ippool', cidr: '10.244.0.0/16', ipipMode: 'Always' }] },
    });
    const step = loaded!.cluster.steps.find((s) => s.includes('calicoctl get ippool -o wide'))!;
    expect(step).toContain('Calico cannot change the cidr or blockSize of an existing pool');
    expect(step).toContain('add one under a new name, set the old one disabled: true, recreate the pods that still hold its addresses');
    expect(step).toContain('https://docs.tigera.io/calico/latest/networking/ipam/migrate-pools');
  });

  test('warns that Argo CD turns the mesh off, so the reflectors must be labelled before the merge', () => {
    const rr = { nodeSelector: "route-reflector == 'true'", nodes: ['rr-1', 'rr-2'] };
    const { warnings } = loadSpec({ ...base, calico: { bgp: { routeReflectors: rr } }, argocd: { repoURL: 'https://git.example.com/x.git' } });
    expect(warnings).toContainEqual(
      expect.stringContaining('spec.calico.bgp.routeReflectors: Argo CD turns the node-to-node mesh off in the last wave of the sync'),
    );
  });
});
