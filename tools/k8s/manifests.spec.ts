import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { ALL_TOPICS, deadLetterTopic, retryTopic } from '@firstmile/contracts';
import { KafkaEnv } from '@firstmile/messaging';
import {
  alertMetricsExist,
  type K8sObject,
  noRoot,
  noSecretValues,
  pinnedImages,
  podSpec,
  probes,
  resourceLimits,
} from './policy';

/**
 * The rendered manifests (infra/k8s/rendered, kept equal to the sources by `npm run test:k8s`, which also checks
 * them against the Kubernetes and operators' schemas) against the policies that matter here.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const RENDERED = path.join(ROOT, 'infra', 'k8s', 'rendered');
const renders = fs.readdirSync(RENDERED).filter((f) => f.endsWith('.yaml'));

/** Metric names the code registers: `counter(`, `gauge(`, `histogram(` with a literal `firstmile_*` name. */
function exportedMetrics(): Set<string> {
  const names = new Set<string>();
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec|chaos-spec)\.ts$/.test(e.name)) {
        for (const m of fs
          .readFileSync(p, 'utf8')
          .matchAll(/\b(?:counter|gauge|histogram)\(\s*'(firstmile_[a-z0-9_]+)'/g))
          names.add(m[1]);
      }
    }
  };
  for (const top of ['apps', 'libs']) {
    for (const project of fs.readdirSync(path.join(ROOT, top))) {
      const src = path.join(ROOT, top, project, 'src');
      if (fs.existsSync(src)) walk(src);
    }
  }
  return names;
}

const deployment = (
  over: Partial<Record<string, unknown>> = {},
  container: Record<string, unknown> = {},
): K8sObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'x' },
  spec: {
    template: {
      spec: {
        securityContext: { runAsNonRoot: true },
        containers: [
          {
            name: 'x',
            image: 'firstmile/x:1.0.0',
            resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '1', memory: '1Gi' } },
            securityContext: { allowPrivilegeEscalation: false },
            livenessProbe: { httpGet: { path: '/health/live' } },
            readinessProbe: { httpGet: { path: '/health/ready' } },
            ...container,
          },
        ],
        ...over,
      },
    },
  },
});

describe('the policy checks catch what they are for', () => {
  it('accepts a compliant Deployment', () => {
    const ok = [deployment()];
    expect([...noRoot(ok), ...pinnedImages(ok), ...resourceLimits(ok), ...probes(ok)]).toEqual([]);
  });

  it('root: no runAsNonRoot, user 0, privilege escalation', () => {
    expect(noRoot([deployment({ securityContext: {} })])).toEqual([
      'Deployment x: container x may run as root (no runAsNonRoot: true)',
    ]);
    expect(
      noRoot([deployment({}, { securityContext: { allowPrivilegeEscalation: false, runAsUser: 0 } })]),
    ).toEqual(['Deployment x: container x runs as user 0']);
    expect(noRoot([deployment({}, { securityContext: {} })])).toEqual([
      'Deployment x: container x allows privilege escalation',
    ]);
  });

  it('images: latest, no tag; a registry port is not a tag; a digest is a pin', () => {
    expect(pinnedImages([deployment({}, { image: 'firstmile/x:latest' })])).toEqual([
      'Deployment x: container x image firstmile/x:latest is :latest',
    ]);
    expect(pinnedImages([deployment({}, { image: 'registry:5000/firstmile/x' })])).toEqual([
      'Deployment x: container x image registry:5000/firstmile/x has no tag',
    ]);
    expect(pinnedImages([deployment({}, { image: `firstmile/x@sha256:${'0'.repeat(64)}` })])).toEqual([]);
  });

  it('limits and probes', () => {
    expect(
      resourceLimits([
        deployment({}, { resources: { requests: { cpu: '1', memory: '1Gi' }, limits: { memory: '1Gi' } } }),
      ]),
    ).toEqual(['Deployment x: container x has no cpu limits']);
    expect(probes([deployment({}, { livenessProbe: undefined })])).toEqual([
      'Deployment x: container x has no livenessProbe',
    ]);
  });

  it('secrets with values, and alerts on metrics nobody exports', () => {
    expect(
      noSecretValues([{ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, stringData: { k: 'v' } }]),
    ).toHaveLength(1);
    const rule: K8sObject = {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name: 'r' },
      spec: { groups: [{ rules: [{ alert: 'A', expr: 'firstmile_consumer_lags > 1' }] }] },
    };
    expect(alertMetricsExist([rule], new Set(['firstmile_consumer_lag']))).toEqual([
      'alert A: firstmile_consumer_lags is not a metric the code exports',
    ]);
  });
});

