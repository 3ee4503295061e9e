import { AddPaymentHandler } from './add-payment.handler';
import { UpdatePaymentHandler } from './update-payment.handler';

export const PAYMENT_COMMAND_HANDLERS = [AddPaymentHandler, UpdatePaymentHandler];
