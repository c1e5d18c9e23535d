import type { K8sObject } from './kustomize.js';

/** The parts of a rendered pod template the invariant checks read. */
export interface ContainerSpec {
  name: string;
  image: string;
  args?: string[];
  env?: { name: string; value?: string }[];
  envFrom?: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  ports?: { name?: string; containerPort: number }[];
  resources?: {
    requests?: Record<string, string>;
    limits?: Record<string, string>;
  };
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: { preStop?: { sleep?: { seconds: number }; exec?: unknown; httpGet?: unknown } };
  securityContext?: {
    allowPrivilegeEscalation?: boolean;
    readOnlyRootFilesystem?: boolean;
    capabilities?: { drop?: string[] };
  };
}

export interface Probe {
  httpGet?: { path: string; port: number | string };
  exec?: unknown;
  tcpSocket?: unknown;
}

export interface DeploymentSpec {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: {
    metadata: { labels: Record<string, string> };
    spec: {
      terminationGracePeriodSeconds?: number;
      securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
      containers: ContainerSpec[];
    };
  };
}

export type Deployment = K8sObject & { spec: DeploymentSpec };

export function ofKind<T extends K8sObject = K8sObject>(objects: K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as T[];
}

/** True when every selector label is on `labels`. */
export function selects(
  selector: Record<string, string>,
  labels: Record<string, string> | undefined,
): boolean {
  return Object.entries(selector).every(([key, value]) => labels?.[key] === value);
}

/**
 * A container's environment as the kubelet builds it: envFrom ConfigMaps and Secrets in order,
 * then `env`. Secrets not in the render (created outside git) are reported in `external`.
 */
export function resolveEnv(
  objects: K8sObject[],
  container: ContainerSpec,
): { env: Record<string, string>; external: string[] } {
  const env: Record<string, string> = {};
  const external: string[] = [];
  for (const source of container.envFrom ?? []) {
    if (source.configMapRef) {
      const map = objects.find(
        (o) => o.kind === 'ConfigMap' && o.metadata.name === source.configMapRef!.name,
      ) as (K8sObject & { data?: Record<string, string> }) | undefined;
      if (!map) throw new Error(`${container.name}: ConfigMap ${source.configMapRef.name} missing`);
      Object.assign(env, map.data);
    }
    if (source.secretRef) {
      const secret = objects.find(
        (o) => o.kind === 'Secret' && o.metadata.name === source.secretRef!.name,
      ) as (K8sObject & { data?: Record<string, string> }) | undefined;
      if (!secret) {
        external.push(source.secretRef.name);
        continue;
      }
      for (const [key, value] of Object.entries(secret.data ?? {})) {
        env[key] = Buffer.from(value, 'base64').toString('utf8');
      }
    }
  }
  for (const variable of container.env ?? []) {
    if (variable.value !== undefined) env[variable.name] = variable.value;
  }
  return { env, external };
}

/** A Kubernetes quantity of memory in MiB ("512Mi", "2Gi", "1G"). */
export function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`unreadable memory quantity ${quantity}`);
  const factor: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1000 / 1048576,
    M: 1e6 / 1048576,
    G: 1e9 / 1048576,
  };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1 / 1048576);
}
