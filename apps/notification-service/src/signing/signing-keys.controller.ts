import { Controller, Header, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponse, ApiRequestErrors, Idempotent, Operator } from '@ordercast/platform';
import { RotationResponse, WebhookSecretResponse } from './dto/signing.response';
import { Rotation, SigningKeyService } from './signing-key.service';
import { generateWebhookSecret } from './standard-webhooks';

@ApiTags('signing')
@ApiRequestErrors()
@Controller('api/v0/checkout/notifications')
export class SigningKeysController {
  constructor(private readonly keys: SigningKeyService) {}

  /** One key signs for every merchant, so rotating it is an operator's action, never a merchant's. */
  @Operator()
  @Post('signing-keys/rotate')
  @ApiOperation({ summary: 'Operator only (ADMIN_TOKENS): publish a new JWS signing key, signing one JWKS max-age later; the previous one signs until then and stays in the JWKS for the grace period. 409 while a rotated-in key waits to sign' })
  @ApiCreatedResponse({ type: RotationResponse })
  @ApiConflictResponse({ description: 'Too many keys are still published, or a rotated-in key still waits to sign', type: ApiErrorResponse })
  rotate(): Promise<Rotation> {
    return this.keys.rotate();
  }

  @Post('secrets')
  @Idempotent()
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A new Standard Webhooks secret (whsec_...), shown only in this response' })
  @ApiCreatedResponse({ type: WebhookSecretResponse })
  createSecret(): { secret: string } {
    return { secret: generateWebhookSecret() };
  }
}
