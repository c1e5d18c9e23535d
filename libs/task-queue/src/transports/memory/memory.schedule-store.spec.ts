import { randomUUID } from 'node:crypto';
import { describeScheduleStoreConformance } from '../../testing/conformance/schedule-store.conformance.js';
import { MemoryScheduleStore } from './memory.schedule-store.js';

const store = `conformance-${randomUUID()}`;
describeScheduleStoreConformance('memory', { create: () => new MemoryScheduleStore(store) });
