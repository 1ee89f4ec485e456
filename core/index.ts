/**
 * The public surface of the core, as the `switchboard` package exports it: the provider kit
 * and the extension kit. Plugins import from here and nowhere else in core/.
 *
 * The first import claims the process for this copy of the core: a second copy refuses to load
 * (core/contract/core-instance.ts).
 */
import './contract/core-instance.js';
export * from './kit/provider-kit.js';
export * from './kit/extension-kit.js';
