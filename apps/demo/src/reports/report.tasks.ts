import { Injectable, Logger } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Periodic, Task, TaskContext } from 'celeriac';
import { MoreThanOrEqual, type Repository } from 'typeorm';
import { Order } from '../orders/order.entity.js';

export interface NightlyReport {
  since: string;
  orders: number;
  processed: number;
  revenueCents: number;
}

/**
 * Periodic tasks of the demo. One beat in the cluster (API, worker or `celeriac beat` process)
 * publishes each fire once; any worker runs it.
 */
@Injectable()
export class ReportTasks {
  private readonly logger = new Logger('ReportTasks');

  constructor(
    @InjectRepository(Order) private readonly orders: Repository<Order>,
    private readonly ctx: TaskContext,
  ) {}

  /** The last 24 hours of orders, every night at 03:00 Berlin time. */
  @Periodic('0 3 * * *', { tz: 'Europe/Berlin', name: 'reports.nightly', expires: 3600 })
  @Task('reports.nightly')
  async nightly(): Promise<NightlyReport> {
    const since = new Date(Date.now() - 86_400_000);
    const recent = await this.orders.findBy({ createdAt: MoreThanOrEqual(since) });
    const processed = recent.filter((order) => order.status === 'processed');
    const report: NightlyReport = {
      since: since.toISOString(),
      orders: recent.length,
      processed: processed.length,
      revenueCents: processed.reduce((sum, order) => sum + (order.totalCents ?? 0), 0),
    };
    this.logger.log(
      `Nightly report: ${report.orders} order(s), ${report.processed} processed, ` +
        `${report.revenueCents} cents since ${report.since}`,
    );
    return report;
  }

  /** A short heartbeat that shows the beat working in the log. */
  @Periodic({ every: 15 }, { name: 'reports.heartbeat', expires: 15, catchUp: { policy: 'once' } })
  @Task('reports.heartbeat', { ignoreResult: true })
  heartbeat(): void {
    this.logger.log(
      `Heartbeat from beat schedule ${String(this.ctx.headers.periodic_task_name)} [${this.ctx.id}]`,
    );
  }
}
