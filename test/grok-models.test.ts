/** The Grok model catalogue as data: defaults, config overrides, tier routing, quota windows. */
import { describe, expect, it } from 'vitest';
import { DEFAULT_MODELS, catalogue, quotaKey, tiersFor } from '../plugins/grok-web/models.js';

describe('Grok model catalogue', () => {
  it('holds the reference table: dialect, wire names, cost and tier', () => {
    const m = catalogue();
    expect(m.get('grok-4.20-0309')).toMatchObject({ dialect: 'v2', modeId: 'auto', tier: 'super' });
    expect(m.get('grok-4-expert')).toMatchObject({ dialect: 'v1', modelName: 'grok-4', modelMode: 'MODEL_MODE_EXPERT', cost: 4, tier: 'basic' });
    expect(m.get('grok-4-heavy')).toMatchObject({ modelName: 'grok-4-heavy', modelMode: 'MODEL_MODE_HEAVY', tier: 'super' });
    expect(m.get('grok-imagine-image-lite')?.image).toBe(true);
    expect(new Set(DEFAULT_MODELS.map((x) => x.id)).size).toBe(DEFAULT_MODELS.length);
  });

  it('config entries replace defaults by id and add new ones', () => {
    const m = catalogue([
      { id: 'grok-3', dialect: 'v2', modeId: 'fast', cost: 1, tier: 'basic' },
      { id: 'grok-5', dialect: 'v2', modeId: 'expert', cost: 1, tier: 'heavy' },
    ]);
    expect(m.get('grok-3')).toMatchObject({ dialect: 'v2', modeId: 'fast' });
    expect(m.get('grok-5')?.tier).toBe('heavy');
    expect(m.size).toBe(DEFAULT_MODELS.length + 1);
  });

  it('routes a model to its tier and the ones above, and names its quota window', () => {
    const m = catalogue();
    expect(tiersFor(m.get('grok-3')!)).toEqual(['basic', 'super', 'heavy']);
    expect(tiersFor(m.get('grok-4.20-0309')!)).toEqual(['super', 'heavy']);
    expect(tiersFor(m.get('grok-4.20-multi-agent-0309')!)).toEqual(['heavy']);
    expect(quotaKey(m.get('grok-4.20-0309-reasoning')!)).toBe('expert');
    expect(quotaKey(m.get('grok-4-fast')!)).toBe('grok-4-mini-thinking-tahoe');
  });
});
