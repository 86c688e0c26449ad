/** Numbers and table cells as people read them in reviews. */

/** 12345 -> "12,345". */
export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

/** 0.1663 -> "16.6%". */
export function formatPercent(fraction: number): string {
  return `${Math.round(fraction * 1000) / 10}%`;
}

/** 739430400 -> "705.2 MiB". */
export function formatMebibytes(bytes: number): string {
  return `${Math.round((bytes / 1048576) * 10) / 10} MiB`;
}

/** 12 -> "12x", 133.333 -> "133.3x". */
export function formatRatio(ratio: number): string {
  return `${Number.isInteger(ratio) ? ratio : ratio.toFixed(1)}x`;
}

/** Text safe inside a Markdown table cell. */
export function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}
