import type { LabelSelector } from './prometheus-adapter.js';

/** A scaling policy of an HPA's `behavior` (autoscaling/v2). */
export interface ScalingPolicy {
  type: 'Pods' | 'Percent';
  value: number;
  periodSeconds: number;
}

export interface ScalingRules {
  stabilizationWindowSeconds?: number;
  selectPolicy?: 'Max' | 'Min' | 'Disabled';
  policies?: ScalingPolicy[];
}

/** An External metric of an autoscaling/v2 HPA. */
export interface ExternalMetricSpec {
  type: string;
  external?: {
    metric: { name: string; selector?: LabelSelector };
    target: { type: 'Value' | 'AverageValue'; value?: string; averageValue?: string };
  };
}

/** The parts of an autoscaling/v2 HorizontalPodAutoscaler spec the algorithm reads. */
export interface HpaSpec {
  minReplicas?: number;
  maxReplicas: number;
  metrics: ExternalMetricSpec[];
  behavior?: { scaleUp?: ScalingRules; scaleDown?: ScalingRules };
}

/** What the controller sees of the scale target at a sync. */
export interface ScaleState {
  /** The Deployment's spec.replicas (the HPA's last decision). */
  specReplicas: number;
  /** status.replicas: pods created and not terminating. */
  statusReplicas: number;
  /** Pods Running with condition Ready (terminating ones answer 503 and are not). */
  readyPods: number;
}

export interface Decision {
  desired: number;
  /** Per metric: the replica count it asks for, or undefined when its value was missing. */
  proposals: (number | undefined)[];
  /** The count before the behavior (stabilization, rate limits) was applied. */
  recommended: number;
}

// Kubernetes' defaults (horizontal-pod-autoscaler-tolerance, and behavior defaults).
const TOLERANCE = 0.1;
const DEFAULT_UP: Required<ScalingRules> = {
  stabilizationWindowSeconds: 0,
  selectPolicy: 'Max',
  policies: [
    { type: 'Percent', value: 100, periodSeconds: 15 },
    { type: 'Pods', value: 4, periodSeconds: 15 },
  ],
};
const DEFAULT_DOWN: Required<ScalingRules> = {
  stabilizationWindowSeconds: 300,
  selectPolicy: 'Max',
  policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
};

/** A Kubernetes quantity ("16", "500m", "1k") as a milli-value, rounded up as MilliValue() does. */
export function milliValue(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(m|k|M)?$/.exec(quantity);
  if (!match) throw new Error(`unsupported quantity ${quantity}`);
  const factor = { m: 1, '': 1000, k: 1e6, M: 1e9 }[match[2] ?? '']!;
  return Math.ceil(Number(match[1]) * factor);
}

/**
 * The HorizontalPodAutoscaler controller's replica computation for External metrics
 * (kubernetes pkg/controller/podautoscaler: replica_calculator.go and horizontal.go):
 * AverageValue: ceil(sum / target) unless |1 - sum / (target × status replicas)| ≤ 10 %;
 * Value: ceil(ready pods × sum / target) unless |1 - sum / target| ≤ 10 %; the largest proposal
 * wins; min/max replicas; then the behavior: stabilization windows (the highest recommendation
 * of the scale-down window, the lowest of the scale-up one) and the rate policies, which count
 * the replicas added or removed within each policy's period.
 *
 * `timeScale` multiplies every duration of the behavior (stabilization windows and policy
 * periods), so a simulation can run Kubernetes' minutes in seconds; 1 is the real clock.
 */
export class HpaAlgorithm {
  private readonly up: Required<ScalingRules>;
  private readonly down: Required<ScalingRules>;
  private readonly recommendations: { at: number; replicas: number }[] = [];
  private readonly events: { at: number; change: number }[] = [];

  constructor(
    private readonly spec: HpaSpec,
    private readonly timeScale = 1,
  ) {
    this.up = { ...DEFAULT_UP, ...spec.behavior?.scaleUp };
    this.down = { ...DEFAULT_DOWN, ...spec.behavior?.scaleDown };
  }

  get minReplicas(): number {
    return this.spec.minReplicas ?? 1;
  }

  /** One sync at `now` (ms) with each metric's values (the external metrics API's items). */
  reconcile(now: number, state: ScaleState, metricValues: (number[] | undefined)[]): Decision {
    const current = state.specReplicas;
    const { maxReplicas } = this.spec;
    if (current > maxReplicas) return this.decide(now, current, maxReplicas, [], maxReplicas);
    if (current < this.minReplicas) {
      return this.decide(now, current, this.minReplicas, [], this.minReplicas);
    }
    const proposals = this.spec.metrics.map((metric, i) =>
      this.proposal(metric, state, metricValues[i]),
    );
    const valid = proposals.filter((p): p is number => p !== undefined);
    const recommended = Math.max(0, ...valid);
    // Like the controller: no decision when every metric failed, and no scale-down while any did.
    if (valid.length === 0 || (valid.length < proposals.length && recommended < current)) {
      return { desired: current, proposals, recommended: current };
    }
    const stabilized = this.stabilize(now, current, recommended);
    return this.decide(
      now,
      current,
      this.limitRate(now, current, stabilized),
      proposals,
      recommended,
    );
  }

