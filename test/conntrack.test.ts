import { TUNNEL_OVERHEAD, tunnelMtu } from '../lib/components/calico/mtu';
import { CONNTRACK_BYTES_PER_ENTRY, conntrackSizing, KUBE_PROXY_CONNTRACK_DEFAULTS } from '../lib/components/kube-proxy/conntrack';
import { INT32_MAX } from '../lib/core/cluster';
import { formatMebibytes } from '../lib/core/format';

describe('conntrackSizing', () => {
  // Seed 002: nf_conntrack_max 2310720; maxPerCore = 2310720 / cores, min = 2310720.
  test.each([
    [8, 288840],
    [16, 144420],
    [32, 72210],
    [64, 36105],
  ])('conntrackMax 2310720 on %i cores gives maxPerCore %i and min 2310720', (cpuPerNode, maxPerCore) => {
    const s = conntrackSizing({ cpuPerNode, conntrackMax: 2310720 });
    expect(s.maxPerCore).toBe(maxPerCore);
    expect(s.min).toBe(2310720);
    expect(s.effectiveMax).toBe(2310720);
    expect(s.memoryBytes).toBe(2310720 * CONNTRACK_BYTES_PER_ENTRY);
    expect(s.problems).toEqual([]);
    expect(s.decisions[0]).toMatchObject({
      name: 'conntrack.maxPerCore',
      value: maxPerCore,
      rule: `maxPerCore = ceil(2310720 / ${cpuPerNode}) = ${maxPerCore}`,
    });
    expect(s.decisions[1]).toMatchObject({ name: 'conntrack.min', value: 2310720, rule: 'min = conntrackMax = 2310720' });
    expect(s.decisions[2]).toMatchObject({ name: 'nf_conntrack_max', value: 2310720, rule: `max(${maxPerCore} x ${cpuPerNode}, 2310720) = 2310720` });
  });

  test('the seed on 16 cores needs about 705 MiB of conntrack table, recorded as an estimate', () => {
    const s = conntrackSizing({ cpuPerNode: 16, conntrackMax: 2310720 });
    expect(s.memoryBytes).toBe(739430400);
    expect(formatMebibytes(739430400)).toBe('705.2 MiB');
    expect(s.decisions[3].rule).toBe(
      '2310720 entries x 320 bytes = 705.2 MiB when the table is full (planning figure; slabinfo shows ~300 bytes per entry)',
    );
    expect(s.decisions[3].name).toContain('estimate');
  });

  test('a conntrackMax that does not divide by the cores rounds maxPerCore up, so the table is never smaller than asked', () => {
    const s = conntrackSizing({ cpuPerNode: 12, conntrackMax: 1000000 });
    expect(s.maxPerCore).toBe(83334);
    expect(s.effectiveMax).toBe(1000008);
  });

  test('without settings it gives kube-proxy defaults: max(32768 x cpus, 131072)', () => {
    expect(KUBE_PROXY_CONNTRACK_DEFAULTS).toEqual({
      maxPerCore: 32768,
      min: 131072,
      tcpEstablishedTimeout: '24h0m0s',
      tcpCloseWaitTimeout: '1h0m0s',
    });
    const small = conntrackSizing({ cpuPerNode: 2 });
    expect([small.maxPerCore, small.min, small.effectiveMax]).toEqual([32768, 131072, 131072]);
    const big = conntrackSizing({ cpuPerNode: 16 });
    expect(big.effectiveMax).toBe(524288);
    expect(big.decisions[0].rule).toBe('kube-proxy default 32768');
  });

  test('maxPerCore 0 leaves the kernel limit alone: no effective max, no memory figure', () => {
    const s = conntrackSizing({ cpuPerNode: 16, conntrackMaxPerCore: 0 });
    expect(s.effectiveMax).toBeUndefined();
    expect(s.memoryBytes).toBeUndefined();
    expect(s.problems).toEqual([]);
    expect(s.decisions[2].rule).toContain('leaves nf_conntrack_max');
  });

  test('fails on int32 overflow of maxPerCore x cpus', () => {
    const s = conntrackSizing({ cpuPerNode: 64, conntrackMaxPerCore: 40000000 });
    expect(s.problems).toEqual([
      {
        severity: 'error',
        field: 'conntrackMaxPerCore',
        message: `maxPerCore 40000000 x 64 CPUs = 2560000000 exceeds the int32 limit ${INT32_MAX}: the kernel refuses nf_conntrack_max above it`,
      },
    ]);
  });

  test('fails on int32 overflow of maxPerCore and min themselves', () => {
    const s = conntrackSizing({ cpuPerNode: 1, conntrackMaxPerCore: 2147483648, conntrackMin: 3000000000 });
    expect(s.problems.filter((p) => p.severity === 'error').map((p) => [p.field, p.message])).toEqual([
      ['conntrackMaxPerCore', 'conntrack.maxPerCore 2147483648 exceeds the int32 limit 2147483647'],
      ['conntrackMin', 'conntrack.min 3000000000 exceeds the int32 limit 2147483647'],
      [
        'conntrackMaxPerCore',
        'maxPerCore 2147483648 x 1 CPUs = 2147483648 exceeds the int32 limit 2147483647: the kernel refuses nf_conntrack_max above it',
      ],
    ]);
  });

  test('fails on a conntrackMax that overflows int32, naming conntrackMax', () => {
    const s = conntrackSizing({ cpuPerNode: 16, conntrackMax: 3000000000 });
    expect(s.problems.map((p) => p.field)).toEqual(['conntrackMax', 'conntrackMax']);
    expect(s.problems[0].message).toBe('conntrack.min 3000000000 exceeds the int32 limit 2147483647');
  });

  test("warns when the table ends up below kube-proxy's default for the node", () => {
    const s = conntrackSizing({ cpuPerNode: 16, conntrackMaxPerCore: 10000, conntrackMin: 100000 });
    expect(s.effectiveMax).toBe(160000);
    expect(s.problems).toEqual([
      {
        severity: 'warning',
        field: 'conntrackMaxPerCore',
        message:
          "nf_conntrack_max would be 160000 (max(10000 x 16, 100000)), below kube-proxy's default 524288 (max(32768 x 16, 131072)) on 16-CPU " +
          'nodes: a full table drops new connections',
      },
    ]);
  });

  test('a high min makes up for a low maxPerCore: no warning', () => {
    expect(conntrackSizing({ cpuPerNode: 16, conntrackMaxPerCore: 1, conntrackMin: 2310720 }).problems).toEqual([]);
  });

  test('fails when conntrackMax is combined with the explicit fields', () => {
    expect(() => conntrackSizing({ cpuPerNode: 16, conntrackMax: 2310720, conntrackMin: 1 })).toThrow(
      'give conntrackMax, or conntrackMaxPerCore and conntrackMin, not both',
    );
  });

  test('fails on a CPU count that is not a whole number of at least 1', () => {
    expect(() => conntrackSizing({ cpuPerNode: 0 })).toThrow('cpuPerNode must be a whole number of at least 1 (got 0)');
  });
});

