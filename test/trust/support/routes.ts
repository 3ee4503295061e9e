import type { INestApplication } from '@nestjs/common';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * Every route the app's HTTP router serves, as `METHOD /path/:param`, read from the router
 * itself rather than from the docs or the controllers, so an undocumented route is listed too.
 */
export function httpRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
  return express.router.stack
    .flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path}`) : []))
    .sort();
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
