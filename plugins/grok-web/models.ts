/** Account tiers, lowest first: a model may use accounts of its tier and above. */
export type Tier = 'basic' | 'super' | 'heavy';
export const TIERS: readonly Tier[] = ['basic', 'super', 'heavy'];

/** How one model is asked for on the wire; data, because Grok renames its models every few months. */
export interface GrokModel {
  id: string;
  /** `v2`: `modeId`; `v1`: `modelName` + `modelMode`. */
  dialect: 'v1' | 'v2';
  modeId?: string;
  modelName?: string;
  modelMode?: string;
  /** Quota units one call costs (v1). */
  cost: number;
  tier: Tier;
  /** Thinking model: `isReasoning` on the wire (v1), thoughts streamed. */
  reasoning?: boolean;
  /** Generates images: the prompt goes as `Drawing: <prompt>`. */
  image?: boolean;
}

/** The default catalogue (the protocol reference's §6); `catalog:` in the provider's options replaces entries by id or adds models. */
export const DEFAULT_MODELS: readonly GrokModel[] = [
  { id: 'grok-4.20-0309-non-reasoning', dialect: 'v2', modeId: 'fast', cost: 1, tier: 'basic' },
  { id: 'grok-4.20-0309', dialect: 'v2', modeId: 'auto', cost: 1, tier: 'super' },
  { id: 'grok-4.20-0309-reasoning', dialect: 'v2', modeId: 'expert', cost: 1, tier: 'super', reasoning: true },
  { id: 'grok-4.20-multi-agent-0309', dialect: 'v2', modeId: 'heavy', cost: 1, tier: 'heavy', reasoning: true },
  { id: 'grok-imagine-image-lite', dialect: 'v2', modeId: 'fast', cost: 1, tier: 'basic', image: true },
  { id: 'grok-3', dialect: 'v1', modelName: 'grok-3', modelMode: 'MODEL_MODE_FAST', cost: 1, tier: 'basic' },
  { id: 'grok-3-fast', dialect: 'v1', modelName: 'grok-3', modelMode: 'MODEL_MODE_FAST', cost: 1, tier: 'basic' },
  { id: 'grok-3-thinking', dialect: 'v1', modelName: 'grok-3', modelMode: 'MODEL_MODE_GROK_3_THINKING', cost: 1, tier: 'basic', reasoning: true },
  { id: 'grok-4', dialect: 'v1', modelName: 'grok-4', modelMode: 'MODEL_MODE_GROK_4', cost: 1, tier: 'basic' },
  { id: 'grok-4-expert', dialect: 'v1', modelName: 'grok-4', modelMode: 'MODEL_MODE_EXPERT', cost: 4, tier: 'basic', reasoning: true },
  { id: 'grok-4-heavy', dialect: 'v1', modelName: 'grok-4-heavy', modelMode: 'MODEL_MODE_HEAVY', cost: 1, tier: 'super', reasoning: true },
  { id: 'grok-4-fast', dialect: 'v1', modelName: 'grok-4-mini-thinking-tahoe', modelMode: 'MODEL_MODE_GROK_4_MINI_THINKING', cost: 1, tier: 'basic', reasoning: true },
  { id: 'grok-4.1', dialect: 'v1', modelName: 'grok-4-1-non-thinking-w-tool', modelMode: 'MODEL_MODE_GROK_4_1', cost: 1, tier: 'basic' },
  { id: 'grok-4.1-thinking', dialect: 'v1', modelName: 'grok-4-1-thinking-1108b', modelMode: 'MODEL_MODE_AUTO', cost: 1, tier: 'basic', reasoning: true },
];

/** The catalogue with the config's entries merged over the defaults (same id: replaced; new id: added). */
export function catalogue(overrides: readonly GrokModel[] = []): Map<string, GrokModel> {
  const out = new Map(DEFAULT_MODELS.map((m) => [m.id, m]));
  for (const m of overrides) out.set(m.id, m);
  return out;
}

/** The account tiers that may serve a model, in the order to try them. */
export function tiersFor(model: GrokModel): readonly Tier[] {
  return TIERS.slice(TIERS.indexOf(model.tier));
}

/** The quota window a model draws from: its mode (v2) or model name (v1). */
export function quotaKey(model: GrokModel): string {
  return model.dialect === 'v2' ? (model.modeId ?? 'auto') : (model.modelName ?? model.id);
}
