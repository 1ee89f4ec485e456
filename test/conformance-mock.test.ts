/** The conformance kit on the built-in mock provider: no upstream, so those checks are declared skipped. */
import mock from '../plugins/mock/index.js';
import { describeProvider } from '../core/testing/index.js';

await describeProvider(mock, {
  model: 'echo',
  skip: { abort: 'mock has no upstream to close', failures: 'mock has no upstream to fail' },
});
