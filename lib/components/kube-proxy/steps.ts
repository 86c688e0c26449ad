/** What a human runs around a kube-proxy change: kube-proxy reads its configuration only at start. */
import { Platform } from '../../core/cluster';
import { IpvsScheduler, K3S_CONFIG_FILE, KUBE_PROXY_DEFAULTS, KUBE_PROXY_PRESETS } from './facts';

export interface KubeProxyRestartOptions {
  /**
   * Namespace of the kube-proxy DaemonSet.
   * @default 'kube-system'
   */
  readonly namespace?: string;
  /**
   * The kube-proxy DaemonSet.
   * @default - the platform's: kube-proxy (kubeadm), kube-proxy-worker (ack)
   */
  readonly daemonSet?: string;
  /**
   * The k3s `kube-proxy-arg` entries, quoted in the step.
   * @default - none
   */
  readonly k3sArgs?: readonly string[];
}

/** What to run after the change is applied: kube-proxy does not reload its configuration. */
export function kubeProxyRestartStep(platform: Platform, options: KubeProxyRestartOptions = {}): string {
  if (platform === 'k3s') {
    const args = options.k3sArgs ?? [];
    const list = args.length > 0 ? ` (${args.map((a) => `\`${a}\``).join(', ')})` : '';
    return (
      `k3s runs kube-proxy inside the k3s process: add the kube-proxy-arg ` +
      `entries${list} to ${K3S_CONFIG_FILE} on every node, then restart one node at a time with \`systemctl restart k3s\` on servers and ` +
      `\`systemctl restart k3s-agent\` on agents; kube-proxy reads its flags only when k3s starts.`
    );
  }
  const ns = options.namespace ?? 'kube-system';
  const ds = options.daemonSet ?? KUBE_PROXY_PRESETS[platform].daemonSet;
  return (
    `kube-proxy reads its ConfigMap only when it starts and does not reload it on change: restart it node by node with ` +
    `\`kubectl -n ${ns} rollout restart ds/${ds} && kubectl -n ${ns} rollout status ds/${ds} --timeout=30m\`.`
  );
}

/** IPVS needs its kernel modules on every node before kube-proxy starts in IPVS mode. */
export function ipvsModuleStep(scheduler: IpvsScheduler = KUBE_PROXY_DEFAULTS.scheduler): string {
  return (
    `Before the restart, check every node has the IPVS modules: \`lsmod | grep -E ` +
    `'^(ip_vs|ip_vs_${scheduler}|nf_conntrack) '\`; load missing ones with \`modprobe ip_vs ` +
    `ip_vs_${scheduler}\` and list them in /etc/modules-load.d/ so they survive a reboot.`
  );
}
