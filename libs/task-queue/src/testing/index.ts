// Testing entry point (`celeriac/testing`): never imported by production code.
export {
  TaskQueueTestingModule,
  type TaskQueueTestingOptions,
} from './task-queue-testing.module.js';
export { TaskQueueTester } from './task-queue.tester.js';
export { RecordingBroker, type RecordedPublish } from './recording.broker.js';
export {
  captureOnCommitCallbacks,
  type CapturedOnCommit,
  type CapturedOnCommitCallback,
} from './capture-on-commit.js';
