import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@ordercast/platform';
import type { FastifyReply } from 'fastify';
import type { JSONWebKeySet } from 'jose';
import { JwksResponse } from './dto/signing.response';
import { SigningKeyService } from './signing-key.service';

@ApiTags('signing')
@Controller('api/v0/checkout/notifications/.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeyService) {}

  /** The max-age is the lead a rotated-in key gets before it signs (see SigningKeyService): the two must stay one value. */
  @Public()
  @Get('jwks.json')
  @ApiOperation({ summary: 'Public keys that verify the x-jws-signature header of deliveries (no authentication); a new key appears here one max-age before it signs' })
  @ApiOkResponse({ type: JwksResponse })
  jwks(@Res({ passthrough: true }) response: FastifyReply): Promise<JSONWebKeySet> {
    void response.header('Cache-Control', `public, max-age=${this.keys.jwksMaxAgeSeconds}`);
    return this.keys.jwks();
  }
}
