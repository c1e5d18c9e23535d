import { Injectable, Logger } from '@nestjs/common';
import { Task } from 'celeriac';

/** A second feature module whose tasks are discovered with no registration. */
@Injectable()
export class NotificationTasks {
  private readonly logger = new Logger('NotificationTasks');
  readonly outbox: Array<{ to: string; subject: string }> = [];

  @Task('notifications.order_confirmation', { rateLimit: '50/s', maxRetries: 10 })
  async orderConfirmation(
    to: string,
    orderId: number,
    totalCents: number,
  ): Promise<{ to: string; subject: string }> {
    const mail = {
      to,
      subject: `Order ${orderId} confirmed: ${(totalCents / 100).toFixed(2)} EUR`,
    };
    this.outbox.push(mail);
    this.logger.log(`E-mail to ${to}: "${mail.subject}"`);
    return mail;
  }
}
