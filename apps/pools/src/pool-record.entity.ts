import { EntitySchema } from 'typeorm';

/** A row written by a task running in an isolate, through an injected repository. */
export interface PoolRecord {
  id: number;
  label: string;
  thread: number;
}

export const PoolRecordSchema = new EntitySchema<PoolRecord>({
  name: 'PoolRecord',
  tableName: 'pool_record',
  columns: {
    id: { type: Number, primary: true, generated: true },
    label: { type: String, length: 64 },
    thread: { type: Number },
  },
});
