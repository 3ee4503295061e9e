/** Injection token of the {@link EmailOptions}. */
export const EMAIL_OPTIONS = Symbol('EMAIL_OPTIONS');

export interface EmailOptions {
  /**
   * `SMTP_URL`, such as `smtp://user:pass@mail.example.com:587` or `smtps://...:465`; nodemailer
   * options may follow as query parameters (`?requireTLS=true`). Without it every send fails.
   */
  smtpUrl?: string | null;
  /** The From address; `Ordercast <notifications@ordercast.invalid>` by default. */
  from?: string;
  /** Connect, greeting and idle-socket timeout of one send, like `DELIVERY_TIMEOUT_MS`; 10 s by default. */
  timeoutMs?: number;
  /** Open SMTP connections; 5 by default. */
  maxConnections?: number;
}

export const DEFAULT_EMAIL_FROM = 'Ordercast <notifications@ordercast.invalid>';
export const DEFAULT_EMAIL_TIMEOUT_MS = 10_000;
export const DEFAULT_SMTP_CONNECTIONS = 5;
