/**
 * Preloaded before a service starts: `node --require <repo>/dist/libs/telemetry/src/register.js main.js`
 * (tools/dev/stack.mjs, infra/docker/Dockerfile). The SDK must patch http and mongodb before the
 * first `require` of either, which is why this cannot live in main.ts after the imports. It also
 * turns on the source maps of Firstmile's own code (source-maps.ts).
 * Configuration: OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER (otlp | zipkin | console | none),
 * OTEL_EXPORTER_OTLP_ENDPOINT, OTEL_EXPORTER_ZIPKIN_ENDPOINT, OTEL_BSP_SCHEDULE_DELAY, OTEL_SDK_DISABLED,
 * FIRSTMILE_TRACES_PER_SECOND (or OTEL_TRACES_SAMPLER), OTEL_NODE_RESOURCE_DETECTORS.
 */
// First: maps are read as modules load (source-maps.ts).
import './source-maps';
import cluster from 'node:cluster';
import { startTelemetry } from './lib/sdk';

// With REPLICAS > 1 the preloaded process is also the cluster's primary, which only forks and watches
// its workers: it has no request or event to trace. Each worker (a fork of the same command line)
// starts its own SDK here.
const replicasPrimary = cluster.isPrimary && Number(process.env['REPLICAS'] ?? 1) > 1;
if (!replicasPrimary) startTelemetry();
