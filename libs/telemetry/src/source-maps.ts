import { setSourceMapsSupport } from 'node:module';

/**
 * Stack traces name the TypeScript source of Firstmile's own code (`dist/**.js` → `*.ts`), and only
 * of it: `--enable-source-maps` also read and kept the source map of every package that ships one
 * (rxjs, Nest, the OpenTelemetry SDK, the driver…), ~15 MiB of each service's memory at rest and
 * ~100 MiB over the stack (docs/benchmarks.md, step 19). A package's frames keep its published
 * JavaScript, which is what its own issues and docs quote. Started with `--enable-source-maps`, a
 * process keeps every map: asked for, so left alone.
 *
 * Preloaded first (register.ts): a module compiled before this call gets no map.
 */
if (!process.sourceMapsEnabled) setSourceMapsSupport(true, { nodeModules: false, generatedCode: false });
