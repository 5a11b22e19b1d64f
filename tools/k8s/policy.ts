/**
 * Policy checks on rendered Kubernetes manifests: what a schema cannot say and what matters for Firstmile.
 * Each check returns its violations as sentences (empty: the manifests comply), so the spec can show both
 * that the render complies and that every check catches what it is for.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

interface Container {
  name: string;
  image?: string;
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: {
    runAsNonRoot?: boolean;
    runAsUser?: number;
    allowPrivilegeEscalation?: boolean;
    privileged?: boolean;
  };
  livenessProbe?: { httpGet?: { path?: string } };
  readinessProbe?: { httpGet?: { path?: string } };
}
interface PodSpec {
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number };
  containers: Container[];
  initContainers?: Container[];
  topologySpreadConstraints?: unknown[];
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet']);
const id = (o: K8sObject) => `${o.kind} ${o.metadata.name}`;

/** The pod spec of a workload (Deployment, StatefulSet, …), or undefined for other kinds. */
export function podSpec(o: K8sObject): PodSpec | undefined {
  if (!WORKLOADS.has(o.kind)) return undefined;
  const template = (o.spec as { template?: { spec?: PodSpec } } | undefined)?.template;
  return template?.spec;
}

const allContainers = (p: PodSpec) => [...(p.initContainers ?? []), ...p.containers];

/** No container runs as root: runAsNonRoot (pod or container), no runAsUser 0, no privilege escalation. */
export function noRoot(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const pod = podSpec(o);
    if (!pod) continue;
    for (const c of allContainers(pod)) {
      const nonRoot = c.securityContext?.runAsNonRoot ?? pod.securityContext?.runAsNonRoot;
      const user = c.securityContext?.runAsUser ?? pod.securityContext?.runAsUser;
      if (nonRoot !== true) out.push(`${id(o)}: container ${c.name} may run as root (no runAsNonRoot: true)`);
      if (user === 0) out.push(`${id(o)}: container ${c.name} runs as user 0`);
      if (c.securityContext?.allowPrivilegeEscalation !== false)
        out.push(`${id(o)}: container ${c.name} allows privilege escalation`);
      if (c.securityContext?.privileged) out.push(`${id(o)}: container ${c.name} is privileged`);
    }
  }
  return out;
}

/** Every image names a version: a tag other than `latest`, or a digest. */
export function pinnedImages(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const pod = podSpec(o);
    if (!pod) continue;
    for (const c of allContainers(pod)) {
      const image = c.image ?? '';
      if (image.includes('@sha256:')) continue;
      const lastPart = image.split('/').pop() ?? '';
      const tag = lastPart.includes(':') ? lastPart.split(':').pop() : undefined;
      if (!tag) out.push(`${id(o)}: container ${c.name} image ${image || '(none)'} has no tag`);
      else if (tag === 'latest') out.push(`${id(o)}: container ${c.name} image ${image} is :latest`);
    }
  }
  return out;
}

/** Every container has CPU and memory requests and limits. */
export function resourceLimits(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects) {
    const pod = podSpec(o);
    if (!pod) continue;
    for (const c of allContainers(pod)) {
      for (const kind of ['requests', 'limits'] as const) {
        for (const r of ['cpu', 'memory']) {
          if (!c.resources?.[kind]?.[r]) out.push(`${id(o)}: container ${c.name} has no ${r} ${kind}`);
        }
      }
    }
  }
  return out;
}

/** Every Deployment's containers have liveness and readiness probes. */
export function probes(objects: K8sObject[]): string[] {
  const out: string[] = [];
  for (const o of objects.filter((x) => x.kind === 'Deployment')) {
    for (const c of podSpec(o)?.containers ?? []) {
      if (!c.livenessProbe) out.push(`${id(o)}: container ${c.name} has no livenessProbe`);
      if (!c.readinessProbe) out.push(`${id(o)}: container ${c.name} has no readinessProbe`);
    }
  }
  return out;
}

/** No Secret with values is rendered: secrets are created out of band or by the operators. */
export function noSecretValues(objects: K8sObject[]): string[] {
  return objects
    .filter(
      (o) =>
        o.kind === 'Secret' &&
        (Object.keys((o['data'] as object) ?? {}).length > 0 ||
          Object.keys((o['stringData'] as object) ?? {}).length > 0),
    )
    .map((o) => `${id(o)} carries values: secrets are never committed`);
}

/** Every metric a PrometheusRule reads that is Firstmile's (`firstmile_*`) is one the code exports. */
export function alertMetricsExist(objects: K8sObject[], exported: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const o of objects.filter((x) => x.kind === 'PrometheusRule')) {
    const groups = (o.spec as { groups: Array<{ rules: Array<{ alert?: string; expr: string }> }> }).groups;
    for (const rule of groups.flatMap((g) => g.rules)) {
      for (const [name] of rule.expr.matchAll(/\bfirstmile_[a-z0-9_]+/g)) {
        const base = name.replace(/_(bucket|count|sum)$/, '');
        if (!exported.has(base)) out.push(`alert ${rule.alert}: ${name} is not a metric the code exports`);
      }
    }
  }
  return out;
}
