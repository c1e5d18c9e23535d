/** A Kubernetes label selector, as an HPA's external metric carries it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

/** One `externalRules` entry of a prometheus-adapter config. */
export interface AdapterRule {
  seriesQuery: string;
  name?: { as?: string };
  resources?: { namespaced?: boolean };
  metricsQuery: string;
}

/**
 * The PromQL prometheus-adapter runs for an external metric request, built as its
 * `metricsQuery.BuildExternal` does: the selector's requirements sorted by key, each turned
 * into a matcher (`=` for one value, `=~"a|b"` for In, `!~` for NotIn, `!=""` for Exists),
 * joined by commas into `<<.LabelMatchers>>`; `<<.Series>>` is the series the rule discovered.
 * A non-namespaced rule adds no namespace matcher.
 */
export function externalMetricQuery(
  rules: AdapterRule[],
  metric: string,
  selector: LabelSelector = {},
): string {
  const rule = rules.find((r) => (r.name?.as ?? seriesName(r)) === metric);
  if (!rule) throw new Error(`no prometheus-adapter rule serves the external metric ${metric}`);
  if (rule.resources?.namespaced !== false) {
    throw new Error(`${metric}: only non-namespaced external rules are simulated`);
  }
  const query = rule.metricsQuery
    .replaceAll('<<.Series>>', seriesName(rule))
    .replaceAll('<<.LabelMatchers>>', labelMatchers(selector))
    .replaceAll('<<.GroupBy>>', '');
  if (query.includes('<<')) throw new Error(`${metric}: unsupported template in ${query}`);
  return query.trim();
}

function seriesName(rule: AdapterRule): string {
  const match = /^\s*([a-zA-Z_:][\w:]*)/.exec(rule.seriesQuery);
  if (!match) throw new Error(`no series name in ${rule.seriesQuery}`);
  return match[1]!;
}

function labelMatchers(selector: LabelSelector): string {
  const requirements = [
    ...Object.entries(selector.matchLabels ?? {}).map(([key, value]) => ({
      key,
      operator: 'In',
      values: [value],
      equals: true,
    })),
    ...(selector.matchExpressions ?? []).map((e) => ({ ...e, values: e.values ?? [] })),
  ].sort((a, b) => a.key.localeCompare(b.key));
  return requirements
    .map(({ key, operator, values, ...rest }) => {
      const joined = JSON.stringify([...values].sort().join('|'));
      if ('equals' in rest) return `${key}=${joined}`;
      switch (operator) {
        case 'In':
          return `${key}=~${joined}`;
        case 'NotIn':
          return `${key}!~${joined}`;
        case 'Exists':
          return `${key}!=""`;
        case 'DoesNotExist':
          return `${key}=""`;
        default:
          throw new Error(`label selector operator ${operator} is not supported`);
      }
    })
    .join(',');
}
