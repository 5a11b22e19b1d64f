// @ts-check
/**
 * The chaos suite (`npm run test:chaos`, `nx run firstmile-e2e:chaos`): `*.chaos-spec.ts` under
 * apps/firstmile-e2e/src/chaos. It starts its own embedded Kafka and FerretDB (ports 39092/39093 and
 * 27317, CHAOS_KAFKA_PORT / CHAOS_KAFKA_CONTROLLER_PORT / CHAOS_MONGO_PORT to move them), because it
 * kills them: no global setup, and it never touches a broker or store given in KAFKA_BROKERS/MONGO_URL.
 * KAFKA_BROKERS_COUNT=3 makes that broker a 3-node cluster (ports +2 and +4 as well; leader.chaos-spec.ts always
 * starts one). CHAOS_REPLICAS=2 runs every service as two workers on its port and kills replicas too.
 * E2E_PORT_OFFSET moves the services' ports (default 10000 + 100 per stack).
 * @type {import('jest').Config}
 */
module.exports = {
  ...require('./jest.shared'),
  displayName: 'chaos',
  testMatch: ['<rootDir>/apps/firstmile-e2e/**/*.chaos-spec.ts'],
  testTimeout: 600_000,
  maxWorkers: 1,
};
