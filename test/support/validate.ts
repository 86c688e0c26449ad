/**
 * Schema validation of emitted objects: Kubernetes kinds with kubernetes-models' validators,
 * custom resources against the CRD schemas behind imports/ (imports/crds/).
 */
import * as fs from 'fs';
import * as path from 'path';
import Ajv, { ValidateFunction } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { parseCidr } from '../../lib/core/cidr';

export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
} & Record<string, unknown>;

/** What validateObject reads itself: typed objects (support/kinds) pass as they are. */
type Validated = Pick<K8sObject, 'apiVersion' | 'kind' | 'metadata'>;

const CRD_DIR = path.join(__dirname, '..', '..', 'imports', 'crds');

let ajv: Ajv | undefined;
const crdValidators = new Map<string, ValidateFunction | undefined>();
const crdTexts = new Map<string, string>();

function crdAjv(): Ajv {
  if (ajv) return ajv;
  // CRD patterns are Go regular expressions; `(?i)` (case-insensitive) becomes the JS `i` flag.
  const goRegExp = Object.assign(
    (pattern: string, flags: string) =>
      pattern.includes('(?i)') ? new RegExp(pattern.replace('(?i)', ''), `${flags}i`) : new RegExp(pattern, flags),
    {
      code: 'new RegExp',
    },
  );
  ajv = new Ajv({ strict: false, allErrors: true, code: { regExp: goRegExp, optimize: false } });
  ajv.addFormat('int32', { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isInteger(n) });
  ajv.addFormat('date-time', true);
  ajv.addFormat('byte', true);
  ajv.addFormat('duration', true);
  ajv.addFormat('cidr', { validate: (text: string) => parseCidr(text).ok });
  return ajv;
}

/**
 * The validator of one apiVersion/kind from the CRDs of imports/crds/, compiled on first use: the
 * ApplicationSet schema alone takes seconds to compile, and most tests never need it.
 */
function crdSchema(apiVersion: string, kind: string): ValidateFunction | undefined {
  const key = `${apiVersion}/${kind}`;
  if (crdValidators.has(key)) return crdValidators.get(key);
  let found: ValidateFunction | undefined;
  for (const file of fs
    .readdirSync(CRD_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()) {
    if (!crdTexts.has(file)) crdTexts.set(file, fs.readFileSync(path.join(CRD_DIR, file), 'utf8'));
    const text = crdTexts.get(file)!;
    // Parse only files that name the kind: parsing every CRD costs more than the check.
    if (!new RegExp(`^\\s*kind: ${kind}\\s*$`, 'm').test(text)) continue;
    for (const doc of parseAllDocuments(text)) {
      const crd = doc.toJS() as {
        kind?: string;
        spec?: { group: string; names: { kind: string }; versions: Array<{ name: string; schema: { openAPIV3Schema: object } }> };
      };
      if (crd?.kind !== 'CustomResourceDefinition' || !crd.spec || crd.spec.names.kind !== kind) continue;
      const version = crd.spec.versions.find((v) => `${crd.spec!.group}/${v.name}` === apiVersion);
      if (version) found = crdAjv().compile(stripKubernetesExtensions(version.schema.openAPIV3Schema) as object);
    }
    if (found) break;
  }
  crdValidators.set(key, found);
  return found;
}

/** x-kubernetes-* keywords mean nothing to a JSON Schema validator; int-or-string needs a type. */
function stripKubernetesExtensions(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(stripKubernetesExtensions);
  if (schema === null || typeof schema !== 'object') return schema;
  const out: Record<string, unknown> = {};
  const input = schema as Record<string, unknown>;
  for (const [k, v] of Object.entries(input)) {
    if (k.startsWith('x-kubernetes-')) continue;
    out[k] =
      k === 'properties' || k === 'patternProperties'
        ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, stripKubernetesExtensions(s)]))
        : stripKubernetesExtensions(v);
  }
  // The API server prunes fields a structural schema does not name: a field netscale renders
  // there would silently never reach the cluster, so the validator refuses it.
  if (input.properties !== undefined && input.additionalProperties === undefined && !input['x-kubernetes-preserve-unknown-fields'])
    out.additionalProperties = false;
  if (input['x-kubernetes-int-or-string']) {
    delete out.type;
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  }
  return out;
}

