import { describe, expect, it } from 'vitest';
import { alignTabs, formatTable, KUBECTL_DESCRIBE_TABWRITER } from './tabwriter.js';

describe('formatTable (kubectl get layout: minWidth 6, padding 3)', () => {
  it('pads every column but the last to its widest cell + 3, at least 6', () => {
    const text = formatTable(['name', 'status', 'completions', 'duration', 'age'], [
      ['echo-job', 'Complete', '5/5', '12s', '5m'],
      ['pi', 'Running', '0/1', '3s', '3s'],
    ]);
    expect(text).toBe(
      [
        'NAME       STATUS     COMPLETIONS   DURATION   AGE',
        'echo-job   Complete   5/5           12s        5m',
        'pi         Running    0/1           3s         3s',
        '',
      ].join('\n'),
    );
  });

  it('keeps short columns at the minimum width of 6', () => {
    expect(formatTable(['a', 'b'], [['x', 'y']])).toBe('A     B\nx     y\n');
  });

  it('counts characters, not bytes', () => {
    expect(formatTable(['n', 'v'], [['héllo', '1']])).toBe('N       V\nhéllo   1\n');
  });
});

describe('alignTabs (Go tabwriter column blocks)', () => {
  it('aligns only consecutive lines that have the cell; a line without tabs ends the block', () => {
    const text = 'Name:\tpi\nCompletions:\t5\nPod Template:\n  Labels:\tx=y\n';
    expect(alignTabs(text, KUBECTL_DESCRIBE_TABWRITER)).toBe('Name:         pi\nCompletions:  5\nPod Template:\n  Labels:  x=y\n');
  });

  it('nests blocks per column', () => {
    const text = 'a\tb\tc\naaaa\tb\nx\n';
    expect(alignTabs(text, { minWidth: 0, padding: 1 })).toBe('a    b c\naaaa b\nx\n');
  });
});
