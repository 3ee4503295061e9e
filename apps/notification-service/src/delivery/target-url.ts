export interface TargetUrlValues {
  orderId: string;
  orderReference: string | null;
  merchant: string;
  channel: string;
}

/**
 * Fills the placeholders of a registered URL: `{order.id}`, `{order_id}`,
 * `{order.reference}`, `{merchant}`, `{channel}`. Values are URL-encoded, so an order
 * reference cannot add path segments or a query. Unknown placeholders are left alone.
 */
export function renderTargetUrl(template: string, values: TargetUrlValues): string {
  const replacements: Record<string, string> = {
    'order.id': values.orderId,
    order_id: values.orderId,
    'order.reference': values.orderReference ?? '',
    merchant: values.merchant,
    channel: values.channel,
  };
  return template.replace(/\{([a-z_.]+)\}/g, (placeholder, name: string) =>
    Object.prototype.hasOwnProperty.call(replacements, name) ? encodeURIComponent(replacements[name]) : placeholder,
  );
}