function kubernetesModel(apiVersion: string, kind: string): (new (data: unknown) => { validate(): void }) | undefined {
  const modulePath = `kubernetes-models/${apiVersion}/${kind}`;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(modulePath)[kind];
  } catch {
    return undefined;
  }
}

/** Problems with one object; empty when it is valid. Unknown kinds are a problem too. */
export function validateObject(obj: Validated): string[] {
  const id = `${obj.kind} ${obj.metadata?.namespace ?? ''}/${obj.metadata?.name ?? ''}`;
  const crd = crdSchema(obj.apiVersion, obj.kind);
  if (crd) {
    return crd(obj) ? [] : (crd.errors ?? []).map((e) => `${id}: ${e.instancePath || '/'} ${e.message}`);
  }
  const Model = kubernetesModel(obj.apiVersion, obj.kind);
  if (!Model) return [`${id}: no schema known for ${obj.apiVersion} ${obj.kind}`];
  try {
    new Model(obj).validate();
    return [];
  } catch (e) {
    return [`${id}: ${(e as Error).message}`];
  }
}

/** Every YAML document of every *.yaml file below `dir`, with the file it came from. */
export function readManifests(dir: string): Array<{ file: string; object: K8sObject }> {
  const out: Array<{ file: string; object: K8sObject }> = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.yaml'))
        for (const doc of parseAllDocuments(fs.readFileSync(p, 'utf8'))) out.push({ file: p, object: doc.toJS() as K8sObject });
    }
  };
  walk(dir);
  return out;
}

/**
 * What server-side apply makes of a partial object applied over a live one, for the list shapes
 * netscale's partial objects use: maps merge key by key, and lists of objects with a `name` (a
 * Pod's containers, a container's env: listType map keyed by name in the Kubernetes API) merge
 * item by item; any other value replaces. https://kubernetes.io/docs/reference/using-api/server-side-apply/
 */
export function serverSideMerge(live: unknown, applied: unknown): unknown {
  if (
    Array.isArray(live) &&
    Array.isArray(applied) &&
    [...live, ...applied].every((i) => i !== null && typeof i === 'object' && typeof (i as { name?: unknown }).name === 'string')
  ) {
    const out = live.map((i) => ({ ...i }));
    for (const item of applied as Array<{ name: string }>) {
      const at = out.findIndex((i) => i.name === item.name);
      if (at >= 0) out[at] = serverSideMerge(out[at], item) as { name: string };
      else out.push(item);
    }
    return out;
  }
  if (
    live !== null &&
    typeof live === 'object' &&
    !Array.isArray(live) &&
    applied !== null &&
    typeof applied === 'object' &&
    !Array.isArray(applied)
  ) {
    const out: Record<string, unknown> = { ...(live as Record<string, unknown>) };
    for (const [k, v] of Object.entries(applied)) out[k] = k in out ? serverSideMerge(out[k], v) : v;
    return out;
  }
  return applied;
}

/**
 * The parts of calico-node as Calico's manifests/calico.yaml installs it that a partial object
 * touches or that make it a valid DaemonSet (kube-system/calico-node, container calico-node,
 * ServiceAccount calico-node, maxUnavailable 1); no FELIX_TYPHAK8SSERVICENAME, as in calico.yaml.
 */
export const CALICO_YAML_CALICO_NODE = {
  apiVersion: 'apps/v1',
  kind: 'DaemonSet',
  metadata: { name: 'calico-node', namespace: 'kube-system', labels: { 'k8s-app': 'calico-node' } },
  spec: {
    selector: { matchLabels: { 'k8s-app': 'calico-node' } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
    template: {
      metadata: { labels: { 'k8s-app': 'calico-node' } },
      spec: {
        hostNetwork: true,
        serviceAccountName: 'calico-node',
        containers: [
          {
            name: 'calico-node',
            image: 'docker.io/calico/node:v3.28.5',
            env: [
              { name: 'DATASTORE_TYPE', value: 'kubernetes' },
              { name: 'CALICO_NETWORKING_BACKEND', valueFrom: { configMapKeyRef: { name: 'calico-config', key: 'calico_backend' } } },
            ],
          },
        ],
      },
    },
  },
} satisfies K8sObject;
