import { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { REQUEST_BODY_LIMITS, setupApiDocs } from '@ordercast/platform';

/** Serves the OpenAPI description at /api/docs (UI) and /api/docs-json. */
export function setupOpenApi(app: INestApplication): void {
  const document = SwaggerModule.createDocument(app, new DocumentBuilder()
    .setTitle('Ordercast order-service')
    .setDescription(`Checkout orders, their payments, shippings and notification registrations. Every change is published to checkout.order-events.v1. ${REQUEST_BODY_LIMITS}`)
    .setVersion('v0')
    .addBearerAuth()
    .build());
  setupApiDocs(app, document);
}
