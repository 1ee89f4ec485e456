import type { KitContext, KitSettings } from './context.js';
import type { ScenarioKind } from './upstream.js';

/** One conformance check: an id to skip it by, a title for the test name, and what it needs. */
export interface Check {
  id: string;
  /** The test name; a function when it depends on the run's settings (an expected kind overridden). */
  title: string | ((settings: KitSettings) => string);
  /** Skip keys that also cover this check besides its id (`failures` for every failure check). */
  groups?: string[];
  /** Scenarios the upstream must play; on a fake that declares it cannot, the check fails asking for an explicit skip. */
  needs?: ScenarioKind[];
  run(ctx: KitContext): Promise<void>;
}
