import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { defer, lastValueFrom, Observable } from 'rxjs';
import { DataSource } from 'typeorm';
import { runInTenantScope, scopeTenantQueries } from './tenant-scope';

/**
 * Runs every handler of a request the auth guard gave a merchant (`request.merchant`) inside that
 * merchant's tenant scope: its queries share one transaction in which row-level security shows
 * only the merchant's rows, committed before the response is sent. Requests without a merchant
 * (health, metrics, JWKS, dashboard assets) run as before.
 */
@Injectable()
export class TenantScopeInterceptor implements NestInterceptor {
  constructor(@InjectDataSource() dataSource: DataSource) {
    scopeTenantQueries(dataSource);
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (context.getType() !== 'http') return next.handle();
    const { merchant } = context.switchToHttp().getRequest<{ merchant?: string }>();
    if (!merchant) return next.handle();
    return defer(() => runInTenantScope(merchant, () => lastValueFrom(next.handle(), { defaultValue: undefined })));
  }
}