describe.each(renders)('infra/k8s/rendered/%s', (file) => {
  const objects = YAML.parseAllDocuments(fs.readFileSync(path.join(RENDERED, file), 'utf8')).map(
    (d) => d.toJS() as K8sObject,
  );
  const of = (kind: string) => objects.filter((o) => o.kind === kind);
  const named = (kind: string, name: string) =>
    objects.find((o) => o.kind === kind && o.metadata.name === name);
  const firstmile = of('Deployment').filter((d) =>
    ['service', 'console'].includes(d.metadata.labels?.['app.kubernetes.io/component'] ?? ''),
  );
  const topicPartitions = new Map(
    of('KafkaTopic').map((t) => [t.metadata.name, (t.spec as { partitions: number }).partitions]),
  );

  it('runs no container as root, pins every image, limits every container, probes every Deployment', () => {
    expect(noRoot(objects)).toEqual([]);
    expect(pinnedImages(objects)).toEqual([]);
    expect(resourceLimits(objects)).toEqual([]);
    expect(probes(objects)).toEqual([]);
    expect(noSecretValues(objects)).toEqual([]);
  });

  it('has every Firstmile process: five services and the console, each ≥ 2 replicas, spread, with a disruption budget', () => {
    expect(firstmile.map((d) => d.metadata.name).sort()).toEqual([
      'console',
      'grading',
      'harvest-intake',
      'insights',
      'order-routing',
      'warehouse',
    ]);
    for (const d of firstmile) {
      const spec = d.spec as { replicas: number; selector: { matchLabels: Record<string, string> } };
      expect({ name: d.metadata.name, replicas: spec.replicas >= 2 }).toEqual({
        name: d.metadata.name,
        replicas: true,
      });
      expect(podSpec(d)?.topologySpreadConstraints?.length).toBeGreaterThan(0);
      const pdb = of('PodDisruptionBudget').find(
        (p) =>
          JSON.stringify((p.spec as { selector: { matchLabels: unknown } }).selector.matchLabels) ===
          JSON.stringify(spec.selector.matchLabels),
      );
      expect(pdb?.metadata.name).toBe(d.metadata.name);
      const [c] = podSpec(d)?.containers ?? [];
      expect([c.livenessProbe?.httpGet?.path, c.readinessProbe?.httpGet?.path]).toEqual([
        '/health/live',
        '/health/ready',
      ]);
    }
  });

  it('has a KafkaTopic for every topic, its retry levels and its dead letters: RF 3, min ISR 2', () => {
    const levels = new KafkaEnv().KAFKA_RETRY_DELAYS_MS.split(',').length;
    const wanted = ALL_TOPICS.flatMap((t) => [
      t,
      ...Array.from({ length: levels }, (_, i) => retryTopic(t, i + 1)),
      deadLetterTopic(t),
    ]);
    expect([...topicPartitions.keys()].sort()).toEqual([...wanted].sort());
    for (const t of of('KafkaTopic')) {
      const spec = t.spec as { replicas: number; config: Record<string, unknown> };
      expect({
        topic: t.metadata.name,
        replicas: spec.replicas,
        minIsr: spec.config['min.insync.replicas'],
      }).toEqual({ topic: t.metadata.name, replicas: 3, minIsr: 2 });
    }
  });

  it('runs Kafka on KRaft with 3 brokers, RF 3, min ISR 2, no auto-created topics', () => {
    const brokers = of('KafkaNodePool')
      .filter((p) => (p.spec as { roles: string[] }).roles.includes('broker'))
      .reduce((n, p) => n + (p.spec as { replicas: number }).replicas, 0);
    const controllers = of('KafkaNodePool').filter((p) =>
      (p.spec as { roles: string[] }).roles.includes('controller'),
    );
    expect(brokers).toBe(3);
    expect(controllers.length).toBeGreaterThan(0);
    const [kafka] = of('Kafka');
    const config = (kafka.spec as { kafka: { config: Record<string, unknown> } }).kafka.config;
    expect(config).toMatchObject({
      'default.replication.factor': 3,
      'min.insync.replicas': 2,
      'auto.create.topics.enable': false,
    });
  });

  it('scales each consumer on the lag of its own groups, up to the partition count, with ACLs that cover them', () => {
    const scaled = of('ScaledObject');
    expect(scaled.map((s) => s.metadata.name).sort()).toEqual([
      'grading',
      'harvest-intake',
      'insights',
      'order-routing',
      'warehouse',
    ]);
    for (const s of scaled) {
      const spec = s.spec as {
        scaleTargetRef: { name: string };
        minReplicaCount: number;
        maxReplicaCount: number;
        triggers: Array<{ type: string; metadata: Record<string, string> }>;
      };
      const service = spec.scaleTargetRef.name;
      const topics = spec.triggers.map((t) => t.metadata['topic']);
      for (const t of spec.triggers) {
        expect(t.type).toBe('kafka');
        expect(t.metadata['consumerGroup']).toBe(`${service}.${t.metadata['topic']}`); // libs/messaging's group names
        expect(topicPartitions.has(t.metadata['topic'])).toBe(true);
      }
      expect(spec.minReplicaCount).toBeGreaterThanOrEqual(2);
      expect(spec.maxReplicaCount).toBe(Math.max(...topics.map((t) => topicPartitions.get(t) ?? 0)));
      const acls = (
        named('KafkaUser', service)?.spec as {
          authorization: {
            acls: Array<{
              resource: { type: string; name: string; patternType: string };
              operations: string[];
            }>;
          };
        }
      ).authorization.acls;
      expect(acls).toContainEqual({
        resource: { type: 'group', name: `${service}.`, patternType: 'prefix' },
        operations: ['Read', 'Describe'],
      });
      for (const t of topics) {
        expect(acls.find((a) => a.resource.type === 'topic' && a.resource.name === t)?.operations).toContain(
          'Read',
        );
        expect(
          acls.find(
            (a) =>
              a.resource.type === 'topic' &&
              a.resource.name === `${t}.` &&
              a.resource.patternType === 'prefix',
          )?.operations,
        ).toEqual(['Read', 'Write', 'Describe']);
      }
    }
  });

  it('gives each service a MongoDB user of a 3-member SCRAM replica set, with readWrite on its own database only', () => {
    const [mongo] = of('MongoDBCommunity');
    const spec = mongo.spec as {
      members: number;
      security: { authentication: { modes: string[] } };
      users: Array<{
        name: string;
        roles: Array<{ name: string; db: string }>;
        connectionStringSecretName: string;
      }>;
    };
    expect(spec.members).toBe(3);
    expect(spec.security.authentication.modes).toEqual(['SCRAM']);
    for (const d of firstmile) {
      const mongoUrl = (
        podSpec(d)?.containers[0] as unknown as {
          env: Array<{ name: string; valueFrom?: { secretKeyRef: { name: string } } }>;
        }
      ).env.find((e) => e.name === 'MONGO_URL');
      if (!mongoUrl) continue; // the console owns no data
      const user = spec.users.find(
        (u) => u.connectionStringSecretName === mongoUrl.valueFrom?.secretKeyRef.name,
      );
      expect(user?.name).toBe(d.metadata.name);
      expect(user?.roles).toHaveLength(1);
      expect(user?.roles[0]).toMatchObject({
        name: 'readWrite',
        db: expect.stringMatching(/^firstmile_[a-z]+$/),
      });
    }
  });

  it('alerts on lag, outbox backlog and dead letters, with metrics the code exports', () => {
    const exported = exportedMetrics();
    expect([...exported]).toEqual(
      expect.arrayContaining([
        'firstmile_consumer_lag',
        'firstmile_outbox_backlog',
        'firstmile_events_dead_lettered_total',
      ]),
    );
    expect(alertMetricsExist(objects, exported)).toEqual([]);
    const exprs = of('PrometheusRule').flatMap((r) =>
      (r.spec as { groups: Array<{ rules: Array<{ expr: string }> }> }).groups.flatMap((g) =>
        g.rules.map((x) => x.expr),
      ),
    );
    for (const metric of [
      'firstmile_consumer_lag',
      'firstmile_outbox_backlog',
      'firstmile_events_dead_lettered_total',
    ]) {
      expect(exprs.some((e) => e.includes(metric))).toBe(true);
    }
  });
});
