import { loadConfig, runService } from '@ordercast/platform';
import { OrderServiceConfig } from './config/order-service.config';
import { createOrderServiceApp } from './create-order-service-app';

runService({ name: 'order-service', loadConfig: () => loadConfig(OrderServiceConfig), createApp: createOrderServiceApp });
