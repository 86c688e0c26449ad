import { Construct } from 'constructs';
import { Application, ApplicationSpecIgnoreDifferences } from '../imports/argoproj.io';
import { HelmChart } from '../imports/helm.cattle.io';
import { CILIUM_CHART, CILIUM_HELM_REPO, CILIUM_NAMESPACE, CiliumDelivery, CiliumValues, ciliumValuesYaml, parseCiliumVersion } from './cilium-values';

const LABELS = { 'app.kubernetes.io/managed-by': 'netscale' };

/**
 * Sync options of the Cilium Application: server-side apply (the chart's objects carry fields,
 * such as appArmorProfile, that client-side diffing rejects), no namespace creation (kube-system
 * exists), and ignored differences kept out of the sync too, or every sync rotates the certificates.
 */
export const CILIUM_SYNC_OPTIONS: readonly string[] = ['ServerSideApply=true', 'CreateNamespace=false', 'RespectIgnoreDifferences=true'];

/** The Hubble certificates and CA the chart generates anew on every render (tls.auto.method helm). */
export const CILIUM_IGNORE_DIFFERENCES: readonly ApplicationSpecIgnoreDifferences[] = [
  { group: '', kind: 'Secret', name: 'cilium-ca', jsonPointers: ['/data'] },
  { group: '', kind: 'Secret', name: 'hubble-relay-client-certs', jsonPointers: ['/data'] },
  { group: '', kind: 'Secret', name: 'hubble-server-certs', jsonPointers: ['/data'] },
  { group: '', kind: 'ConfigMap', name: 'hubble-ca-cert', jsonPointers: ['/data/ca.crt'] },
];

/** Throws unless `version` is an exact chart version the values were made for (1.13.0 or newer). */
function checkVersion(construct: string, version: string): void {
  const v = parseCiliumVersion(version);
  if (!v || (v.major === 1 && v.minor < 13)) {
    throw new Error(`${construct} version must be an exact Cilium chart version of 1.13.0 or newer, such as 1.13.4 or 1.18.12 (got ${JSON.stringify(version)}): values differ between releases`);
  }
}

function checkValues(construct: string, values: unknown): void {
  if (values === null || typeof values !== 'object' || Array.isArray(values)) {
    throw new Error(`${construct} values must be a map of chart values, e.g. ciliumValues(spec).values (got ${JSON.stringify(values)})`);
  }
}

export interface CiliumHelmChartProps {
  /** Exact chart version, e.g. `1.13.4`. */
  readonly version: string;
  /** Chart values, e.g. `ciliumValues(spec).values`; rendered into `valuesContent` with sorted keys. */
  readonly values: CiliumValues;
  /**
   * Name of the HelmChart, which k3s also uses as the Helm release name.
   * @default 'cilium'
   */
  readonly name?: string;
}

/**
 * Cilium installed by the k3s helm controller: a `helm.cattle.io/v1` HelmChart in kube-system with
 * `bootstrap: true`, so the install job runs on the host network before any CNI exists (seed 004).
 */
export class CiliumHelmChart extends Construct {
  public readonly helmChart: HelmChart;
  public readonly valuesContent: string;

  constructor(scope: Construct, id: string, props: CiliumHelmChartProps) {
    super(scope, id);
    checkVersion('CiliumHelmChart', props.version);
    checkValues('CiliumHelmChart', props.values);
    this.valuesContent = ciliumValuesYaml(props.values);
    this.helmChart = new HelmChart(this, 'Resource', {
      metadata: { name: props.name ?? CILIUM_CHART, namespace: CILIUM_NAMESPACE, labels: LABELS },
      spec: {
        chart: CILIUM_CHART,
        repo: CILIUM_HELM_REPO,
        version: props.version,
        targetNamespace: CILIUM_NAMESPACE,
        bootstrap: true,
        valuesContent: this.valuesContent,
      },
    });
  }
}

