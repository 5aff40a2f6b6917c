// Text as the terminal draws it: grapheme clusters (what a person sees as
// one character: 👩‍👩‍👧‍👦 is seven code points, é may be two) of 0, 1 or 2
// columns. Agents print emoji and CJK in tasks, errors and log lines;
// measured in code points, a row of them overran its width, pushed the
// cells after it along and wrapped onto a second screen row, and the frame
// grew past the terminal. Widths are string-width's, the measure Ink lays
// out by, so what a view-model cuts to 80 columns Ink draws in 80.
//
// These run for every row of every frame: printable ASCII (nearly all of
// it) is one column a character and takes a fast path; the rest is
// segmented once per distinct string and kept in bounded caches.

import stringWidth from 'string-width';
import { printableText } from '../../contract/printable.js';

export interface Cluster {
  text: string;
  width: number;
}

// eslint-disable-next-line no-control-regex
const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** True when every character of `text` is one column and one cluster. */
export function isPlainAscii(text: string): boolean {
  return PRINTABLE_ASCII.test(text);
}

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** A cache that forgets everything once full: cheap, and a busy log's stream of new lines cannot grow it without bound. */
class BoundedCache<V> {
  private readonly map = new Map<string, V>();
  constructor(private readonly limit: number) {}
  get(key: string): V | undefined {
    return this.map.get(key);
  }
  set(key: string, value: V): void {
    if (this.map.size >= this.limit) this.map.clear();
    this.map.set(key, value);
  }
}

const clusterWidths = new BoundedCache<number>(4096);
const clusterLists = new BoundedCache<readonly Cluster[]>(2048);

function clusterWidth(cluster: string): number {
  if (cluster.length === 1) {
    const code = cluster.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) return 1;
  }
  let width = clusterWidths.get(cluster);
  if (width === undefined) {
    width = stringWidth(cluster);
    clusterWidths.set(cluster, width);
  }
  return width;
}

/**
 * The grapheme clusters, with their widths, of `text` as it is drawn: its
 * printable form (contract/printable.ts: no escape sequence or control
 * character from an agent reaches the terminal), which <Styled> draws too,
 * so what is measured here is what is drawn. The result is shared: never change it.
 */
export function clustersOf(text: string): readonly Cluster[] {
  if (isPlainAscii(text)) return Array.from(text, (char) => ({ text: char, width: 1 }));
  let clusters = clusterLists.get(text);
  if (clusters === undefined) {
    const list: Cluster[] = [];
    for (const { segment } of segmenter.segment(printableText(text))) list.push({ text: segment, width: clusterWidth(segment) });
    clusters = list;
    clusterLists.set(text, clusters);
  }
  return clusters;
}

/** Columns `text` takes on a terminal. */
export function textWidth(text: string): number {
  if (isPlainAscii(text)) return text.length;
  let width = 0;
  for (const cluster of clustersOf(text)) width += cluster.width;
  return width;
}

/**
 * The longest head of `text` within `width` columns, whole clusters only,
 * and the columns it takes (one less than `width` where a 2-column
 * character did not fit: the caller pads).
 */
export function headWithin(text: string, width: number): { text: string; width: number } {
  if (width <= 0) return { text: '', width: 0 };
  if (isPlainAscii(text)) {
    const head = text.length <= width ? text : text.slice(0, width);
    return { text: head, width: head.length };
  }
  let used = 0;
  let head = '';
  for (const cluster of clustersOf(text)) {
    if (used + cluster.width > width) break;
    used += cluster.width;
    head += cluster.text;
  }
  return { text: head, width: used };
}
