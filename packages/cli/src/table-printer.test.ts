import type { Table } from '@jobfleet/client';
import { describe, expect, it } from 'vitest';
import { cellText, printTable } from './table-printer.js';

const column = (name: string, priority = 0, format = '') => ({ name, type: 'string', format, description: '', priority });

/** A Table as the server answers `GET …/pods` with kubectl's Accept header. */
const pods: Table = {
  kind: 'Table',
  apiVersion: 'meta.k8s.io/v1',
  metadata: { resourceVersion: '9' },
  columnDefinitions: [column('Name', 0, 'name'), column('Ready'), column('Status'), column('Restarts', 0), column('Age'), column('IP', 1), column('Node', 1), column('Nominated Node', 1)],
  rows: [
    { cells: ['echo-job-x7k2p', '0/1', 'Completed', 0, '5m', '<none>', 'node-1', '<none>'] },
    { cells: ['pi-abcde', '1/1', 'Running', 2, '12s', '<none>', 'node-22', '<none>'] },
  ],
};

describe('printTable (kubectl get of a server-side Table)', () => {
  it('shows the priority-0 columns, upper-cased, aligned by the tabwriter', () => {
    expect(printTable(pods)).toBe(
      ['NAME             READY   STATUS      RESTARTS   AGE', 'echo-job-x7k2p   0/1     Completed   0          5m', 'pi-abcde         1/1     Running     2          12s', ''].join('\n'),
    );
  });

  it('-o wide adds the priority > 0 columns in the server order', () => {
    expect(printTable(pods, { wide: true }).split('\n')[0]).toBe('NAME             READY   STATUS      RESTARTS   AGE   IP       NODE      NOMINATED NODE');
  });

  it('prefixes the name column with the kind when several kinds are printed', () => {
    expect(printTable(pods, { kindPrefix: 'pod' }).split('\n')[1]).toMatch(/^pod\/echo-job-x7k2p {3}/);
  });

  it('-A puts NAMESPACE first, from each row\'s object (PartialObjectMetadata)', () => {
    const rows = pods.rows.map((row, i) => ({ ...row, object: { kind: 'PartialObjectMetadata', metadata: { name: String(row.cells[0]), namespace: i === 0 ? 'default' : 'team-b' } } }));
    expect(printTable({ ...pods, rows }, { allNamespaces: true })).toBe(
      [
        'NAMESPACE   NAME             READY   STATUS      RESTARTS   AGE',
        'default     echo-job-x7k2p   0/1     Completed   0          5m',
        'team-b      pi-abcde         1/1     Running     2          12s',
        '',
      ].join('\n'),
    );
  });

  it('prints nothing, not even the header, without rows', () => {
    expect(printTable({ ...pods, rows: [] })).toBe('');
  });

  it('leaves out cells past the column definitions and blanks missing ones', () => {
    const table: Table = { ...pods, columnDefinitions: [column('Name'), column('Age')], rows: [{ cells: ['a'] }, { cells: ['b', '1s', 'extra'] }] };
    expect(printTable(table)).toBe('NAME   AGE\na      \nb      1s\n');
  });
});

describe('cellText', () => {
  it.each([
    { cell: 'plain', want: 'plain' },
    { cell: 3, want: '3' },
    { cell: true, want: 'true' },
    { cell: null, want: '' },
    { cell: 'first line\nsecond', want: 'first line...' },
    { cell: 'bell\x1b[31mred', want: 'bell^[[31mred' },
  ])('$cell → $want', ({ cell, want }) => {
    expect(cellText(cell)).toBe(want);
  });
});