describe('tunnelMtu', () => {
  test.each([
    [1500, 'ipip', 4, 1480],
    [1500, 'vxlan', 4, 1450],
    [1500, 'vxlan', 6, 1430],
    [1500, 'wireguard', 4, 1440],
    [1500, 'wireguard', 6, 1420],
    [1500, 'none', 4, 1500],
    [9000, 'ipip', 4, 8980],
    [9000, 'vxlan', 4, 8950],
    [1450, 'wireguard', 4, 1390],
  ] as const)('%i bytes with %s over IPv%i gives %i', (underlay, encapsulation, family, expected) => {
    expect(tunnelMtu(underlay, encapsulation, family).value).toBe(expected);
  });

  test("records the rule of IP-in-IP on a 1500-byte network, citing Calico's MTU guide", () => {
    expect(tunnelMtu(1500, 'ipip').decision).toEqual({
      name: 'ipip MTU',
      value: 1480,
      rule: '1500 - 20 (IP-in-IP over IPv4) = 1480',
      source: [{ title: 'Calico: configure MTU', url: 'https://docs.tigera.io/calico/latest/networking/configuring/mtu' }],
      capacity: true,
    });
  });

  test("overheads are Calico's: IPIP 20, VXLAN 50/70, WireGuard 60/80", () => {
    expect(TUNNEL_OVERHEAD).toEqual({ ipip: { 4: 20 }, vxlan: { 4: 50, 6: 70 }, wireguard: { 4: 60, 6: 80 }, none: { 4: 0, 6: 0 } });
  });

  test('fails on IP-in-IP over IPv6', () => {
    expect(() => tunnelMtu(1500, 'ipip', 6)).toThrow('ipip does not carry IPv6 traffic in Calico; use vxlan or wireguard');
  });
});
