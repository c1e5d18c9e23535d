import { randomUUID } from 'node:crypto';
import { describeBrokerConformance } from '../../testing/conformance/broker.conformance.js';
import { MemoryBroker } from './memory.broker.js';

const store = `conformance-${randomUUID()}`;
describeBrokerConformance('memory', { create: () => new MemoryBroker(store) });
