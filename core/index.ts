/**
 * The public surface of the core, as the `switchboard` package will export it: the provider kit
 * and the extension kit. Plugins import from here and nowhere else in core/.
 */
export * from './kit/provider-kit.js';
export * from './kit/extension-kit.js';
