import { renderTargetUrl } from './target-url';

const values = { orderId: 'o-123', orderReference: 'R 1/2?x=1#y', merchant: 'acme', channel: 'web-se' };

describe('renderTargetUrl', () => {
  it('fills every placeholder', () => {
    expect(renderTargetUrl('https://erp.example.com/{merchant}/{channel}/orders/{order.id}/import?id={order_id}', values))
      .toBe('https://erp.example.com/acme/web-se/orders/o-123/import?id=o-123');
  });

  it('URL-encodes values so they cannot add path segments, a query or a fragment', () => {
    expect(renderTargetUrl('https://erp.example.com/orders/{order.reference}', values)).toBe('https://erp.example.com/orders/R%201%2F2%3Fx%3D1%23y');
  });

  it('fills a missing reference with nothing', () => {
    expect(renderTargetUrl('https://erp.example.com/r/{order.reference}', { ...values, orderReference: null })).toBe('https://erp.example.com/r/');
  });

  it('replaces repeated placeholders and leaves unknown ones and plain URLs alone', () => {
    expect(renderTargetUrl('https://x.example.com/{order.id}/{order.id}/{unknown}', values)).toBe('https://x.example.com/o-123/o-123/{unknown}');
    expect(renderTargetUrl('https://x.example.com/hook', values)).toBe('https://x.example.com/hook');
  });

  it('does not treat inherited property names as placeholders', () => {
    expect(renderTargetUrl('https://x.example.com/{constructor}', values)).toBe('https://x.example.com/{constructor}');
  });
});
