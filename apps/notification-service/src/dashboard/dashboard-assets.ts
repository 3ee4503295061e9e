import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, extname, join } from 'node:path';

const WEB_FOLDER = join('apps', 'notification-service', 'src', 'dashboard', 'web');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

export interface DashboardAsset {
  body: Buffer;
  contentType: string;
  /** A strong validator of the body, so a browser's revalidation is a 304 until the file changes. */
  etag: string;
}

/**
 * tsc does not copy the page's html, js and css into `dist/`, so the folder is found by
 * walking up from this file to the repository root, which works from the TypeScript
 * sources (jest) and from the compiled output alike.
 */
export function findWebFolder(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    const candidate = join(dir, WEB_FOLDER);
    if (existsSync(join(dir, 'package.json')) && existsSync(join(candidate, 'index.html'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`dashboard: no ${WEB_FOLDER}/index.html above ${start}`);
  }
}

/**
 * The page's files, read once at start. Requests are answered from this map by exact
 * file name, so no request path ever reaches the file system.
 */
@Injectable()
export class DashboardAssets {
  private readonly assets = new Map<string, DashboardAsset>();

  constructor() {
    const folder = findWebFolder();
    for (const name of readdirSync(folder)) {
      const contentType = CONTENT_TYPES[extname(name)];
      if (!contentType) continue;
      const body = readFileSync(join(folder, name));
      this.assets.set(name, { body, contentType, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });
    }
  }

  get(name: string): DashboardAsset | undefined {
    return this.assets.get(name);
  }
}
