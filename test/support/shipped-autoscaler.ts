import { join } from 'node:path';
import { parse } from 'yaml';
import type { HpaSpec } from './hpa-algorithm.js';
import { ROOT } from './interop-build.js';
import { type Deployment, ofKind, resolveEnv } from './k8s-pods.js';
import { type K8sObject, kustomize } from './kustomize.js';
import type { AdapterRule } from './prometheus-adapter.js';

const K8S = join(ROOT, 'deploy/k8s');

/** What the autoscaling simulation takes from the rendered manifests for one worker class. */
export interface ShippedAutoscaler {
  /** The HPA's spec (overlays/prod). */
  hpa: HpaSpec;
  /** The worker container's environment from its ConfigMaps (the Secret is external). */
  env: Record<string, string>;
  /** terminationGracePeriodSeconds, in ms. */
  graceMs: number;
  /** prometheus-adapter's externalRules. */
  adapterRules: AdapterRule[];
  /** The KEDA ScaledObject's trigger queries (overlays/prod-keda), in order. */
  kedaQueries: string[];
  /** The PodMonitor's scrape interval, in seconds. */
  scrapeSeconds: number;
}

type Named<T> = K8sObject & { spec: T };

/** Render overlays/prod, overlays/prod-keda and the adapter rules; read `name`'s autoscaling. */
export async function shippedAutoscaler(kubectl: string, name: string): Promise<ShippedAutoscaler> {
  const [prod, keda, adapter] = await Promise.all(
    ['overlays/prod', 'overlays/prod-keda', 'prometheus-adapter'].map((dir) =>
      kustomize(kubectl, join(K8S, dir)),
    ),
  );
  const find = <T extends K8sObject>(objects: K8sObject[], kind: string): T => {
    const found = ofKind<T>(objects, kind).find((o) => o.metadata.name === name);
    if (!found) throw new Error(`no ${kind} ${name} in the render`);
    return found;
  };
  const deployment = find<Deployment>(prod!, 'Deployment');
  const podMonitor = ofKind<Named<{ podMetricsEndpoints: { interval: string }[] }>>(
    prod!,
    'PodMonitor',
  )[0]!;
  const scaledObject = find<Named<{ triggers: { metadata: { query: string } }[] }>>(
    keda!,
    'ScaledObject',
  );
  const adapterConfig = (adapter![0] as K8sObject & { data: Record<string, string> }).data;
  return {
    hpa: find<Named<HpaSpec>>(prod!, 'HorizontalPodAutoscaler').spec,
    env: resolveEnv(prod!, deployment.spec.template.spec.containers[0]!).env,
    graceMs: deployment.spec.template.spec.terminationGracePeriodSeconds! * 1000,
    adapterRules: (parse(adapterConfig['config.yaml']!) as { externalRules: AdapterRule[] })
      .externalRules,
    kedaQueries: scaledObject.spec.triggers.map((t) => t.metadata.query),
    scrapeSeconds: Number.parseInt(podMonitor.spec.podMetricsEndpoints[0]!.interval, 10),
  };
}

/** The HPA with the durations in its targets scaled (metrics in seconds: the queue age). */
export function withScaledDurations(hpa: HpaSpec, timeScale: number): HpaSpec {
  return {
    ...hpa,
    metrics: hpa.metrics.map((m) =>
      m.external?.target.type === 'Value' && m.external.metric.name.endsWith('_seconds')
        ? {
            ...m,
            external: {
              ...m.external,
              target: { type: 'Value', value: String(Number(m.external.target.value) * timeScale) },
            },
          }
        : m,
    ),
  };
}
