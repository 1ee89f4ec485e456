/**
 * The shape the code keeps: no import cycles (type-only ones included), core's layers import
 * only downwards in the order docs/architecture.md documents, core never imports a plugin, and
 * plugins reach core only through the public kit.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { cycles, importGraph, layerOf, wrongWay, type Graph } from './helpers/import-graph.js';

const root = new URL('..', import.meta.url).pathname;
const graph = importGraph(root, ['core', 'plugins']);

/** The layer order as docs/architecture.md writes it: the line `Layers, lowest first: a < b < ...`. */
function documentedLayers(): string[] {
  const doc = readFileSync(new URL('../docs/architecture.md', import.meta.url), 'utf8');
  const line = /^Layers, lowest first: (.+)$/m.exec(doc);
  expect(line, 'docs/architecture.md lists the layers on a line "Layers, lowest first: a < b < ..."').not.toBeNull();
  return line![1].replace(/`/g, '').replace(/\.$/, '').split('<').map((s) => s.trim());
}

describe('architecture', () => {
  it('has no import cycle, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('imports only downwards through the documented layers; plugins only through the kit', () => {
    expect(wrongWay(graph, documentedLayers())).toEqual([]);
  });

  it('documents every folder of core/ as a layer', () => {
    const layers = documentedLayers();
    const present = new Set([...graph.keys()].filter((f) => f.startsWith('core/')).map(layerOf));
    expect([...present].filter((l) => !layers.includes(l))).toEqual([]);
  });

  it('keeps the testing kit on top: above app, so nothing the server runs imports it', () => {
    const layers = documentedLayers();
    expect(layers.at(-1)).toBe('testing');
    expect(layers.indexOf('testing')).toBeGreaterThan(layers.indexOf('app'));
    const into = [...graph].flatMap(([from, tos]) => tos.filter((t) => t.startsWith('core/testing/') && !from.startsWith('core/testing/')).map((t) => `${from} -> ${t}`));
    expect(into).toEqual([]);
  });

  it('the checks fail on a wrong-way import and on a type-only cycle', () => {
    const bad: Graph = new Map([
      ['core/contract/provider.ts', ['core/pool/lease.ts']],
      ['core/pool/lease.ts', ['core/contract/provider.ts']],
      ['plugins/a/index.ts', ['plugins/b/index.ts', 'core/pool/lease.ts']],
      ['core/http/x.ts', ['plugins/a/index.ts']],
    ]);
    expect(cycles(bad)).toEqual([['core/contract/provider.ts', 'core/pool/lease.ts']]);
    expect(wrongWay(bad, ['contract', 'pool', 'http'])).toEqual([
      'core/contract/provider.ts -> core/pool/lease.ts: contract may not import pool (a higher layer)',
      'plugins/a/index.ts -> plugins/b/index.ts: a plugin never imports another plugin',
      'plugins/a/index.ts -> core/pool/lease.ts: a plugin imports core only through the kit (core/index.ts)',
      'core/http/x.ts -> plugins/a/index.ts: core never imports a plugin',
    ]);
  });
});
