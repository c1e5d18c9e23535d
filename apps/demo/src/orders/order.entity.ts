import {
  Column,
  CreateDateColumn,
  Entity,
  OneToMany,
  PrimaryGeneratedColumn,
  type Relation,
} from 'typeorm';
import { OrderLine } from './order-line.entity.js';

@Entity('orders')
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: 'varchar', length: 200 })
  customerEmail!: string;

  @Column({ type: 'varchar', length: 20, default: 'pending' })
  status!: 'pending' | 'processed';

  /** Total in cents, set by the `orders.process` task. */
  @Column({ type: 'integer', nullable: true })
  totalCents!: number | null;

  /** The id of the `orders.process` task, stored in the same transaction as the order. */
  @Column({ type: 'varchar', length: 36, nullable: true })
  taskId!: string | null;

  @OneToMany(() => OrderLine, (line) => line.order, { cascade: true, eager: true })
  lines!: Relation<OrderLine[]>;

  @CreateDateColumn()
  createdAt!: Date;
}
