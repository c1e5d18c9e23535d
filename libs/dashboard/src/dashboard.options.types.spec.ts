import { describe, expectTypeOf, it } from 'vitest';
import type { DashboardRequest, TaskQueueDashboardOptions } from './dashboard.options.js';

// Type-level proof, checked by `npm run typecheck` (tsc): the documented options compile.
describe('dashboard options types', () => {
  it('readOnly can read the authenticated user as docs/dashboard.md shows', () => {
    const options: TaskQueueDashboardOptions = {
      public: true,
      readOnly: (request) => request.user?.role !== 'admin',
    };
    expectTypeOf(options.readOnly).not.toBeAny();
    expectTypeOf<DashboardRequest['user']>().not.toBeAny();
  });
});
