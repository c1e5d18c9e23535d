// `celeriac/conformance`: the suites every Broker and ResultBackend must pass (needs vitest).
export {
  describeBrokerConformance,
  type BrokerConformanceOptions,
} from './testing/conformance/broker.conformance.js';
export {
  describeResultBackendConformance,
  type ResultBackendConformanceOptions,
} from './testing/conformance/result-backend.conformance.js';
export {
  describeScheduleStoreConformance,
  type ScheduleStoreConformanceOptions,
} from './testing/conformance/schedule-store.conformance.js';
