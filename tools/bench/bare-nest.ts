/**
 * The HTTP baseline: NestJS on Fastify with nothing of Firstmile in it (no auth, no validation,
 * no store, no logging). Run as its own process by the benchmark so the load generator does not
 * share its event loop; prints `listening <port>` once it accepts connections.
 *
 *   npx ts-node --swc tools/bench/bare-nest.ts   (PORT, default 0 = any free port)
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { Body, Controller, Get, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';

let created = 0;

@Controller()
class BareController {
  @Get('ping')
  ping() {
    return { ok: true };
  }

  /** Parses a JSON body and answers 201 with it and an id: the shape of a creating POST, minus everything Firstmile adds. */
  @Post('echo')
  @HttpCode(201)
  echo(@Body() body: Record<string, unknown>) {
    created++;
    return { id: `ECHO-${created}`, status: 'logged', ...body };
  }
}

@Module({ controllers: [BareController] })
class BareModule {}

async function main(): Promise<void> {
  const app = await NestFactory.create<NestFastifyApplication>(BareModule, new FastifyAdapter(), {
    logger: false,
  });
  await app.listen(Number(process.env['PORT'] ?? 0), '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`listening ${port}\n`);
  const stop = () => void app.close().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
