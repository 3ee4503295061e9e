import { AddShippingHandler } from './add-shipping.handler';
import { UpdateShippingHandler } from './update-shipping.handler';

export const SHIPPING_COMMAND_HANDLERS = [AddShippingHandler, UpdateShippingHandler];
