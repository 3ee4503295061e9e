import { Inject, Injectable, OnApplicationShutdown, Optional } from '@nestjs/common';
import { createTransport, type NodemailerError, type SMTPPoolSentMessageInfo, type Transporter } from 'nodemailer';
import { DEFAULT_EMAIL_FROM, DEFAULT_EMAIL_TIMEOUT_MS, DEFAULT_SMTP_CONNECTIONS, EMAIL_OPTIONS, EmailOptions } from './email-options';

export interface EmailMessage {
  to: string;
  subject: string;
  text: string;
  /** The delivery's message id (the `webhook-id`), the same on every attempt. */
  messageId: string;
}

export interface EmailResult {
  /** The server took the message for the recipient. */
  accepted: boolean;
  /** The SMTP server's reply line, such as `250 OK: queued` or `550 5.1.1 no such user`. */
  response: string;
  /** The Message-ID header of the email. */
  messageId: string;
  /** A refusal the server will repeat (5xx); retrying the same email cannot help. */
  permanent: boolean;
}

export const EMAIL_MESSAGE_ID_HEADER = 'X-Ordercast-Message-Id';

function isSmtpReply(error: unknown): error is NodemailerError & { response: string; responseCode: number } {
  const candidate = error as NodemailerError | null;
  return typeof candidate?.responseCode === 'number' && typeof candidate.response === 'string';
}

/**
 * Sends delivery emails through the SMTP server of `SMTP_URL` over a pool of connections. The
 * only file that knows nodemailer. A reply from the server (accepted or refused) is a result;
 * anything without one (not configured, unreachable, timed out) is thrown as a readable error.
 */
@Injectable()
export class EmailSender implements OnApplicationShutdown {
  private readonly transport: Transporter<SMTPPoolSentMessageInfo> | null;

  constructor(@Optional() @Inject(EMAIL_OPTIONS) options: EmailOptions | null = null) {
    const url = options?.smtpUrl;
    if (!url) {
      this.transport = null;
      return;
    }
    if (!/^smtps?:\/\/[^/?#]+/i.test(url)) throw new Error('SMTP_URL must be an smtp:// or smtps:// URL with a host');
    const timeoutMs = options?.timeoutMs ?? DEFAULT_EMAIL_TIMEOUT_MS;
    this.transport = createTransport(
      {
        url,
        pool: true,
        maxConnections: options?.maxConnections ?? DEFAULT_SMTP_CONNECTIONS,
        connectionTimeout: timeoutMs,
        greetingTimeout: timeoutMs,
        socketTimeout: timeoutMs,
        // A connection that drops mid-send fails the attempt; the retry schedule resends it, not the pool.
        maxRequeues: 0,
      },
      { from: options?.from ?? DEFAULT_EMAIL_FROM },
    );
  }

  async send(message: EmailMessage): Promise<EmailResult> {
    if (!this.transport) throw new Error('SMTP_URL is not configured');
    // One Message-ID per delivery, so a mailbox shows a resent attempt as the same email.
    const messageId = `<${message.messageId}@ordercast>`;
    try {
      const info = await this.transport.sendMail({
        to: message.to,
        subject: message.subject,
        text: message.text,
        messageId,
        headers: { [EMAIL_MESSAGE_ID_HEADER]: message.messageId },
      });
      return { accepted: info.accepted.length > 0 && info.rejected.length === 0, response: info.response, messageId: info.messageId, permanent: false };
    } catch (error) {
      if (isSmtpReply(error)) return { accepted: false, response: error.response, messageId, permanent: error.permanent ?? error.responseCode >= 500 };
      throw new Error(`email not sent: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  onApplicationShutdown(): void {
    this.transport?.close();
  }
}
