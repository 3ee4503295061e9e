import { ChangeOrderStateHandler } from './change-order-state.handler';
import { CreateOrderHandler } from './create-order.handler';

export const ORDER_COMMAND_HANDLERS = [CreateOrderHandler, ChangeOrderStateHandler];
