import { ColumnUserConfig, getBorderCharacters, table } from 'table';

export interface TableColumn {
  readonly header: string;
  /** @default 'left' */
  readonly align?: 'left' | 'right';
  /**
   * May wrap onto several lines to fit the terminal (messages, reasons). Columns that are not flexible, such as
   * resource addresses, are never cut or wrapped. @default false
   */
  readonly wrap?: boolean;
}

/** A left-aligned column. */
export const left = (header: string): TableColumn => ({ header });
/** A right-aligned column, for numbers. */
export const right = (header: string): TableColumn => ({ header, align: 'right' });
/** A column that wraps to fit the terminal, for messages and reasons. */
export const wrapped = (header: string): TableColumn => ({ header, wrap: true });

const GAP = 2;
const MIN_WRAPPED_WIDTH = 12;

/**
 * The width a table may use: the terminal's on a TTY, unbounded otherwise (a pipe or a CI log gets plain, unwrapped
 * lines that grep and cut can read).
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number | undefined {
  return stream.isTTY && stream.columns ? stream.columns : undefined;
}

/** Aligned columns without borders; on a bounded width, the `wrap` columns wrap so each line fits. */
export function formatTable(columns: readonly TableColumn[], rows: readonly (readonly string[])[], width?: number): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => row.map((cell) => cell.replace(/\t/g, ' ')))];
  const natural = columns.map((_, i) =>
    Math.max(1, ...cells.map((row) => (row[i] ?? '').split('\n').reduce((m, l) => Math.max(m, l.length), 0))),
  );
  if (width === undefined) return plainLines(columns, cells, natural);
  const widths = [...natural];
  const fixed = columns.reduce((sum, c, i) => sum + (c.wrap ? 0 : natural[i]), 0) + GAP * (columns.length - 1);
  const wrapped = columns.map((c, i) => (c.wrap ? i : -1)).filter((i) => i >= 0);
  const wanted = wrapped.reduce((sum, i) => sum + natural[i], 0);
  const room = width - fixed - 1;
  if (wrapped.length > 0 && wanted > room) {
    for (const i of wrapped) widths[i] = Math.max(MIN_WRAPPED_WIDTH, Math.floor((natural[i] / wanted) * room));
  }
  const config: Record<number, ColumnUserConfig> = {};
  columns.forEach((column, i) => {
    config[i] = {
      width: widths[i],
      wrapWord: Boolean(column.wrap),
      alignment: column.align ?? 'left',
      paddingLeft: 0,
      paddingRight: i === columns.length - 1 ? 0 : GAP,
    };
  });
  return table(cells, {
    border: getBorderCharacters('void'),
    drawHorizontalLine: () => false,
    columns: config,
  })
    .split('\n')
    .map((line) => line.trimEnd())
    .filter((line, index, all) => line !== '' || index < all.length - 1)
    .join('\n');
}

/**
 * Unbounded output (a pipe, a CI log): columns aligned to their widest cell except a left-aligned last one, which is never padded,
 * so one very long reason (a rule listing hundreds of resources) costs its own length, not its length times every row.
 */
function plainLines(columns: readonly TableColumn[], cells: readonly (readonly string[])[], natural: readonly number[]): string {
  const last = columns.length - 1;
  const lines: string[] = [];
  for (const row of cells) {
    const cellLines = columns.map((_, i) => (row[i] ?? '').split('\n'));
    const height = Math.max(...cellLines.map((l) => l.length));
    for (let line = 0; line < height; line++) {
      const text = columns.map((column, i) => {
        const value = cellLines[i][line] ?? '';
        if (i === last && column.align !== 'right') return value;
        const padded = column.align === 'right' ? value.padStart(natural[i]) : value.padEnd(natural[i]);
        return padded + ' '.repeat(GAP);
      });
      lines.push(text.join('').trimEnd());
    }
  }
  return lines.join('\n');
}
