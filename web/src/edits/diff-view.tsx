import type { EditPreview } from '../api/types';

type DiffLine = { kind: 'add' | 'remove' | 'context' | 'fold'; text: string };

/**
 * The lines of a unified diff worth showing: file headers dropped, each hunk header turned into a fold
 * marker that says how many unchanged lines it skips (the diff itself keeps three lines of context).
 */
export function diffLines(diff: string): DiffLine[] {
  const lines: DiffLine[] = [];
  let nextOldLine = 1;
  for (const line of diff.split('\n')) {
    if (
      line.startsWith('===') ||
      line.startsWith('--- ') ||
      line.startsWith('+++ ') ||
      line.startsWith('Index:')
    )
      continue;
    const hunk = /^@@ -(\d+)(?:,(\d+))? /.exec(line);
    if (hunk) {
      const start = Number(hunk[1]);
      const skipped = start - nextOldLine;
      if (skipped > 0)
        lines.push({ kind: 'fold', text: `⋯ ${skipped} unchanged line${skipped === 1 ? '' : 's'}` });
      nextOldLine = start + Number(hunk[2] ?? 1);
      continue;
    }
    if (line.startsWith('\\')) continue;
    if (line.startsWith('+')) lines.push({ kind: 'add', text: line.slice(1) });
    else if (line.startsWith('-')) lines.push({ kind: 'remove', text: line.slice(1) });
    else if (line.startsWith(' ')) lines.push({ kind: 'context', text: line.slice(1) });
  }
  return lines;
}

const SIGN = { add: '+', remove: '−', context: ' ', fold: '' } as const;

function fieldValue(value: unknown): string {
  return value === undefined || value === ''
    ? '(empty)'
    : typeof value === 'string'
      ? value
      : JSON.stringify(value);
}

/** A preview: its one-line summary (loud when destructive), the coloured diff, or records before/after. */
export function EditPreviewView({ preview }: { preview: EditPreview }) {
  return (
    <div className="edit-preview" data-testid="edit-preview">
      <p
        className={preview.destructive ? 'edit-summary destructive' : 'edit-summary'}
        data-testid="edit-summary"
      >
        {preview.summary}
      </p>
      {preview.diff && (
        <pre className="diff" data-testid="diff" title="Added lines start with +, removed lines with −">
          {diffLines(preview.diff).map((line, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: diff lines have no identity beyond position.
            <span key={index} className={`diff-line diff-${line.kind}`} data-kind={line.kind}>
              <span className="diff-sign" aria-hidden="true">
                {SIGN[line.kind]}
              </span>
              {line.text || ' '}
              {'\n'}
            </span>
          ))}
        </pre>
      )}
      {preview.records && (
        <table className="record-changes" data-testid="record-changes">
          <thead>
            <tr>
              <th>Record</th>
              <th>Field</th>
              <th>Before</th>
              <th>After</th>
            </tr>
          </thead>
          <tbody>
            {preview.records.flatMap((record, index) =>
              Object.entries(record.after).map(([field, after]) => (
                <tr key={`${record.id ?? index}-${field}`}>
                  <td>{record.id ?? 'new'}</td>
                  <td>{field}</td>
                  <td className="diff-remove">{record.before ? fieldValue(record.before[field]) : '—'}</td>
                  <td className="diff-add">{fieldValue(after)}</td>
                </tr>
              )),
            )}
          </tbody>
        </table>
      )}
    </div>
  );
}