  private decide(
    now: number,
    current: number,
    desired: number,
    proposals: (number | undefined)[],
    recommended: number,
  ): Decision {
    if (desired !== current) this.events.push({ at: now, change: desired - current });
    return { desired, proposals, recommended };
  }

  private proposal(
    metric: ExternalMetricSpec,
    state: ScaleState,
    values: number[] | undefined,
  ): number | undefined {
    if (metric.type !== 'External' || !metric.external) {
      throw new Error(`only External metrics are simulated (got ${metric.type})`);
    }
    // The external metrics API has no items: the controller reports an error for this metric.
    if (!values || values.length === 0) return undefined;
    const usage = values.reduce((sum, v) => sum + milliValue(String(Math.max(0, v))), 0);
    const { target } = metric.external;
    if (target.type === 'AverageValue') {
      const perPod = milliValue(target.averageValue!);
      const ratio = usage / (perPod * state.statusReplicas);
      return Math.abs(1 - ratio) > TOLERANCE ? Math.ceil(usage / perPod) : state.statusReplicas;
    }
    const ratio = usage / milliValue(target.value!);
    if (state.specReplicas === 0) return Math.ceil(ratio);
    if (Math.abs(1 - ratio) <= TOLERANCE) return state.specReplicas;
    return Math.ceil(ratio * state.readyPods);
  }

  /** stabilizeRecommendationWithBehaviors: bound by the windows' recommendations, then record. */
  private stabilize(now: number, current: number, recommended: number): number {
    const upCutoff = now - this.ms(this.up.stabilizationWindowSeconds);
    const downCutoff = now - this.ms(this.down.stabilizationWindowSeconds);
    let upBound = recommended;
    let downBound = recommended;
    for (const r of this.recommendations) {
      if (r.at > upCutoff) upBound = Math.min(upBound, r.replicas);
      if (r.at > downCutoff) downBound = Math.max(downBound, r.replicas);
    }
    const stabilized = Math.min(Math.max(current, upBound), downBound);
    const oldest = Math.min(upCutoff, downCutoff);
    const stale = this.recommendations.findIndex((r) => r.at < oldest);
    if (stale >= 0) this.recommendations[stale] = { at: now, replicas: recommended };
    else this.recommendations.push({ at: now, replicas: recommended });
    return stabilized;
  }

  /** convertDesiredReplicasWithBehaviorRate: the policies' limits, then min/max replicas. */
  private limitRate(now: number, current: number, desired: number): number {
    if (desired > current) {
      const limit = Math.max(this.policyLimit(now, current, this.up, +1), current);
      return Math.min(desired, limit, this.spec.maxReplicas);
    }
    if (desired < current) {
      const limit = Math.min(this.policyLimit(now, current, this.down, -1), current);
      return Math.max(desired, limit, this.minReplicas);
    }
    return desired;
  }

  /** calculateScaleUpLimitWithScalingRules / calculateScaleDownLimitWithBehaviors. */
  private policyLimit(now: number, current: number, rules: Required<ScalingRules>, sign: 1 | -1) {
    if (rules.selectPolicy === 'Disabled') return current;
    // Scale-up 'Max' takes the largest limit, scale-down 'Max' (the largest change) the smallest.
    const largest = (rules.selectPolicy === 'Max') === sign > 0;
    let result = largest ? -Infinity : Infinity;
    for (const policy of rules.policies) {
      const since = now - this.ms(policy.periodSeconds);
      const recent = this.events.filter((e) => e.at > since);
      const added = recent.filter((e) => e.change > 0).reduce((s, e) => s + e.change, 0);
      const removed = recent.filter((e) => e.change < 0).reduce((s, e) => s - e.change, 0);
      const start = current - added + removed;
      const proposed =
        policy.type === 'Pods'
          ? start + sign * policy.value
          : sign > 0
            ? Math.ceil(start * (1 + policy.value / 100))
            : Math.trunc(start * (1 - policy.value / 100));
      result = largest ? Math.max(result, proposed) : Math.min(result, proposed);
    }
    return result;
  }

  private ms(seconds: number): number {
    return seconds * 1000 * this.timeScale;
  }
}
