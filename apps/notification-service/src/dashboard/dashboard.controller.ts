import { Controller, Get, Headers, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@ordercast/platform';
import type { FastifyReply } from 'fastify';
import { DashboardAssets } from './dashboard-assets';

/**
 * The page runs only its own files and talks only to this origin; nothing inline, so an
 * event body or header that slips into the markup cannot run as script.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/**
 * The operator dashboard, outside `/api`: the page itself is public, and every API call it
 * makes carries the merchant and token the operator signs in with.
 */
@ApiExcludeController()
@Public()
@Controller('dashboard')
export class DashboardController {
  constructor(private readonly assets: DashboardAssets) {}

  @Get()
  page(@Headers('if-none-match') cached: string | undefined, @Res() response: FastifyReply): void {
    this.send(response, 'index.html', cached);
  }

  @Get(':file')
  file(@Param('file') file: string, @Headers('if-none-match') cached: string | undefined, @Res() response: FastifyReply): void {
    this.send(response, file, cached);
  }

  private send(response: FastifyReply, name: string, cached: string | undefined): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no dashboard file "${name}"`);
    void response.headers({
      'Content-Security-Policy': DASHBOARD_CSP,
      'X-Content-Type-Options': 'nosniff',
      'Referrer-Policy': 'no-referrer',
      // Revalidated on every load (a 304 while the ETag matches) so a deploy is seen at once.
      'Cache-Control': 'no-cache',
      ETag: asset.etag,
    });
    if (cached !== undefined && cached.split(',').some((tag) => tag.trim().replace(/^W\//, '') === asset.etag || tag.trim() === '*')) {
      void response.code(304).send();
      return;
    }
    void response.type(asset.contentType).send(asset.body);
  }
}
