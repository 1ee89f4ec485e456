/**
 * The import graph of core/ and plugins/, read with TypeScript's own pre-processor: static
 * imports, `import type`, re-exports and dynamic `import()` all count, since a type-only cycle
 * still ties modules together for a reader and for `.d.ts` output.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';

export type Graph = Map<string, string[]>;

function sources(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) sources(p, out);
    else if (p.endsWith('.ts') && !p.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every module under `dirs` (relative to `root`) and the modules of the same tree it imports. */
export function importGraph(root: string, dirs: string[]): Graph {
  const graph: Graph = new Map();
  for (const file of dirs.flatMap((d) => sources(join(root, d)))) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    const from = relative(root, file);
    const to = info.importedFiles
      .map((i) => i.fileName)
      .filter((name) => name.startsWith('.'))
      .map((name) => relative(root, resolve(dirname(file), name.replace(/\.js$/, '.ts'))));
    graph.set(from, to);
  }
  return graph;
}

/** The import cycles of a graph: each strongly connected component of more than one module, or a module importing itself. */
export function cycles(graph: Graph): string[][] {
  let index = 0;
  const stack: string[] = [];
  const on = new Set<string>();
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

/** The layer a core module belongs to: its folder under core/, or `app` for core's own top-level files. */
export function layerOf(file: string): string {
  const parts = file.split('/');
  if (parts[0] !== 'core') return parts.slice(0, 2).join('/');
  if (parts.length === 2) return parts[1] === 'index.ts' ? 'kit' : 'app';
  return parts[1];
}

/**
 * Imports that break the rules: in core, only from the module's own layer or one listed before
 * it in `layers`; core never imports plugins; a plugin imports only the kit (core/index.ts) and
 * its own folder.
 */
export function wrongWay(graph: Graph, layers: readonly string[]): string[] {
  const out: string[] = [];
  for (const [from, tos] of graph) {
    const a = layerOf(from);
    for (const to of tos) {
      const b = layerOf(to);
      if (from.startsWith('core/')) {
        if (to.startsWith('plugins/')) out.push(`${from} -> ${to}: core never imports a plugin`);
        else if (!layers.includes(a) || !layers.includes(b)) out.push(`${from} -> ${to}: layer ${layers.includes(a) ? b : a} is not in the documented order`);
        else if (layers.indexOf(b) > layers.indexOf(a)) out.push(`${from} -> ${to}: ${a} may not import ${b} (a higher layer)`);
      } else if (to.startsWith('core/') && to !== 'core/index.ts') out.push(`${from} -> ${to}: a plugin imports core only through the kit (core/index.ts)`);
      else if (to.startsWith('plugins/') && b !== a) out.push(`${from} -> ${to}: a plugin never imports another plugin`);
    }
  }
  return out;
}
