import { describe, expect, it } from 'vitest';
import { readLines } from './lines.js';

function streamOf(chunks: (string | Uint8Array)[]): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    start(controller) {
      for (const chunk of chunks) controller.enqueue(typeof chunk === 'string' ? encoder.encode(chunk) : chunk);
      controller.close();
    },
  });
}

async function collect(stream: ReadableStream<Uint8Array>): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of readLines(stream)) lines.push(line);
  return lines;
}

describe('readLines', () => {
  const euro = new TextEncoder().encode('€'); // 3 bytes, split across chunks below

  it.each([
    { name: 'one chunk, several lines', chunks: ['a\nb\n'], want: ['a', 'b'] },
    { name: 'a line split across chunks', chunks: ['{"ty', 'pe":1}\n{"x"', ':2}\n'], want: ['{"type":1}', '{"x":2}'] },
    { name: 'a last line without newline', chunks: ['a\nb'], want: ['a', 'b'] },
    { name: 'empty lines are kept', chunks: ['a\n\nb\n'], want: ['a', '', 'b'] },
    { name: 'a multi-byte character split across chunks', chunks: ['x', euro.slice(0, 1), euro.slice(1), '\n'], want: ['x€'] },
    { name: 'nothing', chunks: [], want: [] },
  ])('$name', async ({ chunks, want }) => {
    expect(await collect(streamOf(chunks))).toEqual(want);
  });

  it('cancels the body when the consumer stops early', async () => {
    let cancelled = false;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        controller.enqueue(new TextEncoder().encode('line\n'));
      },
      cancel() {
        cancelled = true;
      },
    });
    for await (const line of readLines(stream)) {
      expect(line).toBe('line');
      break;
    }
    expect(cancelled).toBe(true);
  });
});
