import { afterTenantCommit, openTenantTransaction, runInTenantScope } from './tenant-scope';

describe('tenant scope', () => {
  it('opens the transaction as the tenant role with the merchant as a quoted literal', () => {
    expect(openTenantTransaction('shop-1')).toBe(`BEGIN; SET LOCAL ROLE ordercast_tenant; SELECT set_config('ordercast.merchant', 'shop-1', true)`);
    expect(openTenantTransaction(`x', true); DROP TABLE t; --`)).toContain(`'x'', true); DROP TABLE t; --'`);
  });

  it('hands work over at once outside a scope, and inside one that has not touched the database', async () => {
    const handedOver: string[] = [];
    afterTenantCommit(() => handedOver.push('outside'));
    await runInTenantScope('shop-1', async () => {
      afterTenantCommit(() => handedOver.push('before any query'));
      expect(handedOver).toEqual(['outside', 'before any query']);
    });
  });

  it('passes the handler’s result and error through when it opened nothing', async () => {
    await expect(runInTenantScope('shop-1', async () => 42)).resolves.toBe(42);
    await expect(runInTenantScope('shop-1', async () => Promise.reject(new Error('refused')))).rejects.toThrow('refused');
  });
});
