/** The `spec.cilium` section of a ClusterProfile. */
import { z } from 'zod';
import { cidr, doc } from '../../core/zod-fields';
import { CILIUM_CHART_DEFAULTS, CILIUM_DEFAULTS, CILIUM_DELIVERIES, CILIUM_ROUTING_MODES, DEFAULT_OPERATOR_REPLICAS } from './facts';

export const ciliumSchema = z
  .strictObject({
    version: doc(
      z.string().regex(/^1\.[0-9]{1,2}\.[0-9]{1,3}$/, 'must be an exact chart version such as 1.13.4 or 1.18.12'),
      'Exact Cilium chart version (1.13.0 or newer).',
    ),
    k8sServiceHost: doc(z.string().min(1), 'API server address the agents use without kube-proxy (an IP or DNS name; not "auto" under Argo CD).'),
    k8sServicePort: doc(z.int().min(1).max(65535), 'API server port.'),
    routingMode: doc(z.enum(CILIUM_ROUTING_MODES), 'native routing or a tunnel.', CILIUM_DEFAULTS.routingMode).optional(),
    tunnelProtocol: doc(z.enum(['vxlan', 'geneve']), 'Tunnel protocol when routingMode is tunnel.', CILIUM_DEFAULTS.tunnelProtocol).optional(),
    ipv4NativeRoutingCidr: doc(cidr, 'ipv4NativeRoutingCIDR: traffic to it is not masqueraded; required with native routing.').optional(),
    autoDirectNodeRoutes: doc(
      z.boolean(),
      "Install routes to other nodes' pod CIDRs (nodes on one L2 segment); native routing only.",
      CILIUM_CHART_DEFAULTS.autoDirectNodeRoutes,
    ).optional(),
    loadBalancer: doc(
      z.strictObject({
        mode: doc(z.enum(['snat', 'dsr', 'hybrid']), 'Service load-balancing mode.', CILIUM_CHART_DEFAULTS.loadBalancerMode).optional(),
        acceleration: doc(z.enum(['disabled', 'native', 'best-effort']), 'XDP acceleration.', CILIUM_CHART_DEFAULTS.acceleration).optional(),
        dsrDispatch: doc(
          z.enum(['opt', 'geneve']),
          'How DSR carries the service address (geneve needs 1.14 or newer).',
          CILIUM_CHART_DEFAULTS.dsrDispatch,
        ).optional(),
      }),
      'Service load balancing.',
    ).optional(),
    bpfMasquerade: doc(z.boolean(), 'Masquerade in eBPF instead of iptables.', CILIUM_DEFAULTS.bpfMasquerade).optional(),
    hubble: doc(
      z.strictObject({
        relay: doc(z.boolean(), 'Hubble relay.', CILIUM_DEFAULTS.hubbleRelay).optional(),
        ui: doc(z.boolean(), 'Hubble UI (needs relay).', CILIUM_DEFAULTS.hubbleUi).optional(),
      }),
      'Hubble observability.',
    ).optional(),
    operatorReplicas: doc(z.int().min(1), 'Cilium operator replicas (not more than nodes).', DEFAULT_OPERATOR_REPLICAS).optional(),
    delivery: doc(
      z.enum(CILIUM_DELIVERIES),
      'How the chart is installed. Default: k3s on k3s, argocd when spec.argocd is set, else values.',
    ).optional(),
    values: doc(z.record(z.string(), z.unknown()), 'Extra chart values, merged last and checked like the rest.').optional(),
  })
  .meta({ description: 'Cilium as a full kube-proxy replacement, version-aware.' });

export type CiliumSpec = z.infer<typeof ciliumSchema>;
