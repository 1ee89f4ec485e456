/**
 * The vitest hooks most files need, written once: a fake upstream started for the file and reset
 * before every test (requests, script queue and rules, so one test's leftovers cannot steer the
 * next), and Switchboards started by a test closed after it, with any cleanups it registered.
 */
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startFakeGrok, type FakeGrok } from '../fakes/grok-web.js';
import { startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions } from '../fakes/openai-upstream.js';
import { startSwitchboard, type RunningSwitchboard } from './switchboard.js';

/** A fake OpenAI upstream for the whole file, clean at the start of each test. Read `.up` inside tests. */
export function useFakeOpenAI(options: FakeOpenAIOptions = {}): { readonly up: FakeOpenAI } {
  let up: FakeOpenAI | undefined;
  beforeAll(async () => {
    up = await startFakeOpenAI(options);
  });
  afterAll(async () => {
    await up?.close();
  });
  beforeEach(() => {
    up!.reset();
  });
  return {
    get up() {
      return up!;
    },
  };
}

/** A fake grok.com for the whole file, its request log cleared before each test. Read `.grok` inside tests. */
export function useFakeGrok(): { readonly grok: FakeGrok } {
  let grok: FakeGrok | undefined;
  beforeAll(async () => {
    grok = await startFakeGrok();
  });
  afterAll(async () => {
    await grok?.close();
  });
  beforeEach(() => {
    grok!.clear();
  });
  return {
    get grok() {
      return grok!;
    },
  };
}

export interface TestSwitchboards {
  /** Start a Switchboard (see startSwitchboard) that is closed when the test ends, unless the test closed it. */
  start(...args: Parameters<typeof startSwitchboard>): Promise<RunningSwitchboard>;
  /** Run `fn` when the test ends (after its Switchboards are closed). */
  defer(fn: () => unknown): void;
}

/** Switchboards (and cleanups) that live for one test. */
export function useSwitchboards(): TestSwitchboards {
  const open = new Set<RunningSwitchboard>();
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    const closing = [...open];
    open.clear();
    await Promise.all(closing.map((sb) => sb.close()));
    for (const c of cleanups.splice(0)) await c();
  });
  return {
    async start(...args) {
      const sb = await startSwitchboard(...args);
      const close = sb.close;
      sb.close = () => (open.delete(sb) ? close() : Promise.resolve());
      open.add(sb);
      return sb;
    },
    defer: (fn) => void cleanups.push(fn),
  };
}
