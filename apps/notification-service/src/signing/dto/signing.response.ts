import { ApiProperty } from '@nestjs/swagger';

export class RotationResponse {
  @ApiProperty({ description: 'Key id of the new signing key' })
  kid!: string;

  @ApiProperty({ type: String, nullable: true, description: 'The key it replaces, still in the JWKS for the grace period' })
  previousKid!: string | null;
}

export class WebhookSecretResponse {
  @ApiProperty({ example: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', description: 'Shown only in this response' })
  secret!: string;
}

/** A public key of the detached JWS signature (EC P-256). */
export class JwkResponse {
  @ApiProperty({ example: 'EC' })
  kty!: string;

  @ApiProperty({ required: false, example: 'P-256' })
  crv?: string;

  @ApiProperty({ required: false })
  x?: string;

  @ApiProperty({ required: false })
  y?: string;

  @ApiProperty({ required: false })
  kid?: string;

  @ApiProperty({ required: false, example: 'ES256' })
  alg?: string;

  @ApiProperty({ required: false, example: 'sig' })
  use?: string;
}

export class JwksResponse {
  @ApiProperty({ type: [JwkResponse] })
  keys!: JwkResponse[];
}
