import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@ordercast/platform';
import type { JSONWebKeySet } from 'jose';
import { JwksResponse } from './dto/signing.response';
import { SigningKeyService } from './signing-key.service';

@ApiTags('signing')
@Controller('api/v0/checkout/notifications/.well-known')
export class JwksController {
  constructor(private readonly keys: SigningKeyService) {}

  @Public()
  @Get('jwks.json')
  @Header('Cache-Control', 'public, max-age=300')
  @ApiOperation({ summary: 'Public keys that verify the x-jws-signature header of deliveries (no authentication)' })
  @ApiOkResponse({ type: JwksResponse })
  jwks(): Promise<JSONWebKeySet> {
    return this.keys.jwks();
  }
}
