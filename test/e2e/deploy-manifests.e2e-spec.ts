import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { DataSource } from 'typeorm';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { BeatEvents } from '../../libs/task-queue/src/beat/beat-events.js';
import { BeatMetrics } from '../../libs/task-queue/src/observability/metrics/beat-metrics.js';
import { DEFAULTS } from '../../libs/task-queue/src/task-queue.constants.js';
import { DEMO_ENVIRONMENT } from '../../apps/demo/src/environment.js';
import { taskQueueConfig } from '../../apps/demo/src/task-queue.config.js';
import { ROOT } from '../support/interop-build.js';
import {
  type ContainerSpec,
  type Deployment,
  mebibytes,
  ofKind,
  resolveEnv,
  selects,
} from '../support/k8s-pods.js';
import { validateObject } from '../support/k8s-validate.js';
import { findKubectl, type K8sObject, kustomize } from '../support/kustomize.js';

/**
 * deploy/k8s rendered by `kubectl kustomize` (offline), validated against the Kubernetes, KEDA
 * and Prometheus Operator schemas (kubernetes-models), then checked for the invariants that keep
 * a rollout or a scale-in from losing tasks and the autoscalers pointed at real metrics.
 */
const K8S = join(ROOT, 'deploy/k8s');
const OVERLAYS = ['dev', 'prod', 'prod-keda'];
/** Secrets an overlay expects to be created outside git. */
const EXTERNAL_SECRETS: Record<string, string[]> = {
  dev: [],
  prod: ['celeriac-urls'],
  'prod-keda': ['celeriac-urls'],
};
/** What the processes serve (health and metrics contract). */
const SERVED_PATHS = ['/health/live', '/health/ready', '/metrics'];
/** The metrics the autoscalers and alerts may use: exported by Celeriac or celery-exporter. */
const METRICS = [
  'celeriac_queue_ready',
  'celeriac_queue_unacked',
  'celeriac_queue_oldest_ready_age_seconds',
  'celeriac_worker_slots',
  'celery_queue_length',
];
/** The beat's metrics the alerts use: exported by the beat pods (BeatMetrics). */
const BEAT_METRICS = ['celeriac_beat_leader'];
/** What the apps read (apps/demo/src/environment.ts) plus the image's and the contract's. */
const KNOWN_VARIABLES = [
  ...Object.keys(DEMO_ENVIRONMENT),
  'CELERIAC_ROLE',
  'CELERIAC_HTTP_PORT',
  'NODE_OPTIONS',
  'NODE_ENV',
];
/** Seconds between the end of the drain and SIGKILL: requeue, close connections, exit. */
const MARGIN_SECONDS = 10;

const kubectl = findKubectl();
if (!kubectl.path) {
  console.warn(`[deploy-manifests] SKIPPED: ${kubectl.reason}. Install kubectl to run these.`);
}

const rendered = new Map<string, K8sObject[]>();

beforeAll(async () => {
  if (!kubectl.path) return;
  for (const overlay of OVERLAYS) {
    rendered.set(overlay, await kustomize(kubectl.path, join(K8S, 'overlays', overlay)));
  }
  rendered.set(
    'prometheus-adapter',
    await kustomize(kubectl.path, join(K8S, 'prometheus-adapter')),
  );
});

/** The role a container runs, as deploy/docker/role.mjs picks it. */
function roleOf(container: ContainerSpec, env: Record<string, string>): string {
  return container.args?.[0] ?? env.CELERIAC_ROLE ?? 'worker';
}

/** The port the role's process serves its health and metrics paths on. */
function servedPort(role: string, env: Record<string, string>): number | undefined {
  if (role === 'api') return Number(env.PORT ?? 3000);
  return env.CELERIAC_HTTP_PORT ? Number(env.CELERIAC_HTTP_PORT) : undefined;
}

/** The worker's shutdownTimeout in ms, as the app computes it from this environment. */
function shutdownTimeoutMs(env: Record<string, string>): number {
  const options = taskQueueConfig({} as DataSource, env);
  return options.worker?.shutdownTimeout ?? DEFAULTS.shutdownTimeout;
}

