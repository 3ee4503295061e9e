import { Controller, Header, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponse, ApiRequestErrors, Merchant } from '@ordercast/platform';
import { RotationResponse, WebhookSecretResponse } from './dto/signing.response';
import { Rotation, SigningKeyService } from './signing-key.service';
import { generateWebhookSecret } from './standard-webhooks';

@ApiTags('signing')
@ApiRequestErrors()
@Controller('api/v0/checkout/notifications')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeyService) {}

  @Post('signing-keys/rotate')
  @ApiOperation({ summary: 'Activate a new JWS signing key; the previous one stays in the JWKS for the grace period' })
  @ApiCreatedResponse({ type: RotationResponse })
  @ApiConflictResponse({ description: 'Too many keys are still published', type: ApiErrorResponse })
  rotate(@Merchant() merchant: string): Promise<Rotation> {
    return this.keys.rotate(merchant);
  }

  @Post('secrets')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A new Standard Webhooks secret (whsec_...), shown only in this response' })
  @ApiCreatedResponse({ type: WebhookSecretResponse })
  createSecret(): { secret: string } {
    return { secret: generateWebhookSecret() };
  }
}
