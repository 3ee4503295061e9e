import type { INestApplication } from '@nestjs/common';
import { registeredRoutes } from '@ordercast/platform';

/**
 * Every route the app's HTTP router serves, as `METHOD /path/:param`, read from the routes
 * registered with the router itself rather than from the docs or the controllers, so an
 * undocumented route is listed too. The HEAD twin Fastify adds to each GET route is the GET
 * route's handler, checked through its GET.
 */
export function httpRoutes(app: INestApplication): string[] {
  return [...new Set(registeredRoutes(app.getHttpAdapter().getInstance()))].filter((route) => !route.startsWith('HEAD ')).sort();
}

/** Every route the app serves under /api/ (OpenAPI pages aside). */
export function apiRoutes(app: INestApplication): string[] {
  return httpRoutes(app).filter((route) => / \/api\//.test(route) && !/ \/api\/docs/.test(route));
}

/** A route pattern with its parameters filled in. */
export function fill(route: string, values: Record<string, string>): { method: string; path: string } {
  const [method, pattern] = route.split(' ');
  return { method, path: pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => values[name] ?? `unknown-${name}`) };
}
