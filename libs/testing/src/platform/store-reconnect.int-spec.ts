import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient } from 'mongodb';
import { runEnv } from '../lib/infra';

/** The parts of the driver's server monitor this test reaches into (mongodb 6, `lib/sdam/monitor.js`). */
interface MonitorInternals {
  s: { state: string };
  connection: { socket: { destroy(): void } } | null;
  requestCheck(): void;
}

function monitorOf(client: MongoClient): MonitorInternals {
  const topology = (client as unknown as { topology: { s: { servers: Map<string, { monitor: MonitorInternals }> } } }).topology;
  const [server] = topology.s.servers.values();
  if (!server) throw new Error('the client knows no server');
  return server.monitor;
}

/**
 * The driver's monitor must get the store back after an outage (docs/runbook.md, defect 5).
 *
 * When the store stops, the monitor's socket can be destroyed a moment before the connection hears
 * its `close`. mongodb 6.20 (and 7.8) then writes the heartbeat onto the destroyed socket: the
 * write is dropped, no `drain` ever comes, and the heartbeat never settles. The monitor stays in
 * `monitoring` for good, ignores every request to check again, and once the server is marked
 * unknown every server selection fails until the process restarts. It was seen in the chaos suite's
 * 90 s store outage, once in two runs. `patches/mongodb+6.20.0.patch` fails the write at once.
 */
describe('store client: the server monitor after its socket is destroyed', () => {
  let client: MongoClient;

  beforeAll(async () => {
    // No periodic heartbeat during the test: every check is the one the test asks for.
    client = await MongoClient.connect(runEnv('MONGO_URL'), { heartbeatFrequencyMS: 60_000, serverSelectionTimeoutMS: 5_000 });
  });

  afterAll(() => client.close());

  it('fails the heartbeat sent on a destroyed socket, then reconnects', async () => {
    const monitor = monitorOf(client);
    // A check is taken at once only 500 ms (minHeartbeatFrequencyMS) after the last one.
    await sleep(600);
    expect(monitor.s.state).toBe('idle');
    const outcome = new Promise<string>((resolve) => {
      client.once('serverHeartbeatFailed', () => resolve('failed'));
      client.once('serverHeartbeatSucceeded', () => resolve('succeeded'));
    });

    // The socket goes before the connection hears of it (its `close` comes on the next tick), and
    // the heartbeat is sent in between, as when the store closed the socket under a heartbeat.
    monitor.connection?.socket.destroy();
    monitor.requestCheck();

    expect(await Promise.race([outcome, sleep(3_000, 'never settled', { ref: false })])).toBe('failed');
    // The server is unknown now; the next command makes the monitor connect again.
    const reconnected = new Promise<void>((resolve) => client.once('serverHeartbeatSucceeded', () => resolve()));
    await expect(client.db('admin').command({ ping: 1 })).resolves.toMatchObject({ ok: 1 });
    await reconnected;
    expect(monitor.s.state).toBe('idle');
  });
});