export interface CiliumApplicationProps {
  /** Exact chart version, e.g. `1.18.12`; the Application's targetRevision. */
  readonly version: string;
  /** Chart values, e.g. `ciliumValues(spec).values`; rendered as `helm.valuesObject`. */
  readonly values: CiliumValues;
  /**
   * Name of the Application; unique within the Argo CD namespace, so prefix the cluster name when
   * one Argo CD serves several clusters.
   * @default 'cilium'
   */
  readonly name?: string;
  /**
   * Namespace Argo CD runs in, where the Application lives.
   * @default 'argocd'
   */
  readonly namespace?: string;
  /**
   * Argo CD project.
   * @default 'default'
   */
  readonly project?: string;
  /**
   * API server URL of the target cluster. Give this or `destinationName`, not both.
   * @default 'https://kubernetes.default.svc' when destinationName is not set
   */
  readonly destinationServer?: string;
  /**
   * Name of the target cluster as registered in Argo CD.
   * @default - none: destinationServer is used
   */
  readonly destinationName?: string;
  /**
   * Sync on every change and undo drift (self-heal). Pruning stays off: a pruned DaemonSet or
   * ConfigMap takes the cluster's network down.
   * @default false
   */
  readonly automated?: boolean;
}

/**
 * Cilium delivered by Argo CD: an `argoproj.io/v1alpha1` Application that renders the chart from
 * helm.cilium.io into kube-system. It carries no resources finalizer, so deleting the Application
 * leaves the CNI running.
 */
export class CiliumApplication extends Construct {
  public readonly application: Application;

  constructor(scope: Construct, id: string, props: CiliumApplicationProps) {
    super(scope, id);
    checkVersion('CiliumApplication', props.version);
    checkValues('CiliumApplication', props.values);
    if (props.destinationServer !== undefined && props.destinationName !== undefined) {
      throw new Error(`CiliumApplication takes destinationServer or destinationName, not both (got ${props.destinationServer} and ${props.destinationName})`);
    }
    const destination = props.destinationName !== undefined ? { name: props.destinationName } : { server: props.destinationServer ?? 'https://kubernetes.default.svc' };
    this.application = new Application(this, 'Resource', {
      metadata: { name: props.name ?? CILIUM_CHART, namespace: props.namespace ?? 'argocd', labels: LABELS },
      spec: {
        project: props.project ?? 'default',
        source: {
          repoUrl: CILIUM_HELM_REPO,
          chart: CILIUM_CHART,
          targetRevision: props.version,
          // The release name a `helm install cilium` bootstrap used, so the Application adopts it.
          helm: { releaseName: CILIUM_CHART, valuesObject: props.values },
        },
        destination: { ...destination, namespace: CILIUM_NAMESPACE },
        ignoreDifferences: CILIUM_IGNORE_DIFFERENCES.map((d) => ({ ...d, jsonPointers: [...(d.jsonPointers ?? [])] })),
        syncPolicy: {
          ...(props.automated ? { automated: { prune: false, selfHeal: true } } : {}),
          syncOptions: [...CILIUM_SYNC_OPTIONS],
        },
      },
    });
  }
}

export interface CiliumKubeProxylessProps {
  /** Exact chart version, e.g. `1.13.4`. */
  readonly version: string;
  /** Chart values from `ciliumValues(spec).values`. */
  readonly values: CiliumValues;
  /**
   * How the chart is installed: `k3s` renders a HelmChart, `argocd` an Application, `values` no
   * object at all (write `valuesYaml` to a file for `helm install -f`).
   */
  readonly delivery: CiliumDelivery;
  /**
   * Application settings for `argocd` delivery.
   * @default - the CiliumApplication defaults
   */
  readonly application?: Omit<CiliumApplicationProps, 'version' | 'values'>;
}

/**
 * Cilium as a full kube-proxy replacement (seed 004), delivered the way the cluster installs its
 * CNI. Use `ciliumValues` and `checkCilium` from cilium-values.ts to make and check the values.
 */
export class CiliumKubeProxyless extends Construct {
  public readonly delivery: CiliumDelivery;
  /** The values as a YAML file, for `helm install -f` whatever the delivery. */
  public readonly valuesYaml: string;
  public readonly helmChart?: CiliumHelmChart;
  public readonly application?: CiliumApplication;

  constructor(scope: Construct, id: string, props: CiliumKubeProxylessProps) {
    super(scope, id);
    checkVersion('CiliumKubeProxyless', props.version);
    checkValues('CiliumKubeProxyless', props.values);
    if (props.application !== undefined && props.delivery !== 'argocd') {
      throw new Error(`CiliumKubeProxyless application settings apply to delivery argocd only (delivery is ${props.delivery})`);
    }
    this.delivery = props.delivery;
    this.valuesYaml = ciliumValuesYaml(props.values);
    if (props.delivery === 'k3s') this.helmChart = new CiliumHelmChart(this, 'HelmChart', { version: props.version, values: props.values });
    if (props.delivery === 'argocd') this.application = new CiliumApplication(this, 'Application', { ...props.application, version: props.version, values: props.values });
  }
}
