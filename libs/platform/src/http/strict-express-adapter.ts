import { ExpressAdapter } from '@nestjs/platform-express';
import express from 'express';

/**
 * The Express both services run on, with `case sensitive routing` and `strict routing` on:
 * `/API/...`, `/api/V0/...` and `/api/v0/checkout/orders/` match no route (404) instead of
 * reaching a handler by another spelling than the one declared. Express 5 reads both settings
 * once, when its router is first touched, and the adapter's constructor already touches it
 * (it mounts a middleware), so they are set on the instance before the adapter wraps it.
 */
export function strictExpressAdapter(): ExpressAdapter {
  const instance = express();
  instance.set('case sensitive routing', true);
  instance.set('strict routing', true);
  return new ExpressAdapter(instance);
}
