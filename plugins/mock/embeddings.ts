import type { EmbeddingsRequest, EmbeddingsResponse } from '../../core/index.js';
import { countWords } from './text.js';

/** FNV-1a: a stable seed from text. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** mulberry32: a tiny seeded generator, so the same text always gives the same vector. */
function generator(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A unit vector determined by model and text. */
export function embed(model: string, text: string, dims: number): Float32Array {
  const next = generator(hash(`${model}\u0000${text}`));
  const v = new Float32Array(dims);
  let norm = 0;
  for (let i = 0; i < dims; i++) {
    v[i] = next() * 2 - 1;
    norm += v[i] * v[i];
  }
  norm = Math.sqrt(norm) || 1;
  for (let i = 0; i < dims; i++) v[i] /= norm;
  return v;
}

export function mockEmbeddings(req: EmbeddingsRequest, defaultDims: number): EmbeddingsResponse {
  const inputs: unknown[] = typeof req.input === 'string' ? [req.input] : typeof req.input[0] === 'number' ? [req.input] : req.input;
  const dims = req.dimensions ?? defaultDims;
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const text = typeof input === 'string' ? input : JSON.stringify(input);
    tokens += typeof input === 'string' ? countWords(input) : (input as number[]).length;
    const v = embed(req.model, text, dims);
    const embedding = req.encoding_format === 'base64' ? Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') : Array.from(v);
    return { object: 'embedding' as const, index, embedding };
  });
  return { object: 'list', data, model: req.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}