/** Metric names in a PromQL text (Celeriac's and celery-exporter's namespaces). */
function metricNames(promql: string): string[] {
  return [...promql.matchAll(/\b(?:celeriac|celery)_[a-z0-9_]+\b/g)].map((m) => m[0]);
}

function podsOf(objects: K8sObject[]): { deployment: Deployment; container: ContainerSpec }[] {
  return ofKind<Deployment>(objects, 'Deployment').flatMap((deployment) =>
    deployment.spec.template.spec.containers.map((container) => ({ deployment, container })),
  );
}

describe.skipIf(!kubectl.path).each(OVERLAYS)('deploy/k8s overlay %s', (overlay) => {
  const objects = (): K8sObject[] => rendered.get(overlay)!;

  it('renders and every object validates against its schema', () => {
    const kinds = new Set(objects().map((o) => o.kind));
    for (const kind of ['Deployment', 'ConfigMap', 'Service', 'PodDisruptionBudget']) {
      expect(kinds, `${overlay} has a ${kind}`).toContain(kind);
    }
    for (const object of objects()) validateObject(object);
    const roles = podsOf(objects()).map(({ container }) =>
      roleOf(container, resolveEnv(objects(), container).env),
    );
    expect(new Set(roles)).toEqual(new Set(['api', 'worker', 'beat']));
  });

  it('selectors match the pod labels, and references resolve', () => {
    const deployments = ofKind<Deployment>(objects(), 'Deployment');
    const podLabels = deployments.map((d) => d.spec.template.metadata.labels);
    for (const d of deployments) {
      expect(selects(d.spec.selector.matchLabels, d.spec.template.metadata.labels)).toBe(true);
      // No two Deployments claim each other's pods.
      const claimed = podLabels.filter((labels) => selects(d.spec.selector.matchLabels, labels));
      expect(claimed, d.metadata.name).toHaveLength(1);
    }
    type Selecting = K8sObject & {
      spec: { selector: { matchLabels?: Record<string, string> } & Record<string, string> };
    };
    for (const pdb of ofKind<Selecting>(objects(), 'PodDisruptionBudget')) {
      const matched = podLabels.filter((l) => selects(pdb.spec.selector.matchLabels!, l));
      expect(matched, `PDB ${pdb.metadata.name}`).toHaveLength(1);
    }
    for (const service of ofKind<Selecting>(objects(), 'Service')) {
      expect(podLabels.some((l) => selects(service.spec.selector, l))).toBe(true);
    }
    for (const monitor of ofKind<Selecting>(objects(), 'PodMonitor')) {
      const scraped = podLabels.filter((l) => selects(monitor.spec.selector.matchLabels!, l));
      expect(scraped).toHaveLength(deployments.length);
    }
    const names = new Set(deployments.map((d) => d.metadata.name));
    type Scaler = K8sObject & { spec: { scaleTargetRef: { name: string; kind?: string } } };
    for (const scaler of [
      ...ofKind<Scaler>(objects(), 'HorizontalPodAutoscaler'),
      ...ofKind<Scaler>(objects(), 'ScaledObject'),
    ]) {
      expect(names, `${scaler.kind} ${scaler.metadata.name}`).toContain(
        scaler.spec.scaleTargetRef.name,
      );
      const target = deployments.find((d) => d.metadata.name === scaler.spec.scaleTargetRef.name)!;
      // The autoscaler owns the replica count.
      expect(target.spec.replicas, `${target.metadata.name} replicas`).toBeUndefined();
    }
    for (const { container } of podsOf(objects())) {
      expect(resolveEnv(objects(), container).external.sort()).toEqual(
        [...new Set(EXTERNAL_SECRETS[overlay])].filter((s) =>
          container.envFrom?.some((e) => e.secretRef?.name === s),
        ),
      );
    }
  });

  it('probes point at the paths and the port the role serves', () => {
    for (const { deployment, container } of podsOf(objects())) {
      const { env } = resolveEnv(objects(), container);
      const role = roleOf(container, env);
      const port = servedPort(role, env);
      const label = `${deployment.metadata.name}/${container.name} (${role})`;
      expect(port, `${label} serves HTTP`).toBeGreaterThan(0);
      const probes = [container.startupProbe, container.livenessProbe, container.readinessProbe];
      expect(probes.every(Boolean), `${label} has startup, liveness and readiness`).toBe(true);
      for (const probe of probes) {
        const get = probe!.httpGet!;
        expect(SERVED_PATHS, label).toContain(get.path);
        const number =
          typeof get.port === 'number'
            ? get.port
            : container.ports?.find((p) => p.name === get.port)?.containerPort;
        expect(number, `${label} probe port ${get.port}`).toBe(port);
      }
      expect(container.livenessProbe!.httpGet!.path).toBe('/health/live');
      expect(container.readinessProbe!.httpGet!.path).toBe('/health/ready');
    }
  });

  it('grace period covers preStop + shutdownTimeout + margin', () => {
    for (const { deployment, container } of podsOf(objects())) {
      const { env } = resolveEnv(objects(), container);
      const role = roleOf(container, env);
      const preStop = container.lifecycle?.preStop?.sleep?.seconds ?? 0;
      expect(container.lifecycle?.preStop?.exec, 'no exec preStop: no sleep binary').toBeFalsy();
      const drain = role === 'worker' ? Math.ceil(shutdownTimeoutMs(env) / 1000) : 0;
      const grace = deployment.spec.template.spec.terminationGracePeriodSeconds ?? 30;
      expect(
        grace,
        `${deployment.metadata.name}: ${preStop} + ${drain} + margin`,
      ).toBeGreaterThanOrEqual(preStop + drain + MARGIN_SECONDS);
      if (role === 'worker') {
        // The worker's timeout is set explicitly, not left to a default that may change.
        expect(env.CELERIAC_SHUTDOWN_TIMEOUT, deployment.metadata.name).toBeDefined();
      }
    }
  });

  it('every container has resources, a hardened securityContext and a heap below its limit', () => {
    const images = new Set<string>();
    for (const { deployment, container } of podsOf(objects())) {
      const label = `${deployment.metadata.name}/${container.name}`;
      images.add(container.image);
      expect(container.image, label).not.toMatch(/:latest$|^[^:]+$/);
      expect(container.resources?.requests?.cpu, label).toBeDefined();
      expect(container.resources?.requests?.memory, label).toBeDefined();
      const limit = container.resources?.limits?.memory;
      expect(limit, label).toBeDefined();
      const pod = deployment.spec.template.spec;
      expect(pod.securityContext?.runAsNonRoot, label).toBe(true);
      expect(pod.securityContext?.runAsUser, label).toBeGreaterThan(0);
      expect(container.securityContext?.readOnlyRootFilesystem, label).toBe(true);
      expect(container.securityContext?.allowPrivilegeEscalation, label).toBe(false);
      expect(container.securityContext?.capabilities?.drop, label).toContain('ALL');
      const { env } = resolveEnv(objects(), container);
      expect(env.NODE_OPTIONS, label).toContain('--max-semi-space-size=4');
      const heap = /--max-old-space-size=(\d+)/.exec(env.NODE_OPTIONS ?? '');
      expect(heap, `${label} sets --max-old-space-size`).not.toBeNull();
      // Old space plus young space, code and buffers must fit under the limit.
      expect(Number(heap![1]), label).toBeLessThanOrEqual(mebibytes(limit!) * 0.8);
    }
    expect(images.size, 'one image for every role').toBe(1);
  });

  it('every variable a container gets is one the image or the apps read', () => {
    for (const { deployment, container } of podsOf(objects())) {
      for (const name of Object.keys(resolveEnv(objects(), container).env)) {
        expect(KNOWN_VARIABLES, `${deployment.metadata.name}: ${name}`).toContain(name);
      }
    }
  });

  it('only the beat role competes for beat leadership', () => {
    for (const { deployment, container } of podsOf(objects())) {
      const { env } = resolveEnv(objects(), container);
      const role = container.args?.[0] ?? env.CELERIAC_ROLE;
      if (role === 'beat') continue;
      expect(env.CELERIAC_BEAT, `${deployment.metadata.name} must set CELERIAC_BEAT=0`).toBe('0');
    }
  });

  it('ConfigMaps hold no secrets', () => {
    type Map = K8sObject & { data?: Record<string, string> };
    for (const map of ofKind<Map>(objects(), 'ConfigMap')) {
      for (const [key, value] of Object.entries(map.data ?? {})) {
        const where = `ConfigMap ${map.metadata.name} ${key}`;
        expect(key, where).not.toMatch(
          /PASSWORD|SECRET|TOKEN|CREDENTIAL|_KEY$|BROKER|BACKEND|DATABASE_URL/i,
        );
        expect(value, where).not.toMatch(/:\/\/[^/\s@]*:[^/\s@]+@/);
        expect(value, where).not.toMatch(/(password|secret|token)\s*[=:]/i);
      }
    }
  });

  it('autoscalers and alerts use exported metrics on the queues their workers consume', () => {
    const adapterRules = (
      parse(
        (rendered.get('prometheus-adapter')![0] as K8sObject & { data: Record<string, string> })
          .data['config.yaml']!,
      ) as { externalRules: { name: { as: string }; seriesQuery: string; metricsQuery: string }[] }
    ).externalRules;
    const external = new Set(adapterRules.map((r) => r.name.as));
    for (const rule of adapterRules) {
      const used = metricNames(`${rule.seriesQuery} ${rule.metricsQuery}`);
      expect(used.length).toBeGreaterThan(0);
      for (const name of used.filter((n) => n !== rule.name.as)) expect(METRICS).toContain(name);
      for (const name of metricNames(rule.seriesQuery)) expect(METRICS).toContain(name);
    }
    const deployments = ofKind<Deployment>(objects(), 'Deployment');
    const queuesOf = (name: string): string[] => {
      const container = deployments.find((d) => d.metadata.name === name)!.spec.template.spec
        .containers[0]!;
      return resolveEnv(objects(), container).env.CELERIAC_QUEUES!.split(',');
    };

    type Hpa = K8sObject & {
      spec: {
        scaleTargetRef: { name: string };
        metrics: {
          type: string;
          external?: {
            metric: {
              name: string;
              selector?: {
                matchLabels?: Record<string, string>;
                matchExpressions?: { key: string; values: string[] }[];
              };
            };
          };
        }[];
      };
    };
    for (const hpa of ofKind<Hpa>(objects(), 'HorizontalPodAutoscaler')) {
      const queues = queuesOf(hpa.spec.scaleTargetRef.name);
      // Every metric name covers exactly the queues the target consumes.
      const watched = new Map<string, Set<string>>();
      for (const metric of hpa.spec.metrics) {
        expect(metric.type, hpa.metadata.name).toBe('External');
        expect(external, `${hpa.metadata.name} metric served by the adapter`).toContain(
          metric.external!.metric.name,
        );
        const selector = metric.external!.metric.selector ?? {};
        const named = [
          selector.matchLabels?.queue_name,
          ...(selector.matchExpressions ?? [])
            .filter((e) => e.key === 'queue_name')
            .flatMap((e) => e.values),
        ].filter((q): q is string => q !== undefined);
        expect(named.length, `${hpa.metadata.name} selects queues`).toBeGreaterThan(0);
        const name = metric.external!.metric.name;
        for (const q of named) watched.set(name, (watched.get(name) ?? new Set()).add(q));
      }
      expect(watched.size).toBeGreaterThan(0);
      for (const [name, covered] of watched) {
        expect([...covered].sort(), `${hpa.metadata.name} ${name}`).toEqual([...queues].sort());
      }
    }

    type Scaled = K8sObject & {
      spec: {
        scaleTargetRef: { name: string };
        triggers: { type: string; metadata: Record<string, string> }[];
      };
    };
    for (const scaled of ofKind<Scaled>(objects(), 'ScaledObject')) {
      const queues = queuesOf(scaled.spec.scaleTargetRef.name);
      for (const trigger of scaled.spec.triggers) {
        expect(trigger.type).toBe('prometheus');
        const query = trigger.metadata.query!;
        expect(metricNames(query).length).toBeGreaterThan(0);
        for (const name of metricNames(query)) expect(METRICS).toContain(name);
        for (const match of query.matchAll(/queue_name=~"([^"]+)"/g)) {
          expect(match[1]!.split('|').sort(), scaled.metadata.name).toEqual([...queues].sort());
        }
        expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
      }
    }

    type Rule = K8sObject & { spec: { groups: { rules: { expr: string }[] }[] } };
    for (const rule of ofKind<Rule>(objects(), 'PrometheusRule')) {
      for (const { expr } of rule.spec.groups.flatMap((g) => g.rules)) {
        expect(metricNames(expr).length).toBeGreaterThan(0);
        for (const name of metricNames(expr)) expect([...METRICS, ...BEAT_METRICS]).toContain(name);
      }
    }
  });
});

