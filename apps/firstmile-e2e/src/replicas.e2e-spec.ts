import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { type Admin, AssignerProtocol, Kafka, logLevel } from 'kafkajs';
import { type RunEnv, token, waitFor } from '@firstmile/testing';
import { logDirOf, type Stack, startStack } from './stack';

/**
 * REPLICAS=2, end to end: warehouse as a primary with two workers on its one port (the way
 * `REPLICAS=2 npm start` runs every service). Both workers are members of every consumer group of
 * the service and hold partitions; both answer HTTP requests; one scrape of /metrics counts what
 * both did; and a worker that is killed is started again by the primary, which says so.
 */
const STACK = 'replicas';
const SERVICE = 'warehouse';
const REQUESTS = 40;
/** The groups warehouse's consumers form (`<service>.<topic>`, `<service>.retry.<n>`), less the service prefix. */
const GROUPS = ['warehouse.commands', 'grading.lots', 'retry.1', 'retry.2'];

interface Ready {
  details: { replicas: { wanted: number; listening: number; restarts: number } };
}

/** One GET on a connection of its own: the cluster's primary hands each new connection to the next worker. */
function getOnNewConnection(
  url: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false, headers: { ...headers, connection: 'close' } }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('REPLICAS=2: two workers of one service on one port', () => {
  const run = process.env as unknown as RunEnv;
  const groupPrefix = `${run.KAFKA_TOPIC_PREFIX}${STACK}.${SERVICE}.`;
  let stack: Stack;
  let admin: Admin;

  beforeAll(async () => {
    stack = await startStack(STACK, { REPLICAS: '2', LOG_LEVEL: 'info' }, { only: [SERVICE] });
    admin = new Kafka({
      clientId: 'replicas-e2e',
      brokers: run.KAFKA_BROKERS.split(','),
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
  }, 180_000);

  afterAll(async () => {
    await admin?.disconnect();
    await stack?.stop();
  });

  /**
   * Every group of the service (the main ones, one per topic read, and one per retry level), once each
   * is stable with two members: member → the partitions it was given, per topic. After a kill the
   * broker keeps the dead member until its session times out and a rebalance completes without it,
   * which a loaded machine stretches: the wait is generous, and the test's timeout above both waits.
   */
  async function groups(): Promise<Map<string, Array<Record<string, number[]>>>> {
    return waitFor(
      async () => {
        const ids = (await admin.listGroups()).groups
          .map((g) => g.groupId)
          .filter((g) => g.startsWith(groupPrefix));
        if (!GROUPS.every((g) => ids.includes(`${groupPrefix}${g}`))) return undefined;
        const described = await admin.describeGroups(ids);
        if (described.groups.some((g) => g.state !== 'Stable' || g.members.length !== 2)) return undefined;
        return new Map(
          described.groups.map((g) => [
            g.groupId.slice(groupPrefix.length),
            g.members.map(
              (m) => AssignerProtocol.MemberAssignment.decode(m.memberAssignment)?.assignment ?? {},
            ),
          ]),
        );
      },
      { timeoutMs: 120_000, what: `every ${SERVICE} group stable with two members` },
    );
  }

  it('runs two workers, each a member of every consumer group of the service with partitions of its own', async () => {
    expect(stack.workers(SERVICE)).toHaveLength(2);
    const ready = await getOnNewConnection(stack.url(SERVICE, '/health/ready'), {});
    expect((JSON.parse(ready.body) as Ready).details.replicas).toEqual({
      wanted: 2,
      listening: 2,
      restarts: 0,
      status: 'up',
    });

    const byGroup = await groups();
    // The main groups (one per topic read) and one per retry level.
    expect([...byGroup.keys()].sort()).toEqual([...GROUPS].sort());
    for (const [group, members] of byGroup) {
      const partitions = members.map((m) => Object.values(m).flat());
      // Both members hold partitions, and no partition is held twice.
      expect({ group, each: partitions.map((p) => p.length > 0) }).toEqual({ group, each: [true, true] });
      const all = members.flatMap((m) => Object.entries(m).flatMap(([t, ps]) => ps.map((p) => `${t}/${p}`)));
      expect(new Set(all).size).toBe(all.length);
    }
  });

  it('answers requests from both workers, and one scrape of /metrics counts what both served', async () => {
    const runTag = `replicas-${Date.now().toString(36)}`;
    const auth = { authorization: `Bearer ${token({ role: 'ops' })}` };
    for (let i = 0; i < REQUESTS; i++) {
      const res = await getOnNewConnection(stack.url(SERVICE, '/v1/warehouses'), {
        ...auth,
        'x-request-id': `${runTag}-${i}`,
      });
      expect(res.status).toBe(200);
    }

    // Who answered, from the request log lines (each carries its worker's number).
    const served = await waitFor(
      () => {
        const lines = fs.readFileSync(path.join(logDirOf(STACK), `${SERVICE}.log`), 'utf8').split('\n');
        const byReplica: Record<string, number> = {};
        for (const line of lines.filter(
          (l) => l.includes(`"id":"${runTag}-`) && l.includes('"responseTime"'),
        )) {
          const replica = String((JSON.parse(line) as { replica?: number }).replica);
          byReplica[replica] = (byReplica[replica] ?? 0) + 1;
        }
        return Object.values(byReplica).reduce((a, b) => a + b, 0) === REQUESTS ? byReplica : undefined;
      },
      { timeoutMs: 10_000, what: 'every request logged' },
    );
    expect(Object.keys(served).sort()).toEqual(['1', '2']);
    expect(Object.values(served).every((n) => n > 0 && n < REQUESTS)).toBe(true);

    const metrics = await getOnNewConnection(stack.url(SERVICE, '/metrics'), {});
    expect(metrics.status).toBe(200);
    const count =
      /^http_request_duration_seconds_count\{[^}]*route="\/v1\/warehouses"[^}]*status_code="200"[^}]*\} (\d+)$/m.exec(
        metrics.body,
      );
    // Whichever worker answered the scrape, it counts both workers' requests.
    expect({ served, counted: Number(count?.[1]) }).toEqual({ served, counted: REQUESTS });
    // Gauges read from the broker are the group's, not summed over the workers.
    expect(metrics.body).toMatch(/^firstmile_consumer_lag\{group="[^"]*warehouse\.commands"/m);
  });

  it('starts a killed worker again, which joins the groups again', async () => {
    const [killed] = await stack.killWorkers(SERVICE, { count: 1 });
    await stack.ready(120_000);
    // A readiness answer is cached for READY_CACHE_MS and may predate the kill: wait for one that
    // counts the replacement, and for the replacement among the primary's children.
    const replicas = await waitFor(
      async () => {
        const ready = await getOnNewConnection(stack.url(SERVICE, '/health/ready'), {});
        const r = (JSON.parse(ready.body) as Ready).details.replicas;
        return r.restarts === 1 && r.listening === 2 && stack.workers(SERVICE).length === 2 ? r : undefined;
      },
      { what: 'the killed worker replaced and listening', timeoutMs: 60_000 },
    );
    expect(replicas).toMatchObject({ wanted: 2, listening: 2, restarts: 1 });
    expect(stack.workers(SERVICE)).not.toContain(killed);
    const byGroup = await groups();
    expect(byGroup.size).toBe(GROUPS.length);
    for (const [group, members] of byGroup)
      expect({ group, each: members.map((m) => Object.values(m).flat().length > 0) }).toEqual({
        group,
        each: [true, true],
      });
    // The primary said what happened, at warn (echoed by `npm start`).
    const log = fs.readFileSync(path.join(logDirOf(STACK), `${SERVICE}.log`), 'utf8');
    expect(log).toMatch(
      new RegExp(
        `"level":40[^\\n]*"role":"primary"[^\\n]*pid ${killed}\\) exited \\(SIGKILL\\)[^\\n]*starting it again`,
      ),
    );
  }, 300_000);
});
