import { Controller, Header, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { Idempotent, Operator } from '@ordercast/platform';
import { Rotation, SigningKeyService } from './signing-key.service';
import { generateWebhookSecret } from './standard-webhooks';

@ApiTags('signing')
@Controller('api/v0/checkout/notifications')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeyService) {}

  /** One key signs for every merchant, so rotating it is an operator's action, never a merchant's. */
  @Operator()
  @Post('signing-keys/rotate')
  @ApiOperation({ summary: 'Operator only (ADMIN_TOKENS): publish a new JWS signing key, signing one JWKS max-age later; the previous one signs until then and stays in the JWKS for the grace period. 409 while a rotated-in key waits to sign' })
  rotate(): Promise<Rotation> {
    return this.keys.rotate();
  }

  @Post('secrets')
  @Idempotent()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A new Standard Webhooks secret (whsec_...), shown only in this response' })
  createSecret(): { secret: string } {
    return { secret: generateWebhookSecret() };
  }
}
