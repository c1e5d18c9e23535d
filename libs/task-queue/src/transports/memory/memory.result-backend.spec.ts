import { randomUUID } from 'node:crypto';
import { describeResultBackendConformance } from '../../testing/conformance/result-backend.conformance.js';
import { MemoryResultBackend } from './memory.result-backend.js';

const store = `conformance-${randomUUID()}`;
describeResultBackendConformance('memory', { create: () => new MemoryResultBackend(store) });
