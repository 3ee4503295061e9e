import { INestApplication } from '@nestjs/common';
import { OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify';

export const API_DOCS_PATH = 'api/docs';

/**
 * The docs page loads its scripts and styles from itself and fetches nothing else: a link that
 * smuggles in another spec (or script) finds no way to load it. Swagger UI sets inline styles, so
 * styles may be inline; scripts may not.
 */
export const API_DOCS_CSP = [
  "default-src 'none'", "script-src 'self'", "style-src 'self' 'unsafe-inline'", "img-src 'self' data:", "connect-src 'self'",
  "font-src 'self'", "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
].join('; ');

/**
 * Serves the OpenAPI description at /api/docs (UI, under {@link API_DOCS_CSP}) and /api/docs-json.
 * The UI shows only this service's own description: Swagger UI's `?url=` and other query
 * configuration are off, and the page pins its spec URL, so a link to
 * `/api/docs?url=https://evil.example/spec.json` cannot dress a foreign spec (with its own
 * servers and forms asking for tokens) in this service's origin.
 */
export function setupApiDocs(app: INestApplication, document: OpenAPIObject | (() => OpenAPIObject)): void {
  // The policy goes on the docs routes alone (the page, its init script and the static files), not on every request.
  (app.getHttpAdapter().getInstance() as FastifyInstance).addHook('onRoute', (route) => {
    if (route.url !== `/${API_DOCS_PATH}` && !route.url.startsWith(`/${API_DOCS_PATH}/`)) return;
    route.onRequest = [...[route.onRequest ?? []].flat(), setDocsPolicy as onRequestHookHandler];
  });
  SwaggerModule.setup(API_DOCS_PATH, app, document, {
    swaggerUrl: `/${API_DOCS_PATH}-json`,
    swaggerOptions: { queryConfigEnabled: false },
  });
}

function setDocsPolicy(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
  reply.header('content-security-policy', API_DOCS_CSP);
  done();
}
