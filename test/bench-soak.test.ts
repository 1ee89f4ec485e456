/** The soak's pure half (bench/soak-report.ts): slopes, warm-up, verdict, the table. No server runs here. */
import { describe, expect, it } from 'vitest';
import { analyze, fit, leastSquares, renderSamples, renderSoakText, warmupSeconds, type SoakSample, type SoakSummary } from '../bench/soak-report.js';

const sample = (t: number, rssMb: number, fds = 55, heapMb: number | null = 40): SoakSample => ({ t, rssMb, peakMb: rssMb + 10, heapMb, fds, requests: 100, rps: 10, fails: 0 });

describe('leastSquares', () => {
  it('recovers an exact line and gives it no error', () => {
    const r = leastSquares([0, 1, 2, 3], [5, 7, 9, 11]);
    expect(r.slope).toBeCloseTo(2, 12);
    expect(r.stderr).toBeCloseTo(0, 12);
  });

  it('fits noisy points (hand-computed: slope 0.6, stderr 0.2828)', () => {
    const r = leastSquares([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]);
    expect(r.slope).toBeCloseTo(0.6, 12);
    expect(r.stderr).toBeCloseTo(Math.sqrt(2.4 / 3 / 10), 12);
  });

  it('is NaN with one point or one distinct x; two points have a slope but no error', () => {
    expect(leastSquares([1], [1]).slope).toBeNaN();
    expect(leastSquares([2, 2, 2], [1, 2, 3]).slope).toBeNaN();
    const two = leastSquares([0, 1], [0, 3]);
    expect(two.slope).toBe(3);
    expect(two.stderr).toBeNaN();
  });

  it('refuses mismatched lengths', () => {
    expect(() => leastSquares([1, 2], [1])).toThrow(/differ/);
  });
});

describe('warm-up and fits', () => {
  it('leaves out the first 20 % of the soak', () => {
    expect(warmupSeconds(600)).toBe(120);
    expect(warmupSeconds(60)).toBe(12);
  });

  it('fits per minute, over the samples after the warm-up only, skipping missing values', () => {
    // 60 MB of start-up growth in the first two minutes, then 0.2 MB a minute
    const samples = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110].map((t) => sample(t, 100 + t / 2));
    for (let t = 120; t <= 600; t += 10) samples.push(sample(t, 160 + (0.2 * (t - 120)) / 60, 55, t === 300 ? null : 40));
    const rss = fit(samples, warmupSeconds(600), (s) => s.rssMb);
    expect(rss.points).toBe(49);
    expect(rss.slopePerMin).toBeCloseTo(0.2, 9);
    expect(fit(samples, 120, (s) => s.heapMb).points).toBe(48);
  });
});

describe('analyze', () => {
  const run = (rssPerMin: number, fdsPerMin: number, duration = 600) =>
    analyze(
      Array.from({ length: duration / 10 + 1 }, (_, i) => sample(i * 10, 120 + (rssPerMin * i * 10) / 60, 55 + Math.floor((fdsPerMin * i * 10) / 60))),
      duration,
    );

  it('calls flat RSS and fds flat', () => {
    const a = run(0.1, 0);
    expect(a.flat).toBe(true);
    expect(a.verdict).toMatch(/^FLAT: RSS \+0\.10 MB\/min/);
    expect(a.verdict).not.toMatch(/indicative/);
  });

  it('calls a growing RSS or a growing fd count not flat', () => {
    expect(run(2, 0).flat).toBe(false);
    expect(run(2, 0).verdict).toMatch(/^NOT FLAT: RSS \+2\.00 MB\/min/);
    expect(run(-2, 0).flat).toBe(false); // shrinking by that much is not "flat" either
    expect(run(0, 6).flat).toBe(false);
  });

  it('says a one-minute soak is only indicative, and a soak without samples after the warm-up unknown', () => {
    expect(run(0, 0, 60).verdict).toMatch(/indicative only/);
    const a = analyze([sample(0, 100)], 60);
    expect(a.flat).toBe(false);
    expect(a.verdict).toMatch(/^UNKNOWN/);
  });
});

describe('rendering', () => {
  it('aligns the sample table, with n/a for a missing heap', () => {
    const lines = renderSamples([sample(0, 99.94), { ...sample(10, 123.46, 1234, null), rps: 1499.6, requests: 14996, fails: 3 }]);
    expect(lines).toEqual([
      't s  req/s  requests  fails  RSS MB  peak MB  heap MB   fds',
      '  0     10       100      0    99.9    109.9     40.0    55',
      ' 10   1500     14996      3   123.5    133.5      n/a  1234',
    ]);
  });

  it('renders the whole report: settings, samples, counts per kind, slopes and the verdict last', () => {
    const samples = Array.from({ length: 7 }, (_, i) => sample(i * 10, 120));
    const s: SoakSummary = {
      settings: { durationS: 60, intervalS: 10, concurrency: 16, thinkMs: 5, chunks: 20, mix: { chat: 100 } },
      environment: { node: 'v20.20.2', cpus: 2, cpuModel: 'CPU', date: '2026-12-03T00:00:00.000Z' },
      kinds: { chat: { count: 590, fails: 0 }, 'bad key': { count: 10, fails: 2 } },
      samples,
      analysis: analyze(samples, 60),
    };
    const text = renderSoakText(s);
    expect(text).toContain('60 s of mixed traffic at 16 concurrent clients (5 ms pause');
    expect(text).toContain('requests: 600 (10/s), fails 2: chat 590, bad key 10 (2 failed)');
    expect(text).toContain('RSS +0.000 MB/min ± 0.000 (5 samples)');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^FLAT: /);
  });
});
