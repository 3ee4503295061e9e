import { ApiExtraModels, ApiProperty, getSchemaPath } from '@nestjs/swagger';
import { KAFKA_SASL_MECHANISMS, KafkaSaslMechanism } from '@ordercast/contracts';
import { MASK } from '../crypto/masking';

/**
 * How registrations and subscriptions show their target credentials (contracts' `TargetAuth` and
 * `KafkaDestination`): the same shape as stored, each secret replaced by the mask. Both services
 * answer with it, so both describe it with these classes.
 */
export class OAuth2ClientCredentialsResponse {
  @ApiProperty({ enum: ['oauth2_client_credentials'] })
  type!: 'oauth2_client_credentials';

  @ApiProperty({ example: 'https://login.example.com/oauth2/token' })
  tokenUrl!: string;

  @ApiProperty()
  clientId!: string;

  @ApiProperty({ description: 'Always masked; sending the mask back keeps the stored secret', example: MASK })
  clientSecret!: string;

  @ApiProperty({ type: String, nullable: true })
  scope!: string | null;

  @ApiProperty({ type: String, nullable: true })
  audience!: string | null;
}

export class MutualTlsResponse {
  @ApiProperty({ enum: ['mtls'] })
  type!: 'mtls';

  @ApiProperty({ description: 'The client certificate (PEM)' })
  certificate!: string;

  @ApiProperty({ description: 'Always masked', example: MASK })
  privateKey!: string;

  @ApiProperty({ description: "The certificate's subject", example: 'CN=erp.example.com' })
  subject!: string;

  @ApiProperty({ description: "The certificate's SHA-256 fingerprint" })
  fingerprint!: string;

  @ApiProperty({ format: 'date-time', description: 'When the certificate expires' })
  validTo!: string;
}

export class KafkaSaslResponse {
  @ApiProperty({ enum: KAFKA_SASL_MECHANISMS })
  mechanism!: KafkaSaslMechanism;

  @ApiProperty()
  username!: string;

  @ApiProperty({ description: 'Always masked', example: MASK })
  password!: string;
}

export class KafkaDestinationResponse {
  @ApiProperty({ type: [String], example: ['kafka-1.example.com:9093'] })
  brokers!: string[];

  @ApiProperty({ example: 'erp.orders' })
  topic!: string;

  @ApiProperty({ type: KafkaSaslResponse, nullable: true })
  sasl!: KafkaSaslResponse | null;

  @ApiProperty({ description: 'TLS to the brokers, verifying their certificates' })
  ssl!: boolean;
}

/**
 * The `auth` property of a response class: one of the two kinds, told apart by `type`, or null.
 * A `oneOf` names its members only by reference, so this also registers them with the document
 * through the class that has the property.
 */
export function ApiTargetAuthProperty(description: string): PropertyDecorator {
  return (target, key) => {
    ApiExtraModels(OAuth2ClientCredentialsResponse, MutualTlsResponse)(target.constructor);
    ApiProperty({
      nullable: true,
      oneOf: [{ $ref: getSchemaPath(OAuth2ClientCredentialsResponse) }, { $ref: getSchemaPath(MutualTlsResponse) }],
      discriminator: {
        propertyName: 'type',
        mapping: { oauth2_client_credentials: getSchemaPath(OAuth2ClientCredentialsResponse), mtls: getSchemaPath(MutualTlsResponse) },
      },
      description,
    })(target, key);
  };
}