describe.skipIf(!kubectl.path)('deploy/k8s overlays together', () => {
  it('prod autoscales with an HPA, prod-keda with KEDA, dev not at all', () => {
    const count = (overlay: string, kind: string): number =>
      ofKind(rendered.get(overlay)!, kind).length;
    expect([count('dev', 'HorizontalPodAutoscaler'), count('dev', 'ScaledObject')]).toEqual([0, 0]);
    expect([count('prod', 'HorizontalPodAutoscaler'), count('prod', 'ScaledObject')]).toEqual([
      2, 0,
    ]);
    expect([
      count('prod-keda', 'HorizontalPodAutoscaler'),
      count('prod-keda', 'ScaledObject'),
    ]).toEqual([0, 2]);
    const beat = ofKind<Deployment>(rendered.get('prod')!, 'Deployment').find(
      (d) => d.metadata.name === 'celeriac-beat',
    )!;
    expect(beat.spec.replicas, 'beat is leader-elected: two replicas').toBe(2);
  });
});

describe('the image files', () => {
  const run = promisify(execFile);
  let server: Server;
  let port: number;
  let status = 200;

  beforeAll(async () => {
    server = createServer((request, response) => {
      response.statusCode = request.url === '/health/live' ? status : 404;
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  const healthcheck = async (env: NodeJS.ProcessEnv): Promise<number> => {
    try {
      await run(process.execPath, [join(ROOT, 'deploy/docker/healthcheck.mjs')], {
        env: { PATH: process.env.PATH, ...env },
      });
      return 0;
    } catch (error) {
      return (error as { code: number }).code;
    }
  };

  it('HEALTHCHECK script: 0 on 2xx, 1 on 503, refused or no port; reads the role', async () => {
    status = 200;
    expect(await healthcheck({ CELERIAC_ROLE: 'worker', CELERIAC_HTTP_PORT: String(port) })).toBe(
      0,
    );
    expect(await healthcheck({ CELERIAC_ROLE: 'api', PORT: String(port) })).toBe(0);
    // The api role probes PORT, not CELERIAC_HTTP_PORT.
    expect(
      await healthcheck({ CELERIAC_ROLE: 'api', CELERIAC_HTTP_PORT: String(port), PORT: '1' }),
    ).toBe(1);
    expect(await healthcheck({ CELERIAC_ROLE: 'worker' })).toBe(1);
    status = 503;
    expect(await healthcheck({ CELERIAC_ROLE: 'worker', CELERIAC_HTTP_PORT: String(port) })).toBe(
      1,
    );
    // Connection refused: a port that was just free.
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closed = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    expect(await healthcheck({ CELERIAC_ROLE: 'worker', CELERIAC_HTTP_PORT: String(closed) })).toBe(
      1,
    );
  });

  it('Dockerfile: parameterised base, non-root, exec forms, SIGTERM, omit=dev', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const lines = dockerfile
      .replace(/\\\n\s*/g, ' ')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(lines[0]).toBe('ARG NODE_IMAGE=node:20-bookworm-slim');
    const froms = lines.filter((l) => l.startsWith('FROM '));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(lines[1]).toBe('ARG RUNTIME_IMAGE=${NODE_IMAGE}');
    for (const from of froms.slice(0, -1)) {
      expect(from).toMatch(/^FROM \$\{NODE_IMAGE\} AS [a-z-]+$/);
    }
    expect(froms.at(-1)).toBe('FROM ${RUNTIME_IMAGE} AS runtime');
    const runtime = lines.slice(lines.indexOf(froms.at(-1)!));
    const user = runtime.find((l) => l.startsWith('USER '));
    expect(user).toMatch(/^USER [1-9]\d*:[1-9]\d*$/);
    expect(runtime).toContain('STOPSIGNAL SIGTERM');
    for (const keyword of ['ENTRYPOINT', 'CMD', 'HEALTHCHECK']) {
      for (const line of runtime.filter((l) => l.startsWith(`${keyword} `))) {
        expect(line, 'exec form').toMatch(/(ENTRYPOINT|CMD) \[/);
      }
    }
    expect(runtime.find((l) => l.startsWith('HEALTHCHECK'))).toContain(
      'CMD ["node", "deploy/docker/healthcheck.mjs"]',
    );
    expect(dockerfile).toContain('NODE_OPTIONS=--max-semi-space-size=4');
    expect(lines.some((l) => /RUN \["npm", "ci", "--omit=dev"/.test(l))).toBe(true);
    expect(lines.every((l) => !/:latest\b/.test(l))).toBe(true);
  });
});

describe('compose.yaml', () => {
  interface ComposeService {
    image: string;
    command?: string[];
    environment?: Record<string, string>;
    deploy?: { replicas?: number };
    stop_grace_period?: string;
    read_only?: boolean;
    cap_drop?: string[];
  }
  const compose = parse(readFileSync(join(ROOT, 'compose.yaml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  const seconds = (duration = '10s'): number => Number(/^(\d+)s$/.exec(duration)![1]);

  it('runs Redis, RabbitMQ, PostgreSQL, the API, two workers and beat from one image', () => {
    const { services } = compose;
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'beat', 'postgres', 'rabbitmq', 'redis', 'worker'].sort(),
    );
    const roles = ['api', 'worker', 'beat'].map((name) => {
      const service = services[name]!;
      expect(service.read_only, name).toBe(true);
      expect(service.cap_drop, name).toContain('ALL');
      return service.command?.[0] ?? service.environment?.CELERIAC_ROLE;
    });
    expect(roles).toEqual(['api', 'worker', 'beat']);
    expect(new Set(['api', 'worker', 'beat'].map((n) => services[n]!.image)).size).toBe(1);
    for (const name of ['api', 'worker', 'beat']) {
      for (const variable of Object.keys(services[name]!.environment ?? {})) {
        expect(KNOWN_VARIABLES, `${name}: ${variable}`).toContain(variable);
      }
    }
    expect(services.worker!.deploy?.replicas).toBe(2);
    expect(services.api!.environment?.CELERIAC_WORKER).toBe('0');
    expect(services.api!.environment?.CELERIAC_BEAT).toBe('0');
    expect(services.worker!.environment?.CELERIAC_BEAT).toBe('0');
    const env = services.worker!.environment!;
    expect(seconds(services.worker!.stop_grace_period)).toBeGreaterThanOrEqual(
      Math.ceil(shutdownTimeoutMs(env) / 1000) + MARGIN_SECONDS,
    );
  });
});

describe('the metrics and paths the manifests use', () => {
  it('are what celeriac/prometheus exports and what worker.http serves', async () => {
    const { Test } = await import('@nestjs/testing');
    const { TaskQueueModule, WorkerHttpServer } = await import('celeriac');
    const { TaskQueueMetrics, TaskQueueMetricsModule } = await import('celeriac/prometheus');
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({
          worker: { banner: false, http: { port: 0, host: '127.0.0.1' } },
        }),
        TaskQueueMetricsModule.forRoot({ path: false }),
      ],
    }).compile();
    const app = await moduleRef.init();
    try {
      const exported = app
        .get(TaskQueueMetrics)
        .registry.getMetricsAsArray()
        .map((metric) => metric.name);
      for (const name of METRICS) expect(exported, name).toContain(name);
      const beatRegistry = new Registry();
      new BeatMetrics(beatRegistry, new BeatEvents(), { isLeader: false }).close();
      const beat = beatRegistry.getMetricsAsArray().map((metric) => metric.name);
      for (const name of BEAT_METRICS) expect(beat, name).toContain(name);
      const base = `http://127.0.0.1:${app.get(WorkerHttpServer).address!.port}`;
      for (const path of SERVED_PATHS)
        expect((await fetch(`${base}${path}`)).status, path).toBe(200);
    } finally {
      await app.close();
    }
  });
});
