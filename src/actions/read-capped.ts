/** Reads a stream into text, keeping at most `max` bytes; says whether more came. */
export async function readCapped(stream: AsyncIterable<Uint8Array> | null, max: number): Promise<{ text: string; truncated: boolean; bytes: number }> {
  const chunks: Uint8Array[] = [];
  let kept = 0;
  let bytes = 0;
  if (stream) {
    for await (const chunk of stream) {
      bytes += chunk.length;
      if (kept < max) {
        const part = chunk.subarray(0, max - kept);
        chunks.push(part);
        kept += part.length;
      }
    }
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: bytes > kept, bytes };
}
