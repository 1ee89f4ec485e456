/**
 * The chat path's cost, counted, not timed (issue 19): promises, nextTicks and JS heap bytes per
 * request, non-stream and a 20-chunk stream, in the bench's set-up (test/helpers/hot-path-cost.ts
 * says how). Each figure must stay within test/hot-path-budget.json, so a change that adds an
 * await per chunk or an allocation-heavy wrapper per request fails here instead of slipping by.
 * After an intended change: HOT_PATH_BUDGET_RECORD=1 npx vitest run test/hot-path-budget.test.ts
 * (docs/performance.md, "The hot-path budget").
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { describe as describeCost, measureHotPathCost, MODES, type HotPathCost, type Mode } from './helpers/hot-path-cost.js';

const FILE = new URL('./hot-path-budget.json', import.meta.url);
const RECORD = process.env.HOT_PATH_BUDGET_RECORD === '1';
const RERECORD = 'HOT_PATH_BUDGET_RECORD=1 npx vitest run test/hot-path-budget.test.ts';

/** What is budgeted, and how much above the recorded figure a run may go. */
const BUDGETED = ['promisesPerRequest', 'ticksPerRequest', 'bytesPerRequest'] as const;
type Budgeted = (typeof BUDGETED)[number];
/**
 * Counts are exact run to run (the smallest of several windows): 3 % plus one. Bytes vary by a
 * few per cent between runs: 15 %, rounded up to 100 B.
 */
const HEADROOM: Record<Budgeted, number> = { promisesPerRequest: 0.03, ticksPerRequest: 0.03, bytesPerRequest: 0.15 };

interface BudgetFile {
  recordedWith: string;
  note: string;
  headroom: Record<Budgeted, number>;
  /** The figures measured when the budget was recorded. */
  measured: Record<Mode, Record<Budgeted, number>>;
  nonstream: Record<Budgeted, number>;
  stream: Record<Budgeted, number>;
}

const budgetFor = (measured: number, key: Budgeted) =>
  key === 'bytesPerRequest' ? Math.ceil((measured * (1 + HEADROOM[key])) / 100) * 100 : Math.floor(measured * (1 + HEADROOM[key])) + 1;
const major = (v: string) => /v(\d+)\./.exec(v)?.[1];

const budget = JSON.parse(readFileSync(FILE, 'utf8')) as BudgetFile;
// Counts are Node's internals as much as ours: another major version gets its own figures.
const otherNode = major(budget.recordedWith) !== major(process.version);

describe('the chat path stays within its recorded cost', () => {
  let cost: HotPathCost;
  beforeAll(async () => {
    cost = await measureHotPathCost({ requests: 50, batches: 4, warmup: 150 });
    for (const mode of MODES) console.log(`hot-path ${mode}: ${describeCost(cost[mode])}`);
  }, 120_000);

  it('counts something: a broken counter cannot pass', () => {
    for (const mode of MODES) {
      const c = cost[mode];
      expect(c.promisesPerRequest, `${mode} promises`).toBeGreaterThan(10);
      expect(c.ticksPerRequest, `${mode} ticks`).toBeGreaterThan(1);
      expect(c.bytesPerRequest, `${mode} bytes`).toBeGreaterThan(10_000);
      // fastify's body parser runs once per request: the windows saw the requests, each exactly once.
      expect(c.other['content-type-parser:run'], `${mode} body parses per request`).toBe(1);
    }
    // 22 more chunks than the non-stream answer cost bytes each, and the reads that bring them
    // promises (not one per chunk, nor per read that was queued already: those are handed over in hand).
    expect(cost.stream.promisesPerRequest).toBeGreaterThan(cost.nonstream.promisesPerRequest + 3);
    expect(cost.stream.bytesPerRequest).toBeGreaterThan(cost.nonstream.bytesPerRequest);
  });

  it.skipIf(otherNode && !RECORD)(`is within test/hot-path-budget.json (recorded with ${budget.recordedWith}; skipped on another Node major)`, () => {
    if (RECORD) {
      const measured = Object.fromEntries(MODES.map((m) => [m, Object.fromEntries(BUDGETED.map((k) => [k, cost[m][k]]))])) as BudgetFile['measured'];
      const next: BudgetFile = {
        recordedWith: `node ${process.version}`,
        note: `Per chat request in the bench's set-up (test/helpers/hot-path-cost.ts): the budgets are the measured figures plus headroom. Re-record only after an intended change, with its reason in the commit: ${RERECORD}`,
        headroom: HEADROOM,
        measured,
        nonstream: Object.fromEntries(BUDGETED.map((k) => [k, budgetFor(measured.nonstream[k], k)])) as BudgetFile['nonstream'],
        stream: Object.fromEntries(BUDGETED.map((k) => [k, budgetFor(measured.stream[k], k)])) as BudgetFile['stream'],
      };
      writeFileSync(FILE, `${JSON.stringify(next, null, 2)}\n`);
      console.log(`hot-path: recorded ${JSON.stringify({ nonstream: next.nonstream, stream: next.stream })} in test/hot-path-budget.json`);
      return;
    }
    const over: string[] = [];
    const under: string[] = [];
    for (const mode of MODES) {
      for (const key of BUDGETED) {
        const got = cost[mode][key];
        const limit = budget[mode][key];
        const was = budget.measured[mode][key];
        if (got > limit) over.push(`  ${mode} ${key}: measured ${got}, budget ${limit} (recorded ${was}, +${Math.round(((got - was) / was) * 1000) / 10} %)`);
        else if (got < was * 0.9) under.push(`${mode} ${key} ${got} (recorded ${was})`);
      }
    }
    if (under.length) console.log(`hot-path: well under the recorded figures (${under.join(', ')}): re-record to keep the gain: ${RERECORD}`);
    if (over.length > 0) {
      throw new Error(
        `The chat path costs more than its recorded budget:\n${over.join('\n')}\n` +
          `If the growth is intended (a feature that must cost this), re-record and commit test/hot-path-budget.json with the reason:\n  ${RERECORD}\n` +
          `See docs/performance.md, "The hot-path budget (test/hot-path-budget.test.ts)".`,
      );
    }
  });
});
