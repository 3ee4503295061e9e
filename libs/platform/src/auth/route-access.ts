import { SetMetadata } from '@nestjs/common';

export const ROUTE_ACCESS = 'ordercast:access';

/**
 * Who may call a route. Without a marking, a route is a merchant route: `X-Merchant` and that
 * merchant's `Bearer` token. The guard reads only this, never the path, so a route is as
 * protected as its own declaration says, however its path is spelled or wherever it is mounted.
 */
export type RouteAccess = 'public' | 'operator';

/**
 * Reachable without any credential. Only for what carries no merchant data: health, metrics,
 * JWKS, the dashboard page and its assets.
 */
export const Public = () => SetMetadata(ROUTE_ACCESS, 'public' satisfies RouteAccess);

/**
 * A service-wide action (one that touches every merchant, such as rotating the signing key):
 * `Authorization: Bearer <operator token>` from `ADMIN_TOKENS`, no `X-Merchant`. A merchant
 * token is refused with 403, a missing or unknown one with 401.
 */
export const Operator = () => SetMetadata(ROUTE_ACCESS, 'operator' satisfies RouteAccess);
