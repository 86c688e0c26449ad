/** Profiles for tests: a valid base per scenario, varied one field at a time. */
import { stringify } from 'yaml';
import { formatDiagnostic } from '../../lib/profile/diagnostics';
import { loadProfileText } from '../../lib/cluster/load';

export type Spec = Record<string, unknown>;

export const ACK_TERWAY: Spec = { platform: 'ack', cni: 'terway', kubernetesVersion: '1.27', nodes: 1000, cpuPerNode: 16, region: 'cn-shanghai' };
export const KUBEADM_CALICO: Spec = { platform: 'kubeadm', cni: 'calico', kubernetesVersion: '1.29', nodes: 600, cpuPerNode: 16 };
/** How Calico was installed, which the relay needs to know: calico-typha.yaml, whose Typha netscale sizes. */
export const CALICO_INSTALL: Spec = { install: 'manifest-typha', version: '3.30.5' };
/** Cilium 1.18 as kube-proxy replacement on a 50-node kubeadm cluster. */
export const KUBEADM_CILIUM = {
  platform: 'kubeadm',
  cni: 'cilium',
  kubernetesVersion: '1.31',
  nodes: 50,
  cilium: { version: '1.18.12', k8sServiceHost: '10.0.0.1', k8sServicePort: 6443 },
} satisfies Spec;

export function profileYaml(spec: Spec, name = 'test-cluster'): string {
  return stringify({ apiVersion: 'netscale.dev/v1alpha1', kind: 'ClusterProfile', metadata: { name }, spec });
}

/** Load a profile from text; returns the loaded profile and every diagnostic as one line each. */
export function load(text: string, file = 'clusters/test.yaml') {
  const result = loadProfileText(file, text);
  return {
    loaded: result.profile,
    errors: result.diagnostics.filter((d) => d.severity === 'error').map(formatDiagnostic),
    warnings: result.diagnostics.filter((d) => d.severity === 'warning').map(formatDiagnostic),
  };
}

export function loadSpec(spec: Spec) {
  return load(profileYaml(spec));
}
