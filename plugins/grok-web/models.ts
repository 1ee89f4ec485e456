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

/**
 * The default catalogue; `catalog:` in the provider's options replaces entries by id or adds
 * models. First the web app's four chat modes as grok.com names them today, then the names
 * clients already use, each played by a mode over the gateway (see gatewayMode).
 */
export const DEFAULT_MODELS: readonly GrokModel[] = [
  { id: 'grok-chat-fast', dialect: 'v2', modeId: 'fast', cost: 1, tier: 'basic' },
  { id: 'grok-chat-auto', dialect: 'v2', modeId: 'auto', cost: 1, tier: 'super' },
  { id: 'grok-chat-expert', dialect: 'v2', modeId: 'expert', cost: 1, tier: 'super', reasoning: true },
  { id: 'grok-chat-heavy', dialect: 'v2', modeId: 'heavy', cost: 1, tier: 'heavy', reasoning: true },
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

/** The web app's chat modes; the gateway names the mode, not a model. */
export type GatewayMode = 'fast' | 'auto' | 'expert' | 'heavy';
const MODES = new Set<string>(['fast', 'auto', 'expert', 'heavy']);

/** The lowest account tier each mode serves (the web app's own rule). */
export const MODE_TIERS: Readonly<Record<GatewayMode, Tier>> = { fast: 'basic', auto: 'super', expert: 'super', heavy: 'heavy' };

/**
 * The mode a catalogue entry asks the gateway for: a v2 entry's own mode; a v1 model (the names
 * from before the modes) the mode that plays it: heavy for heavy, expert for a thinking model,
 * fast otherwise.
 */
export function gatewayMode(model: GrokModel): GatewayMode {
  if (model.dialect === 'v2' && model.modeId && MODES.has(model.modeId)) return model.modeId as GatewayMode;
  if (/heavy/i.test(`${model.modelName ?? ''} ${model.modelMode ?? ''}`)) return 'heavy';
  return model.reasoning ? 'expert' : model.dialect === 'v2' ? 'auto' : 'fast';
}

/**
 * The lowest tier that may serve a model: its own, and over the gateway at least its mode's (a
 * v1 thinking model is played by expert, which basic accounts do not have).
 */
export function tierOf(model: GrokModel, gateway: boolean): Tier {
  if (!gateway) return model.tier;
  const mode = MODE_TIERS[gatewayMode(model)];
  return TIERS.indexOf(mode) > TIERS.indexOf(model.tier) ? mode : model.tier;
}

/** The catalogue with the config's entries merged over the defaults (same id: replaced; new id: added). */
export function catalogue(overrides: readonly GrokModel[] = []): Map<string, GrokModel> {
  const out = new Map(DEFAULT_MODELS.map((m) => [m.id, m]));
  for (const m of overrides) out.set(m.id, m);
  return out;
}

/** The account tiers that may serve a model, in the order to try them. */
export function tiersFor(model: GrokModel, gateway = false): readonly Tier[] {
  return TIERS.slice(TIERS.indexOf(tierOf(model, gateway)));
}

/** The quota window a model draws from: its mode (v2) or model name (v1). */
export function quotaKey(model: GrokModel): string {
  return model.dialect === 'v2' ? (model.modeId ?? 'auto') : (model.modelName ?? model.id);
}
