import { type DynamicModule, Module } from '@nestjs/common';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { EventPublisher } from '@firstmile/messaging';
import type { OutboxFields } from './outbox';
import { OutboxRelay, type OutboxRelayOptions } from './outbox-relay';

@Module({})
export class OutboxRelayModule {
  /** Relays the outboxes of the named models (registered with MongooseModule.forFeature in `imports`). */
  static forModels(
    models: string[],
    imports: DynamicModule[],
    options: OutboxRelayOptions = {
      pollMs: Number(process.env['OUTBOX_POLL_MS'] ?? 5000),
      batchSize: 200,
      pullLingerMs: Number(process.env['OUTBOX_PULL_LINGER_MS'] ?? 2000),
    },
  ): DynamicModule {
    return {
      module: OutboxRelayModule,
      imports,
      providers: [
        {
          provide: OutboxRelay,
          inject: [EventPublisher, ...models.map((m) => getModelToken(m))],
          useFactory: (publisher: EventPublisher, ...resolved: Model<OutboxFields>[]) =>
            new OutboxRelay(resolved, publisher, options),
        },
      ],
      exports: [OutboxRelay],
    };
  }
}
