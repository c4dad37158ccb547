/** One email of a `notify` step. */
export interface EmailMessage {
  subject: string;
  text: string;
}

/**
 * Sends email to a company's notification group; the server builds it from its SMTP settings and
 * leaves it out when it has none, so a step that needs email fails with SMTP_NOT_CONFIGURED.
 */
export interface EmailSender {
  /**
   * Sends the message to every member of the named group (one message, every member a recipient).
   * Throws AppError NOTIFICATION_GROUP_UNKNOWN for a group the company does not have, and
   * EMAIL_SEND_FAILED (retryable) when the SMTP server refuses or cannot be reached.
   */
  sendToGroup(companyId: string, group: string, message: EmailMessage): Promise<{ recipients: string[] }>;
}
