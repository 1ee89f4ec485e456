/** A body's bytes, or the `tooLarge` error as soon as it passes `maxBytes` (the rest is not read). */
export async function readCapped(body: AsyncIterable<unknown> & { destroy(): unknown }, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) {
      body.destroy();
      throw tooLarge();
    }
    parts.push(chunk as Buffer);
  }
  return Buffer.concat(parts, size);
}
