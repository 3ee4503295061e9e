import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '@ordercast/platform';
import type { Response } from 'express';
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
  page(@Res() response: Response): void {
    this.send(response, 'index.html');
  }

  @Get(':file')
  file(@Param('file') file: string, @Res() response: Response): void {
    this.send(response, file);
  }

  private send(response: Response, name: string): void {
    const asset = this.assets.get(name);
    if (!asset) throw new NotFoundException(`no dashboard file "${name}"`);
    response
      .set({
        'Content-Security-Policy': DASHBOARD_CSP,
        'X-Content-Type-Options': 'nosniff',
        'Referrer-Policy': 'no-referrer',
        // Revalidated on every load (Express answers 304 from the ETag) so a deploy is seen at once.
        'Cache-Control': 'no-cache',
      })
      .type(asset.contentType)
      .send(asset.body);
  }
}
