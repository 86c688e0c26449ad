/**
 * What a Node list tells about a cluster: how many nodes, their cores and pod capacity, their
 * zones and region, the Kubernetes version, and which platform runs them.
 */
import { Platform } from '../core/cluster';
import { isPlainObject } from '../core/objects';
import { KubeObject } from './dumps';

/** Node labels and annotations read here, with where each comes from. */
export const NODE_FACTS = {
  /** The well-known topology labels (kubernetes.io/docs/reference/labels-annotations-taints). */
  zone: ['topology.kubernetes.io/zone', 'failure-domain.beta.kubernetes.io/zone'],
  region: ['topology.kubernetes.io/region', 'failure-domain.beta.kubernetes.io/region'],
  /**
   * ACK: the node pool labels (alibabacloud.com/nodepool-id set by ACK node pools; the cloud
   * controller manager's node.alibabacloud.com/nodepool-id, kubernetes/cloud-provider-alibaba-cloud
   * pkg/controller/node/manager.go) and its provider ID `<region>.<instance-id>` (same file,
   * setFields; `alicloud://` may prefix it).
   */
  ackLabels: ['alibabacloud.com/nodepool-id', 'node.alibabacloud.com/nodepool-id'],
  ackProviderId: /^(alicloud:\/\/)?([a-z]{2}-[a-z0-9-]+)\.(i-[a-z0-9]+)$/,
  /** kubeadm annotates the nodes it joins with their CRI socket (cmd/kubeadm/app/constants, AnnotationKubeadmCRISocket). */
  kubeadmAnnotation: 'kubeadm.alpha.kubernetes.io/cri-socket',
  /** k3s records its arguments on each node (k3s.io/node-args) and builds kubelets versioned v1.x.y+k3sN. */
  k3sAnnotation: 'k3s.io/node-args',
  k3sVersion: /\+k3s\d*$/,
  /** Calico in Kubernetes-datastore mode keeps a node's routeReflectorClusterID here (libcalico-go lib/backend/k8s/resources/node.go). */
  routeReflectorClusterId: 'projectcalico.org/RouteReflectorClusterID',
} as const;

export interface NodeFacts {
  readonly count: number;
  /** Cores per node (status.capacity.cpu), with how many nodes have each. */
  readonly cores: ReadonlyMap<number, number>;
  /** The most pods any node takes (status.capacity.pods). */
  readonly maxPods?: number;
  readonly zones: ReadonlyMap<string, number>;
  readonly regions: ReadonlySet<string>;
  /** Kubelet minor versions ("1.30"), with how many nodes run each. */
  readonly versions: ReadonlyMap<string, number>;
  /** Why each platform is likely, by platform. */
  readonly evidence: Readonly<Partial<Record<Platform, string>>>;
  readonly names: readonly string[];
  readonly labels: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Nodes that carry a route reflector cluster ID, with it. */
  readonly routeReflectorIds: ReadonlyMap<string, string>;
}

export function nodeFacts(nodes: readonly KubeObject[]): NodeFacts {
  const cores = new Map<number, number>();
  const zones = new Map<string, number>();
  const regions = new Set<string>();
  const versions = new Map<string, number>();
  const evidence: Partial<Record<Platform, string>> = {};
  const labels = new Map<string, Record<string, string>>();
  const routeReflectorIds = new Map<string, string>();
  let maxPods: number | undefined;
  const count = <K>(m: Map<K, number>, k: K) => m.set(k, (m.get(k) ?? 0) + 1);

  for (const node of nodes) {
    labels.set(node.name, { ...node.labels });
    const status = isPlainObject(node.body.status) ? node.body.status : {};
    const capacity = isPlainObject(status.capacity) ? status.capacity : {};
    const cpu = quantity(capacity.cpu);
    if (cpu !== undefined && cpu >= 1) count(cores, Math.round(cpu));
    const pods = quantity(capacity.pods);
    if (pods !== undefined) maxPods = Math.max(maxPods ?? 0, Math.round(pods));
    const zone = NODE_FACTS.zone.map((l) => node.labels[l]).find((z) => z !== undefined);
    if (zone) count(zones, zone);
    const region = NODE_FACTS.region.map((l) => node.labels[l]).find((r) => r !== undefined);
    if (region) regions.add(region);

    const info = isPlainObject(status.nodeInfo) ? status.nodeInfo : {};
    const kubelet = typeof info.kubeletVersion === 'string' ? info.kubeletVersion : '';
    const minor = /^v?(\d+)\.(\d+)/.exec(kubelet);
    if (minor) count(versions, `${minor[1]}.${minor[2]}`);

    const spec = isPlainObject(node.body.spec) ? node.body.spec : {};
    const providerId = typeof spec.providerID === 'string' ? NODE_FACTS.ackProviderId.exec(spec.providerID) : null;
    if (providerId) {
      regions.add(providerId[2]);
      evidence.ack ??= `node ${node.name} has the provider ID ${String(spec.providerID)}`;
    }
    const ackLabel = NODE_FACTS.ackLabels.find((l) => node.labels[l] !== undefined);
    if (ackLabel) evidence.ack ??= `node ${node.name} has the label ${ackLabel}`;
    if (NODE_FACTS.k3sVersion.test(kubelet)) evidence.k3s ??= `node ${node.name} runs kubelet ${kubelet}`;
    if (node.annotations[NODE_FACTS.k3sAnnotation] !== undefined) evidence.k3s ??= `node ${node.name} has the annotation ${NODE_FACTS.k3sAnnotation}`;
    if (node.annotations[NODE_FACTS.kubeadmAnnotation] !== undefined)
      evidence.kubeadm ??= `node ${node.name} has the annotation ${NODE_FACTS.kubeadmAnnotation}`;

    const rrId = node.annotations[NODE_FACTS.routeReflectorClusterId];
    if (rrId) routeReflectorIds.set(node.name, rrId);
  }
  return { count: nodes.length, cores, maxPods, zones, regions, versions, evidence, names: nodes.map((n) => n.name), labels, routeReflectorIds };
}

/** A Kubernetes quantity such as "16", "3800m" or "110" as a number; undefined for anything else. */
export function quantity(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (typeof x !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)(m|k)?$/.exec(x.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === 'm' ? n / 1000 : m[2] === 'k' ? n * 1000 : n;
}

/** The value most nodes have (ties: the largest), and whether all agree. */
export function mostCommon<K extends number | string>(counts: ReadonlyMap<K, number>): { value: K; unanimous: boolean } | undefined {
  let best: K | undefined;
  let bestCount = -1;
  for (const [k, n] of counts) {
    if (n > bestCount || (n === bestCount && best !== undefined && k > best)) {
      best = k;
      bestCount = n;
    }
  }
  return best === undefined ? undefined : { value: best, unanimous: counts.size === 1 };
}

/**
 * Nodes matching a Calico selector of the simple forms netscale's profiles use: `key == 'value'`
 * and `has(key)`; undefined for a selector it cannot evaluate.
 */
export function nodesMatching(selector: string, labels: ReadonlyMap<string, Readonly<Record<string, string>>>): string[] | undefined {
  const equals = /^\s*([A-Za-z0-9./_-]+)\s*==\s*["']([^"']*)["']\s*$/.exec(selector);
  const has = /^\s*has\(\s*([A-Za-z0-9./_-]+)\s*\)\s*$/.exec(selector);
  if (!equals && !has) return undefined;
  const out: string[] = [];
  for (const [name, l] of labels) {
    if (equals ? l[equals[1]] === equals[2] : l[has![1]] !== undefined) out.push(name);
  }
  return out.sort();
}
