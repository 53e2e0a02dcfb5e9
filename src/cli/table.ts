/**
 * Plain-text tables for the terminal: left-aligned text, right-aligned numbers.
 */

/** Renders rows under headers; a column whose filled cells are all numbers is right-aligned. */
export function formatTable(
  headers: readonly string[],
  rows: readonly (readonly (string | number)[])[],
): string {
  const cells = rows.map((row) => row.map((cell) => String(cell)));
  const numeric = headers.map(
    (_, c) =>
      rows.some((row) => typeof row[c] === 'number') &&
      rows.every((row) => typeof row[c] === 'number' || row[c] === '' || row[c] === undefined),
  );
  const widths = headers.map((h, c) =>
    Math.max(h.length, ...cells.map((row) => (row[c] ?? '').length)),
  );
  const line = (row: readonly string[]) =>
    row
      .map((cell, c) => (numeric[c] ? cell.padStart(widths[c] ?? 0) : cell.padEnd(widths[c] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
}
