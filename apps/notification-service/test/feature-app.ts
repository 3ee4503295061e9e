import { DynamicModule, INestApplication, Provider, Type } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  ADMIN_TOKENS, API_TOKENS, ApiAuthGuard, configureHttpApp, ensureSchema, postgresOptions, ServiceDatabase, strictFastifyAdapter,
} from '@ordercast/platform';
import { DataSource } from 'typeorm';
import { createTestDatabase, TestDatabase } from '../../../test/support/database';

export interface FeatureAppOptions {
  /** The feature module under test. */
  feature: Type | DynamicModule;
  entities: ServiceDatabase['entities'];
  migrations: ServiceDatabase['migrations'];
  /** Bearer token -> merchant. */
  tokens: Record<string, string>;
  /** Operator tokens (none when not given). */
  adminTokens?: string[];
  /** What the feature expects the app to provide globally (SECRET_BOX, TargetGuard, ...). */
  globals: Provider[];
}

export interface FeatureApp {
  app: INestApplication;
  dataSource: DataSource;
  close(): Promise<void>;
}

class TestGlobals {}

/**
 * One notification-service feature module as a real HTTP app on a database of its own: TypeORM on
 * the feature's entities and migrations, the API auth guard with the given tokens, and the HTTP
 * set-up every service uses.
 */
export async function startFeatureApp(options: FeatureAppOptions): Promise<FeatureApp> {
  const database: TestDatabase = await createTestDatabase();
  try {
    await ensureSchema(database.url, 'notifications');
    const globals: DynamicModule = {
      module: TestGlobals,
      global: true,
      providers: options.globals,
      exports: options.globals.map((provider) => ('provide' in provider ? provider.provide : provider)),
    };
    const moduleRef = await Test.createTestingModule({
      imports: [
        globals,
        TypeOrmModule.forRoot(postgresOptions({ url: database.url, schema: 'notifications', entities: options.entities, migrations: options.migrations })),
        options.feature,
      ],
      providers: [
        { provide: API_TOKENS, useValue: new Map(Object.entries(options.tokens)) },
        { provide: ADMIN_TOKENS, useValue: options.adminTokens ?? [] },
        { provide: APP_GUARD, useClass: ApiAuthGuard },
      ],
    }).compile();
    const app = moduleRef.createNestApplication(strictFastifyAdapter(), { bodyParser: false, logger: false });
    configureHttpApp(app);
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
    return {
      app,
      dataSource: app.get(DataSource),
      close: async () => {
        await app.close();
        await database.drop();
      },
    };
  } catch (error) {
    await database.drop();
    throw error;
  }
}
