import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import mongoose from 'mongoose';
import type { MongoEnv } from './mongo.env';
import { instrumentStoreCommands } from './store-metrics';

export const databaseName = (prefix: string, name: string) => `${prefix}firstmile_${name}`;

@Module({})
export class MongoModule {
  /** The service's own database; no service opens another's. */
  static forRoot({ database }: { database: string }): DynamicModule {
    // Mongoose formats a stack trace at every query's exec, kept only to explain a query run twice;
    // under --enable-source-maps each one maps its frames, measured at half the cost of a lot's
    // cooperative read in harvest-intake's request path (docs/benchmarks.md, step 5).
    mongoose.set('skipOriginalStackTraces', true);
    return {
      module: MongoModule,
      imports: [
        MongooseModule.forRootAsync({
          inject: [ConfigService],
          useFactory: (config: ConfigService<MongoEnv, true>) => ({
            uri: config.get('MONGO_URL', { infer: true }),
            dbName: databaseName(config.get('MONGO_DB_PREFIX', { infer: true }), database),
            serverSelectionTimeoutMS: 10_000,
            maxPoolSize: 20,
            // Indexes are part of the schema; creating them at start-up keeps every query served.
            autoIndex: true,
            autoCreate: true,
            // Feeds firstmile_store_command_duration_seconds: round trips per collection and command.
            monitorCommands: true,
            connectionFactory: instrumentStoreCommands,
          }),
        }),
      ],
    };
  }
}
