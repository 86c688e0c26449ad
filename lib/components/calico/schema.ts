/** The `spec.calico` section of a ClusterProfile. */
import { z } from 'zod';
import { CALICO_INSTALLS } from '../../core/cluster';
import { cidr, dnsSubdomain, doc } from '../../core/zod-fields';
import {
  CALICO_DEFAULT_AS_NUMBER,
  CALICO_DEFAULT_BLOCK_SIZE,
  CALICO_INSTALL_MEANING,
  CALICO_IP_POOL_DEFAULTS,
  DEFAULT_ROUTE_REFLECTOR_CLUSTER_ID,
} from './facts';

export const calicoIpPoolSchema = z.strictObject({
  name: doc(dnsSubdomain, 'IPPool name.'),
  cidr: doc(cidr, 'Pool CIDR.'),
  blockSize: doc(
    z.int().min(0).max(128),
    'Per-node block size; the same in every pool (27 for large clusters).',
    CALICO_DEFAULT_BLOCK_SIZE[4],
  ).optional(),
  ipipMode: doc(z.enum(['Always', 'CrossSubnet', 'Never']), 'IP-in-IP encapsulation.', CALICO_IP_POOL_DEFAULTS.ipipMode).optional(),
  vxlanMode: doc(z.enum(['Always', 'CrossSubnet', 'Never']), 'VXLAN encapsulation.', CALICO_IP_POOL_DEFAULTS.vxlanMode).optional(),
  natOutgoing: doc(z.boolean(), 'SNAT traffic leaving the pool.', CALICO_IP_POOL_DEFAULTS.natOutgoing).optional(),
  nodeSelector: doc(
    z.string().min(1),
    'Nodes that take addresses from this pool (Calico selector).',
    CALICO_IP_POOL_DEFAULTS.nodeSelector,
  ).optional(),
  disabled: doc(z.boolean(), 'Keep the pool but hand out no new addresses.', CALICO_IP_POOL_DEFAULTS.disabled).optional(),
});

export const calicoSchema = z
  .strictObject({
    install: doc(
      z.enum(CALICO_INSTALLS),
      `How Calico was installed; required with networkPolicy: relay. ${CALICO_INSTALLS.map((i) => `${i}: ${CALICO_INSTALL_MEANING[i]}.`).join(' ')}`,
    ).optional(),
    version: doc(
      z.string().regex(/^\d+\.\d+\.\d+$/, 'must be a Calico release such as 3.30.5'),
      "The installed Calico release, e.g. 3.30.5 (`kubectl -n kube-system get ds calico-node -o jsonpath='{..image}'`): the Typha image and " +
        "its RBAC, and Felix's nftablesMode follow it. Required where netscale renders Typha for Calico or kube-proxy runs nftables.",
    ).optional(),
    nftablesMode: doc(
      z.enum(['Enabled', 'Disabled', 'Auto']),
      'FelixConfiguration nftablesMode, only where it must differ from what kubeProxy.mode implies, e.g. Enabled while rolling back to ipvs ' +
        'before kube-proxy has restarted. Default: with kube-proxy in nftables mode, Auto from Calico 3.32 and Enabled from 3.29; otherwise not set.',
    ).optional(),
    ipPools: doc(z.array(calicoIpPoolSchema).min(1), 'IP pools, one blockSize in every pool.').optional(),
    mtu: doc(
      z.int().min(576).max(9216),
      "Underlay (node network) MTU; the tunnel MTU is derived from it. Default: none, and Felix derives the tunnel MTU from the host's own.",
    ).optional(),
    wireguard: doc(z.boolean(), 'WireGuard encryption between nodes (60 bytes of MTU).', false).optional(),
    bgp: doc(
      z.strictObject({
        asNumber: doc(z.int(), "The cluster's AS number (1 to 4294967295).", CALICO_DEFAULT_AS_NUMBER).optional(),
        routeReflectors: doc(
          z.strictObject({
            nodeSelector: doc(z.string(), "Label selector of the route reflector nodes, e.g. route-reflector == 'true'."),
            clusterId: doc(
              z.string().regex(/^([0-9]{1,3}\.){3}[0-9]{1,3}$/, 'must be an IPv4-formatted id such as 244.0.0.1'),
              'routeReflectorClusterID set on the reflector nodes.',
              DEFAULT_ROUTE_REFLECTOR_CLUSTER_ID,
            ).optional(),
            nodes: doc(
              z.array(dnsSubdomain).min(2, 'must name at least two reflector nodes: one reflector is a single point of failure for every route'),
              'Names of the reflector nodes (at least two), when you want the review to give their labelling commands, to run before the sync.',
            ).optional(),
          }),
          'Route reflectors: the full node-to-node mesh is turned off.',
        ).optional(),
      }),
      'BGP peering and route reflectors.',
    ).optional(),
  })
  .meta({ description: 'Calico IP pools, encapsulation and BGP route reflectors.' });

export type CalicoSpec = z.infer<typeof calicoSchema>;
export type CalicoIpPoolSpec = NonNullable<CalicoSpec['ipPools']>[number];
