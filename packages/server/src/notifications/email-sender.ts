import type { EmailSender } from '@weft/engine';
import { AppError } from '@weft/schema';
import type { Store } from '../store/types.js';
import type { Mailer } from './mailer.js';

/** The engine's EmailSender: a company's group looked up by name, its members mailed together. */
export function createEmailSender(store: Store, mailer: Mailer): EmailSender {
  return {
    async sendToGroup(companyId, group, message) {
      const found = await store.findNotificationGroup(companyId, group);
      if (found === undefined) {
        throw new AppError(
          'NOTIFICATION_GROUP_UNKNOWN',
          `There is no notification group "${group}"; create it (POST /api/v1/notification-groups) or correct the step's group.`,
          { retryable: false },
        );
      }
      if (found.emails.length === 0) return { recipients: [] };
      await mailer.send({ to: found.emails, subject: message.subject, text: message.text });
      return { recipients: [...found.emails] };
    },
  };
}
