/** Injection token of the {@link Mailer} (the email module's EmailSender). */
export const MAILER = Symbol('MAILER');

export interface MailToSend {
  to: string;
  subject: string;
  text: string;
  /** The delivery's message id (the `webhook-id`), the same on every attempt. */
  messageId: string;
}

/** The SMTP server's answer to one email. */
export interface MailReply {
  /** The server took the message for the recipient. */
  accepted: boolean;
  /** The server's reply line, such as `250 OK: queued` or `550 5.1.1 no such user`. */
  response: string;
  /** A refusal the server will repeat (5xx). */
  permanent: boolean;
}

/**
 * Sends one email. A reply from the server, accepted or refused, is returned; anything without
 * one (not configured, unreachable, timed out) is thrown. The dispatcher depends on this port only.
 */
export interface Mailer {
  send(mail: MailToSend): Promise<MailReply>;
}
