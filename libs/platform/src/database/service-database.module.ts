import { DynamicModule, Global, Module } from '@nestjs/common';
import { getDataSourceToken, TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { postgresOptions, ServiceDatabase } from './database';

/**
 * A service's TypeORM data source, named after its schema. In the embedded default both services
 * run in one process, and @nestjs/typeorm keeps one registry of data source names per process:
 * two unnamed ones collide there. A service has only this one data source, so it is also
 * provided as the plain `DataSource`, which its code and `TypeOrmModule.forFeature()`
 * repositories inject.
 */
@Global()
@Module({})
export class ServiceDatabaseModule {
  static forRoot(database: ServiceDatabase): DynamicModule {
    const name = database.schema;
    return {
      module: ServiceDatabaseModule,
      imports: [TypeOrmModule.forRoot({ ...postgresOptions(database), name })],
      providers: [{ provide: DataSource, useExisting: getDataSourceToken(name) }],
      exports: [DataSource],
    };
  }
}
