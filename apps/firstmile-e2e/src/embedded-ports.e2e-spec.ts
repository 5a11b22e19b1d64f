import * as net from 'node:net';
import { requireTool } from './stack';

/**
 * The embedded infrastructure's port check (tools/infra/embedded.mjs): a port something listens on
 * is refused at once; a port that is only a connection's local end is waited for. The chaos suite's
 * 3-broker run met the second right after the main run: a FerretDB client of that run had been
 * given the broker's port as its own, and left it in TIME_WAIT for a minute.
 */
const { assertPortFree } = requireTool<{
  assertPortFree(port: number, what: string, envVar: string, log: (line: string) => void): Promise<void>;
}>('tools/infra/embedded.mjs');

const listen = (server: net.Server) =>
  new Promise<number>((resolve) => server.listen({ port: 0, host: '127.0.0.1' }, () => resolve((server.address() as net.AddressInfo).port)));

describe('embedded infrastructure: whether a port is free', () => {
  it('refuses a port something listens on, at once', async () => {
    const server = net.createServer();
    const port = await listen(server);
    try {
      const lines: string[] = [];
      await expect(assertPortFree(port, 'Kafka broker', 'KAFKA_PORT', (l) => lines.push(l))).rejects.toThrow(/already in use/);
      expect(lines).toEqual([]);
    } finally {
      server.close();
    }
  });

  it('waits for a port that is a connection\'s local end, and goes on once it is released', async () => {
    const server = net.createServer();
    const accepted = new Promise<net.Socket>((resolve) => server.once('connection', resolve));
    const client = net.connect({ port: await listen(server), host: '127.0.0.1' });
    client.on('end', () => client.end());
    await new Promise((resolve) => client.once('connect', resolve));
    const port = client.localPort as number;
    const theirs = await accepted;

    try {
      const lines: string[] = [];
      const check = assertPortFree(port, 'Kafka broker', 'KAFKA_PORT', (l) => lines.push(l));
      // Closed from the server's side first: the TIME_WAIT is the server's, and the client's port is free.
      setTimeout(() => theirs.end(), 1500);
      await expect(check).resolves.toBeUndefined();
      expect(lines).toEqual([expect.stringContaining(`port ${port} (Kafka broker) is a connection's local end`)]);
    } finally {
      theirs.destroy();
      client.destroy();
      server.close();
    }
  });
});
