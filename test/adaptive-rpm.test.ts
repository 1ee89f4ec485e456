/** The adaptive requests-per-minute estimate the rate-limits endpoint shows, on a fake clock. */
import { describe, expect, it } from 'vitest';
import { AdaptiveRpm } from '../core/pool/adaptive-rpm.js';
import type { AdaptiveRecord } from '../core/state/adaptive-record.js';
import { ManualClock } from '../core/state/clock.js';

const MIN = 60_000;

function make() {
  const clock = new ManualClock();
  const section = Object.create(null) as Record<string, AdaptiveRecord>;
  return { clock, section, rpm: new AdaptiveRpm(section, clock) };
}

describe('adaptive RPM estimate', () => {
  it('starts at 30 and is cut ×0.6 on a 429, at most once every 30 s', () => {
    const { clock, section, rpm } = make();
    rpm.rateLimited('m');
    expect(section.m.guess).toBe(18);
    clock.advance(29_999);
    rpm.rateLimited('m');
    expect(section.m.guess).toBe(18);
    clock.advance(1);
    rpm.rateLimited('m');
    expect(section.m.guess).toBe(10.8);
    expect(section.m.last429At).toBe(clock.now());
  });

  it('rises ×1.2 after five quiet minutes, not before, and not for a model just seen', () => {
    const { clock, section, rpm } = make();
    rpm.advertised('m', 15); // first sight of the model: tracking starts now
    rpm.succeeded('m');
    expect(section.m.guess).toBe(30);
    rpm.rateLimited('m');
    clock.advance(5 * MIN - 1);
    rpm.succeeded('m');
    expect(section.m.guess).toBe(18);
    clock.advance(1);
    rpm.succeeded('m');
    expect(section.m.guess).toBe(21.6);
    rpm.succeeded('m'); // the next raise needs another quiet five minutes
    expect(section.m.guess).toBe(21.6);
    expect(section.m.hardCap).toBe(15);
  });

  it('stays within 1 and 200', () => {
    const { clock, section, rpm } = make();
    for (let i = 0; i < 20; i++) {
      rpm.rateLimited('m');
      clock.advance(30_000);
    }
    expect(section.m.guess).toBe(1);
    for (let i = 0; i < 40; i++) {
      clock.advance(5 * MIN);
      rpm.succeeded('m');
    }
    expect(section.m.guess).toBe(200);
  });
});
