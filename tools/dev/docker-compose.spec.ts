import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

/**
 * docker-compose.yml as `docker compose config` would resolve it (Docker is not available to the
 * tests): `${VAR}`, `${VAR:-default}` and `${VAR:?message}` interpolated from an env file, YAML merge
 * keys applied. Issue 22.2: MongoDB (no auth), Kafka (PLAINTEXT), Jaeger and the services were
 * published on every interface.
 */
const ROOT = path.resolve(__dirname, '..', '..');
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), 'utf8');

function interpolate(text: string, env: Record<string, string>): string {
  return text.replace(/\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g, (_, name: string, op: string | undefined, arg: string) => {
    const value = env[name];
    const missing = op?.startsWith(':') ? !value : value === undefined;
    if (op?.endsWith('?') && missing) throw new Error(`required variable ${name} is missing a value: ${arg}`);
    if (op?.endsWith('-') && missing) return arg;
    return value ?? '';
  });
}

function envFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => /^\w+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
}

interface Service {
  image?: string;
  ports?: Array<string | { host_ip?: string; published?: string | number; target: number }>;
  environment?: Record<string, string | number>;
  volumes?: string[];
  entrypoint?: string[];
}

const example = envFile(read('.env.example'));
/** Every value of the example filled in, as an operator would. */
const filled = Object.fromEntries(Object.keys(example).map((k) => [k, example[k] || `${k.toLowerCase().replace(/_/g, '')}0123456789`]));
const compose = (env: Record<string, string>) => parse(interpolate(read('docker-compose.yml'), env), { merge: true }) as { services: Record<string, Service> };

const INFRA = ['kafka', 'mongo', 'jaeger'];
/** Web fronts: no store, no broker, only the services' public APIs and the token settings. */
const FRONTS = ['console'];
const APPS: Record<string, { database: string; kafkaUser: string }> = {
  'harvest-intake': { database: 'harvest', kafkaUser: 'harvest-intake' },
  grading: { database: 'grading', kafkaUser: 'grading' },
  warehouse: { database: 'warehouse', kafkaUser: 'warehouse' },
  'order-routing': { database: 'orders', kafkaUser: 'order-routing' },
  insights: { database: 'insights', kafkaUser: 'insights' },
};

describe('docker-compose.yml (issue 22.2)', () => {
  const { services } = compose(filled);

  it('refuses to resolve without the secrets: the committed example holds none', () => {
    expect(() => compose(example)).toThrow(/required variable \w+ is missing a value/);
    for (const [k, v] of Object.entries(example)) {
      if (/PASSWORD|SECRET|CLUSTER_ID/.test(k)) expect([k, v]).toEqual([k, '']);
    }
    // .env is the operator's, never committed.
    expect(read('.gitignore').split('\n')).toContain('.env');
  });

  it('publishes nothing beyond 127.0.0.1, infrastructure or service', () => {
    expect(Object.keys(services).sort()).toEqual([...INFRA, ...FRONTS, ...Object.keys(APPS)].sort());
    for (const [name, s] of Object.entries(services)) {
      for (const p of s.ports ?? []) {
        const hostIp = typeof p === 'string' ? (p.split(':').length === 3 ? p.split(':')[0] : undefined) : p.host_ip;
        expect([name, p, hostIp]).toEqual([name, p, '127.0.0.1']);
      }
    }
    // Jaeger's collector is for the services on the compose network only.
    expect(services['jaeger'].ports).toEqual(['127.0.0.1:16686:16686']);
  });

  it('turns MongoDB authentication on and gives each service a user of its own database only', () => {
    const mongo = services['mongo'];
    expect(mongo.environment).toMatchObject({ MONGO_INITDB_ROOT_USERNAME: filled['MONGO_ROOT_USERNAME'], MONGO_INITDB_ROOT_PASSWORD: filled['MONGO_ROOT_PASSWORD'] });
    expect(mongo.volumes).toContain('./infra/docker/mongo-users.js:/docker-entrypoint-initdb.d/firstmile-users.js:ro');
    const script = read('infra/docker/mongo-users.js');
    expect(script).toMatch(/roles: \[\{ role: 'readWrite', db: `firstmile_\$\{name\}` \}\]/);
    const users = new Set<string>();
    for (const [app, { database }] of Object.entries(APPS)) {
      const variable = `MONGO_${database.toUpperCase()}_PASSWORD`;
      expect(script).toContain(`${database}: '${variable}'`);
      expect(mongo.environment?.[variable]).toBe(filled[variable]);
      const url = new URL(String(services[app].environment?.['MONGO_URL']));
      expect([app, url.username, url.password, url.searchParams.get('authSource')]).toEqual([app, `firstmile_${database}`, filled[variable], 'admin']);
      users.add(url.username);
      // The service really uses that database (ServiceModule's `database`).
      expect(read(`apps/${app}/src/app.module.ts`)).toContain(`database: '${database}'`);
    }
    expect(users.size).toBe(Object.keys(APPS).length);
  });

  it('lets only SASL/SCRAM clients into Kafka, one user per service', () => {
    const kafka = services['kafka'];
    expect(kafka.entrypoint).toEqual(['/bin/sh', '/firstmile/kafka-start.sh']);
    expect(kafka.volumes).toContain('./infra/docker/kafka-start.sh:/firstmile/kafka-start.sh:ro');
    const script = read('infra/docker/kafka-start.sh');
    const property = (key: string) => new RegExp(`^${key.replace(/\./g, '\\.')}=(.*)$`, 'm').exec(script)?.[1];
    const protocols = Object.fromEntries((property('listener.security.protocol.map') ?? '').split(',').map((e) => e.split(':')));
    const listeners = (property('listeners') ?? '').split(',');
    for (const l of listeners) {
      const [name, address] = l.split('://');
      // Only the controller speaks PLAINTEXT, and only on the container's loopback.
      if (protocols[name] === 'PLAINTEXT') expect([l, address.startsWith('localhost:')]).toEqual([l, true]);
      else expect([l, protocols[name]]).toEqual([l, 'SASL_PLAINTEXT']);
    }
    expect(property('sasl.enabled.mechanisms')).toBe('SCRAM-SHA-512');
    const kafkaUsers = new Set<string>();
    for (const [app, { kafkaUser }] of Object.entries(APPS)) {
      const variable = `KAFKA_${app.toUpperCase().replace(/-/g, '_')}_PASSWORD`;
      const env = services[app].environment ?? {};
      expect([app, env['KAFKA_SASL_MECHANISM'], env['KAFKA_SASL_USERNAME'], env['KAFKA_SASL_PASSWORD']]).toEqual([app, 'scram-sha-512', kafkaUser, filled[variable]]);
      expect(kafka.environment?.[variable]).toBe(filled[variable]);
      expect(script).toContain(`--add-scram "$(scram ${kafkaUser} "$${variable}")"`);
      kafkaUsers.add(kafkaUser);
    }
    expect(kafkaUsers.size).toBe(Object.keys(APPS).length);
  });

  it('hands every service the token settings, and no development secret', () => {
    for (const app of [...Object.keys(APPS), ...FRONTS]) {
      expect(services[app].environment).toMatchObject({ AUTH_JWT_SECRET: filled['AUTH_JWT_SECRET'] });
    }
    expect(read('docker-compose.yml')).not.toContain('firstmile-dev-secret');
    expect(read('infra/docker/Dockerfile')).toMatch(/NODE_ENV=production/);
  });
});
