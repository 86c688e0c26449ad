/**
 * What Argo CD's ApplicationSet controller makes of a rendered ApplicationSet, written from its
 * sources so tests can check the Applications a cluster would really get (argoproj/argo-cd):
 * - applicationset/generators/list.go: with goTemplate each list element is the parameter map.
 * - applicationset/utils/utils.go: every string of the template is a Go template over the element
 *   (missingkey=error fails on an absent key); RenderTemplateParams adds the resources finalizer
 *   unless syncPolicy.preserveResourcesOnDeletion; a templatePatch starting with `{` is JSON.
 * - applicationset/controllers/template/patch.go: the patch is a strategic merge patch over the
 *   Application (maps merge key by key, other values are replaced) and cannot change spec.project.
 * - applicationset/controllers/template/template.go: the Application lands in the ApplicationSet's
 *   namespace.
 * - applicationset/progressivesync/progressive_sync.go: a RollingSync step selects the Applications
 *   whose labels match all its matchExpressions (In / NotIn).
 * Only what netscale's ApplicationSets use is covered: `{{.key}}` and `{{ toJson .key }}`.
 */
import { parse } from 'yaml';

type JsonMap = Record<string, unknown>;

/** An Argo CD Application as Kubernetes JSON: the fields netscale renders. */
export type Application = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec: {
    project: string;
    source: {
      repoURL: string;
      targetRevision?: string;
      path?: string;
      chart?: string;
      directory?: JsonMap;
      helm?: { releaseName?: string; valuesObject?: JsonMap };
    };
    destination: { server?: string; name?: string; namespace?: string };
    syncPolicy?: { automated?: JsonMap; syncOptions?: string[]; retry?: JsonMap };
    ignoreDifferences?: JsonMap[];
  };
};

/** A RollingSync step: the generated Applications whose labels match all its expressions. */
export type RollingSyncStep = { matchExpressions?: Array<{ key: string; operator: string; values: string[] }>; maxUpdate?: number | string };

/** An Argo CD ApplicationSet with list generators, as Kubernetes JSON: the fields netscale renders. */
export type ApplicationSet = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec: {
    goTemplate?: boolean;
    goTemplateOptions?: string[];
    generators: Array<{ list?: { elements: JsonMap[] } }>;
    strategy?: { type: string; rollingSync?: { steps: RollingSyncStep[] } };
    syncPolicy?: { preserveResourcesOnDeletion?: boolean };
    /** An Application's metadata and spec, whose strings may hold Go template actions over an element. */
    template: Pick<Application, 'metadata' | 'spec'>;
    templatePatch?: string;
  };
};

export const RESOURCES_FINALIZER = 'resources-finalizer.argocd.argoproj.io';

function fill(text: string, element: JsonMap, what: string): string {
  return text.replace(/\{\{\s*(toJson\s+)?\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g, (_, toJson: string | undefined, key: string) => {
    if (!(key in element)) throw new Error(`${what}: map has no entry for key "${key}" (missingkey=error)`);
    return toJson ? JSON.stringify(element[key]) : String(element[key]);
  });
}

function fillStrings(value: unknown, element: JsonMap): unknown {
  if (typeof value === 'string') return fill(value, element, 'template');
  if (Array.isArray(value)) return value.map((v) => fillStrings(v, element));
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [fill(k, element, 'template'), fillStrings(v, element)]));
  return value;
}

function mergePatch(original: unknown, patch: unknown): unknown {
  const isMap = (v: unknown): v is JsonMap => v !== null && typeof v === 'object' && !Array.isArray(v);
  if (!isMap(original) || !isMap(patch)) return patch;
  const out: JsonMap = { ...original };
  for (const [k, v] of Object.entries(patch)) out[k] = k in out ? mergePatch(out[k], v) : v;
  return out;
}

/** The Applications an ApplicationSet with one list generator generates, as the controller would create them. */
export function generateApplications(appSet: ApplicationSet): Application[] {
  const spec = appSet.spec;
  if (spec.goTemplate !== true) throw new Error('only goTemplate ApplicationSets are simulated');
  const elements = spec.generators.flatMap((g) => g.list?.elements ?? []);
  return elements.map((element) => {
    // The template with the element's values filled in is an Application's metadata and spec.
    const rendered = fillStrings(spec.template, element) as Pick<Application, 'metadata' | 'spec'>;
    let app: Application = {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'Application',
      metadata: { ...rendered.metadata, namespace: appSet.metadata.namespace },
      spec: rendered.spec,
    };
    const hasFinalizers = (app.metadata.finalizers?.length ?? 0) > 0;
    if (!spec.syncPolicy?.preserveResourcesOnDeletion && !hasFinalizers) app.metadata.finalizers = [RESOURCES_FINALIZER];
    if (spec.templatePatch !== undefined) {
      const text = fill(spec.templatePatch, element, 'templatePatch');
      const patch: unknown = text.trim().startsWith('{') ? JSON.parse(text) : parse(text);
      const project = app.spec.project;
      app = mergePatch(app, patch) as Application;
      app.spec.project = project;
    }
    return app;
  });
}

/** For each generated Application, the indexes of the RollingSync steps that select it. */
export function rollingSyncSelection(appSet: ApplicationSet, applications: readonly Application[]): Map<string, number[]> {
  const steps = appSet.spec.strategy?.rollingSync?.steps ?? [];
  const out = new Map<string, number[]>();
  for (const app of applications) {
    const labels = app.metadata.labels ?? {};
    const selected = steps.flatMap((step, i) => {
      const matches = (step.matchExpressions ?? []).every((e) => {
        if (!(e.key in labels)) return e.operator !== 'In';
        const hit = e.values.includes(labels[e.key]);
        return e.operator === 'In' ? hit : !hit;
      });
      return matches ? [i] : [];
    });
    out.set(app.metadata.name, selected);
  }
  return out;
}
