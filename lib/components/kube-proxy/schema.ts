/** The `spec.kubeProxy` section of a ClusterProfile. */
import { z } from 'zod';
import { INT32_MAX } from '../../core/cluster';
import { cidr, dnsSubdomain, doc, goDuration } from '../../core/zod-fields';
import { KUBE_PROXY_CONNTRACK_DEFAULTS } from './conntrack';
import { IPVS_SCHEDULERS, KUBE_PROXY_DEFAULTS, KUBE_PROXY_MODES } from './facts';

export const kubeProxySchema = z
  .strictObject({
    mode: doc(
      z.enum(KUBE_PROXY_MODES),
      'Proxy mode. nftables: GA from Kubernetes 1.33, beta in 1.31-1.32, alpha in 1.29-1.30 (netscale turns its feature gate on); on ACK from ' +
        '1.35; nodes need Linux 5.13 and nft 1.0.1. IPVS is deprecated from 1.35.',
      KUBE_PROXY_DEFAULTS.mode,
    ).optional(),
    scheduler: doc(
      z.enum(IPVS_SCHEDULERS, `must be an IPVS scheduler: ${IPVS_SCHEDULERS.join(', ')}`),
      'IPVS scheduler; lc (least connections) suits busy data planes.',
      KUBE_PROXY_DEFAULTS.scheduler,
    ).optional(),
    syncPeriod: doc(goDuration, 'Full resync interval (ipvs.syncPeriod or nftables.syncPeriod).', KUBE_PROXY_DEFAULTS.syncPeriod).optional(),
    minSyncPeriod: doc(
      goDuration,
      'Shortest interval between resyncs; 0s resyncs on every endpoint change. Default: kept from baseConfig, else 1s.',
    ).optional(),
    conntrackMax: doc(
      z.int().min(1),
      'Target nf_conntrack_max: maxPerCore = ceil(conntrackMax / cpuPerNode), min = conntrackMax (e.g. 2310720 on 16 cores).',
    ).optional(),
    conntrackMaxPerCore: doc(
      z.int().min(0).max(INT32_MAX),
      'conntrack.maxPerCore, explicit. 0 leaves the kernel setting alone.',
      KUBE_PROXY_CONNTRACK_DEFAULTS.maxPerCore,
    ).optional(),
    conntrackMin: doc(z.int().min(0).max(INT32_MAX), 'conntrack.min, explicit.', KUBE_PROXY_CONNTRACK_DEFAULTS.min).optional(),
    tcpEstablishedTimeout: doc(goDuration, 'conntrack.tcpEstablishedTimeout.', KUBE_PROXY_CONNTRACK_DEFAULTS.tcpEstablishedTimeout).optional(),
    tcpCloseWaitTimeout: doc(goDuration, 'conntrack.tcpCloseWaitTimeout.', KUBE_PROXY_CONNTRACK_DEFAULTS.tcpCloseWaitTimeout).optional(),
    conntrackTcpBeLiberal: doc(
      z.boolean(),
      'conntrack.tcpBeLiberal (Kubernetes 1.29 and newer): accept TCP packets outside the window instead of marking them INVALID. iptables ' +
        'mode drops INVALID packets itself and nftables mode does not: set it when kubeproxy_iptables_ct_state_invalid_dropped_packets_total ' +
        'was not zero.',
    ).optional(),
    udpTimeout: doc(goDuration, 'ipvs.udpTimeout; ACK advises 10s in IPVS mode.').optional(),
    tcpTimeout: doc(goDuration, "ipvs.tcpTimeout: idle timeout of IPVS TCP sessions; 0s keeps the kernel's.").optional(),
    tcpFinTimeout: doc(goDuration, "ipvs.tcpFinTimeout: IPVS TCP sessions after a FIN; 0s keeps the kernel's.").optional(),
    strictARP: doc(z.boolean(), 'ipvs.strictARP (needed by MetalLB and kube-vip in IPVS mode).', false).optional(),
    excludeCIDRs: doc(z.array(cidr), 'ipvs.excludeCIDRs: IPVS rules kube-proxy leaves alone.').optional(),
    clusterCIDR: doc(
      z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}(,[0-9a-fA-F:.]+\/\d{1,3})?$/, 'must be a CIDR, or an IPv4 and an IPv6 CIDR separated by a comma'),
      'clusterCIDR: the pod network.',
    ).optional(),
    metricsBindAddress: doc(
      z.string().regex(/^([0-9.]+|\[[0-9a-fA-F:]+\]|[0-9a-fA-F:]+)?:[0-9]{1,5}$/, 'must be host:port such as 0.0.0.0:10249'),
      'metricsBindAddress.',
      KUBE_PROXY_DEFAULTS.metricsBindAddress,
    ).optional(),
    configMapName: doc(dnsSubdomain, 'ConfigMap kube-proxy reads. Default: kube-proxy (kubeadm, k3s), kube-proxy-worker (ACK).').optional(),
    configMapKey: doc(
      z.string().regex(/^[-._a-zA-Z0-9]+$/, 'must be a ConfigMap key'),
      'Key of the KubeProxyConfiguration in the ConfigMap.',
      KUBE_PROXY_DEFAULTS.configMapKey,
    ).optional(),
    baseConfig: doc(
      z.string().min(1),
      "The cluster's current KubeProxyConfiguration as YAML; netscale changes only the tuned fields and keeps the rest.",
    ).optional(),
    kubeconfigPath: doc(
      z.string().startsWith('/'),
      'clientConnection.kubeconfig when there is no baseConfig.',
      KUBE_PROXY_DEFAULTS.kubeconfig,
    ).optional(),
  })
  .meta({ description: 'kube-proxy tuning: IPVS scheduler, sync periods, conntrack sizing.' });

export type KubeProxySpec = z.infer<typeof kubeProxySchema>;
