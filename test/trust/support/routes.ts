import type { INestApplication } from '@nestjs/common';

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
}

/**
 * Every route the app serves under /api/ (OpenAPI pages aside), as `METHOD /path/:param`, read
 * from the HTTP router itself rather than from the docs, so an undocumented route is listed too.
 */
export function apiRoutes(app: INestApplication): string[] {
  const express = app.getHttpAdapter().getInstance() as { router: { stack: Layer[] } };
  return express.router.stack
    .flatMap((layer) => (layer.route ? Object.keys(layer.route.methods).map((method) => `${method.toUpperCase()} ${layer.route!.path}`) : []))
    .filter((route) => / \/api\//.test(route) && !/ \/api\/docs/.test(route))
    .sort();
}

/** A route pattern with its parameters filled in. */
export function fill(route: string, values: Record<string, string>): { method: string; path: string } {
  const [method, pattern] = route.split(' ');
  return { method, path: pattern.replace(/:([A-Za-z]+)/g, (_, name: string) => values[name] ?? `unknown-${name}`) };
}
