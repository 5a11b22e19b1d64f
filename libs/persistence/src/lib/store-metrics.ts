import type { Connection, mongo } from 'mongoose';
import { histogram } from '@firstmile/telemetry';

/** Round trips to the store, so a benchmark (or an operator) can count what one unit of work costs. */
const storeCommands = () =>
  histogram(
    'firstmile_store_command_duration_seconds',
    'Commands sent to the service\'s database, by collection and command, from the driver\'s command monitoring.',
    ['collection', 'command', 'outcome'] as const,
    [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
  );

/** Commands whose first field names a collection; the rest (hello, ping, endSessions…) are not counted. */
const COUNTED = new Set(['find', 'insert', 'update', 'delete', 'findAndModify', 'aggregate', 'count', 'distinct', 'getMore']);

/** Observes every command of the connection's client (which needs `monitorCommands: true`). */
export function instrumentStoreCommands(connection: Connection): Connection {
  const client = connection.getClient();
  const collections = new Map<number, string>();
  client.on('commandStarted', (e: mongo.CommandStartedEvent) => {
    if (!COUNTED.has(e.commandName)) return;
    const target = e.commandName === 'getMore' ? e.command['collection'] : e.command[e.commandName];
    collections.set(e.requestId, typeof target === 'string' ? target : '?');
  });
  const done = (outcome: 'ok' | 'error') => (e: mongo.CommandSucceededEvent | mongo.CommandFailedEvent) => {
    const collection = collections.get(e.requestId);
    if (collection === undefined) return;
    collections.delete(e.requestId);
    storeCommands().observe({ collection, command: e.commandName, outcome }, e.duration / 1000);
  };
  client.on('commandSucceeded', done('ok'));
  client.on('commandFailed', done('error'));
  return connection;
}
