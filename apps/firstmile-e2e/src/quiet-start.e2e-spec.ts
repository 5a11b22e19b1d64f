import * as fs from 'node:fs';
import * as path from 'node:path';
import { REPO_ROOT } from '@firstmile/testing';
import { logDirOf, requireTool, type Stack, startStack } from './stack';

/**
 * A quiet start (issue 20.4): the whole stack started the way `npm start` starts it, against a broker
 * and a store that have never seen a topic or a database, prints no error-level line — retriable
 * answers of a settling broker are not errors. Then the broker is restarted under the running
 * services: what they log meanwhile is at warn, each kind once, saying what they wait for.
 *
 * It needs a broker of its own (the run's shared one has seen other suites' topics and cannot be
 * restarted from here): embedded Kafka and FerretDB on the test ports + 10 (TEST_KAFKA_PORT,
 * TEST_KAFKA_CONTROLLER_PORT, TEST_MONGO_PORT), fresh data, stopped and deleted afterwards.
 */
interface Infra {
  kafkaBrokers: string;
  mongoUrl: string;
  stop(): Promise<void>;
  restart(name: 'kafka', opts: { signal: NodeJS.Signals; downMs: number }): Promise<void>;
}

interface LogLine {
  level: number;
  msg?: string;
  context?: string;
  [key: string]: unknown;
}

const ERROR = 50;
const WARN = 40;
const SERVICES = ['harvest-intake', 'grading', 'warehouse', 'order-routing', 'insights', 'console'] as const;

/** Every JSON line the stack's services wrote so far, with the service it came from. */
function readLogs(dir: string): Array<LogLine & { service: string; raw: string }> {
  return SERVICES.flatMap((service) => {
    const file = path.join(dir, `${service}.log`);
    if (!fs.existsSync(file)) return [];
    return fs
      .readFileSync(file, 'utf8')
      .split('\n')
      .filter((raw) => raw.trim() !== '')
      .map((raw) => {
        try {
          return { ...(JSON.parse(raw) as LogLine), service, raw };
        } catch {
          // Not pino's: something printed around the logger (stderr of node itself) — an error for this test.
          return { level: ERROR, msg: raw, service, raw };
        }
      });
  });
}

const show = (lines: Array<{ service: string; raw: string }>) =>
  lines.map((l) => `[${l.service}] ${l.raw.length > 300 ? `${l.raw.slice(0, 300)}…` : l.raw}`).join('\n');

/** A warn line's kind: its message without the names and numbers that differ between occurrences. */
const kindOf = (l: LogLine & { service: string }) =>
  `${l.service} ${String(l.msg ?? '')
    .replace(/"[^"]*"/g, '"…"')
    .replace(/\{.*\}/g, '{…}')
    .replace(/[\w.-]*\d[\w.:-]*/g, '#')}`;

describe('a quiet start: no error-level line on a fresh broker and store, warn once per kind over a broker restart', () => {
  const port = (name: string, fallback: number) => Number(process.env[name] ?? fallback) + 10;
  const runId = `q${Date.now().toString(36)}`;
  const dataDir = path.join(REPO_ROOT, '.cache', 'data', `quiet-${runId}`);
  let infra: Infra | undefined;
  let stack: Stack | undefined;
  let logDir: string;

  beforeAll(async () => {
    const { startEmbedded } = requireTool<{ startEmbedded(o: Record<string, unknown>): Promise<Infra> }>(
      'tools/infra/embedded.mjs',
    );
    infra = await startEmbedded({
      kafkaPort: port('TEST_KAFKA_PORT', 19092),
      controllerPort: port('TEST_KAFKA_CONTROLLER_PORT', 19093),
      mongoPort: port('TEST_MONGO_PORT', 27117),
      brokers: 1,
      dataDir,
      fresh: true,
      log: (line: string) => process.stderr.write(`${line}\n`),
    });
    logDir = logDirOf('quiet');
    fs.rmSync(logDir, { recursive: true, force: true });
    // As `npm start` runs them: info level, default retry delays; only the broker and store are ours.
    stack = await startStack('quiet', {
      KAFKA_BROKERS: infra.kafkaBrokers,
      MONGO_URL: infra.mongoUrl,
      KAFKA_TOPIC_PREFIX: '',
      MONGO_DB_PREFIX: '',
      LOG_LEVEL: 'info',
    });
  }, 300_000);

  afterAll(async () => {
    await stack?.stop();
    await infra?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('starts without an error-level line', async () => {
    // Ready means consumers joined; a few seconds more for what follows (first metrics, sweeps).
    await new Promise((r) => setTimeout(r, 5_000));
    const lines = readLogs(logDir);
    expect(lines.filter((l) => l.level >= 30).length).toBeGreaterThan(0); // the logs are where we read them
    const errors = lines.filter((l) => l.level >= ERROR);
    expect(show(errors)).toBe('');
  });

  it('logs a broker restart at warn, once per kind, saying what it waits for', async () => {
    if (!infra || !stack) throw new Error('the broker or the stack did not start');
    const before = readLogs(logDir).length;
    await infra.restart('kafka', { signal: 'SIGTERM', downMs: 5_000 });
    // Back to work: every service ready (its consumers joined again), then a moment to settle.
    await stack.ready(180_000);
    await new Promise((r) => setTimeout(r, 15_000));
    const during = readLogs(logDir).slice(before);
    const errors = during.filter((l) => l.level >= ERROR);
    expect(show(errors)).toBe('');
    const warns = during.filter((l) => l.level === WARN);
    // Once per kind: a kind said again within the minute is a repeat (a wait longer than a minute,
    // on a loaded box, may say it again, as libs/messaging promises).
    const lastAt = new Map<string, number>();
    const repeated: string[] = [];
    for (const w of [...warns].sort((a, b) => Number(a['time']) - Number(b['time']))) {
      const at = Number(w['time']);
      const last = lastAt.get(kindOf(w));
      if (last !== undefined && at - last < 55_000) repeated.push(`${kindOf(w)}\n  ${w.raw}`);
      lastAt.set(kindOf(w), at);
    }
    expect(repeated).toEqual([]);
    // Each says what is awaited (or what it does about it), not only what went wrong.
    const unexplained = warns.filter((w) => !/waiting|kafkajs (retries|rejoins|restarts)|again|reconnect/i.test(String(w.msg)));
    expect(show(unexplained)).toBe('');
  }, 300_000);
});
