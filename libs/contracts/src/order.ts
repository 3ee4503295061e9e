import type { Registration } from './registration';

export const ORDER_STATES = ['checkout', 'processing', 'accepted', 'completed', 'declined', 'removed'] as const;
export type OrderState = (typeof ORDER_STATES)[number];

export const PAYMENT_STATES = [
  'intent', 'authorized', 'approved', 'captured', 'declined', 'cancelled', 'partly_refunded', 'refunded', 'removed',
] as const;
export type PaymentState = (typeof PAYMENT_STATES)[number];

export const SHIPPING_STATES = ['intent', 'processing', 'confirmed', 'failed', 'removed'] as const;
export type ShippingState = (typeof SHIPPING_STATES)[number];

export interface StateTransition {
  status: OrderState;
  timeStamp: string;
}

export interface CartItem {
  reference: string;
  name: string;
  quantity: number;
  unitPrice: number;
}

export interface Cart {
  items: CartItem[];
  total: number;
}

export interface Payment {
  id: string;
  adapterId: string;
  name: string | null;
  amount: number;
  currency: string;
  state: PaymentState;
  created: string;
  lastModified: string;
}

export interface Shipping {
  id: string;
  adapterId: string;
  name: string | null;
  price: number | null;
  state: ShippingState;
  address: Record<string, unknown> | null;
  created: string;
  lastModified: string;
}

/** The Norce-like order document: what the API returns and what change events carry. */
export interface Order {
  id: string;
  merchant: string;
  channel: string;
  reference: string | null;
  created: string;
  lastModified: string;
  state: { currentStatus: OrderState; transitions: StateTransition[] };
  currency: string;
  country: string | null;
  culture: string | null;
  cart: Cart;
  payments: Payment[];
  shippings: Shipping[];
  customer: Record<string, unknown> | null;
  notifications: Registration[];
}
