import { AppError } from '@weft/schema';
import type nodemailer from 'nodemailer';
import { lazyRequire } from '../lazy-require.js';

const loadNodemailer = lazyRequire<typeof nodemailer>('nodemailer');

export interface MailMessage {
  to: string[];
  subject: string;
  text: string;
}

/** Sends email through the configured SMTP server. */
export interface Mailer {
  /** Throws AppError EMAIL_SEND_FAILED: retryable unless the server refused for good (a 5xx answer). */
  send(message: MailMessage): Promise<void>;
  close(): void;
}

export interface MailerOptions {
  /** smtp://user:pass@host:port, or smtps:// for TLS from the first byte. */
  url: string;
  from: string;
}

/**
 * A pooled nodemailer transport for WEFT_SMTP_URL. Timeouts are short so a dead mail server
 * fails a notify step (which retries) instead of holding it for nodemailer's default minutes.
 */
export function createMailer(options: MailerOptions): Mailer {
  const transport = loadNodemailer().createTransport({
    url: options.url,
    connectionTimeout: 10_000,
    greetingTimeout: 10_000,
    socketTimeout: 30_000,
  });
  return {
    async send(message) {
      try {
        await transport.sendMail({ from: options.from, to: message.to, subject: message.subject, text: message.text });
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        const permanent = typeof code === 'number' && code >= 500;
        throw new AppError('EMAIL_SEND_FAILED', `The SMTP server did not take the email: ${(err as Error).message}`, {
          retryable: !permanent,
          cause: err,
        });
      }
    },
    close() {
      transport.close();
    },
  };
}
