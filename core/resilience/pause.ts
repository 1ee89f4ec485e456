import type { CallSignal } from '../contract/call-signal.js';

/** Wait `ms`, unless `signal` aborts first: then reject with its reason at once. */
export function pause(ms: number, signal: CallSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort);
  });
}
