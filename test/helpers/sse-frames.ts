/**
 * SSE text as the events a client parses: each blank-line-separated block's `event:` name and its
 * `data:` lines joined and parsed as JSON. Fails on a block that is not a whole event, so a
 * renderer that frames its own events is held to the format.
 */
export function parseFrames(text: string): { name: string; data: Record<string, unknown> }[] {
  if (!text.endsWith('\n\n')) throw new Error(`SSE text that does not end an event: ${JSON.stringify(text.slice(-80))}`);
  return text
    .slice(0, -2)
    .split('\n\n')
    .map((block) => {
      let name = '';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event: ')) name = line.slice(7);
        else if (line.startsWith('data: ')) data.push(line.slice(6));
        else throw new Error(`not an SSE field line: ${JSON.stringify(line)}`);
      }
      return { name, data: JSON.parse(data.join('\n')) as Record<string, unknown> };
    });
}
