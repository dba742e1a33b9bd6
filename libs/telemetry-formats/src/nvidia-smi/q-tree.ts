/**
 * The indented `key : value` text of `nvidia-smi -q` and `nvidia-smi vgpu -q` as a tree.
 *
 * A line is `key : value` (split at the first `" : "`, so a value may hold colons) or a bare key
 * that opens a group (`FB Memory Usage`). A line belongs to the nearest line above it that is
 * indented less. The column where `:` sits differs between drivers and even between sections of
 * one output, so only the indentation of the key matters. Blank lines and the `=====NVSMI LOG=====`
 * banner are skipped. Keys are matched case-insensitively (`Gpu` in a vGPU guest, `GPU` on a host).
 *
 * Below the tree: the lookups both parsers share (`GPU <bus id>` blocks, count lines, numbers at a
 * path of keys, each with the line and the `Group/Key` field a problem names).
 */
import { type Problem } from '../reading';
import { readCount, readNumber, readText, readTimestamp, splitLines, type Units } from './values';

export interface QNode {
  key: string;
  /** The text after `" : "`; null for a group line with no value. */
  value: string | null;
  /** 1-based line. */
  line: number;
  children: QNode[];
}

export function parseQTree(text: string): QNode[] {
  const root: QNode = { key: '', value: null, line: 0, children: [] };
  const open: { indent: number; node: QNode }[] = [{ indent: -1, node: root }];
  splitLines(text).forEach((raw, i) => {
    const trimmed = raw.trim();
    if (trimmed === '' || /^=+[^=]*=+$/.test(trimmed)) return;
    const indent = raw.length - raw.trimStart().length;
    const node = { ...splitKeyValue(raw), line: i + 1, children: [] };
    while (open[open.length - 1]!.indent >= indent) open.pop();
    open[open.length - 1]!.node.children.push(node);
    open.push({ indent, node });
  });
  return root.children;
}

function splitKeyValue(raw: string): { key: string; value: string | null } {
  const at = raw.indexOf(' : ');
  if (at >= 0) return { key: normaliseKey(raw.slice(0, at)), value: raw.slice(at + 3).trim() };
  // `Key :` with its trailing space stripped: a key with an empty value.
  const empty = /^(.*\S)\s+:$/.exec(raw.trimEnd());
  if (empty) return { key: normaliseKey(empty[1]!), value: '' };
  return { key: normaliseKey(raw), value: null };
}

function normaliseKey(key: string): string {
  return key.trim().replace(/\s+/g, ' ');
}

/** The first child whose key is one of `keys` (case-insensitive), trying the keys in order. */
export function qChild(node: QNode | undefined, ...keys: string[]): QNode | undefined {
  if (!node) return undefined;
  for (const key of keys) {
    const wanted = key.toLowerCase();
    const found = node.children.find((c) => c.key.toLowerCase() === wanted);
    if (found) return found;
  }
  return undefined;
}

const GPU_HEADER = /^GPU\s+(\S+)$/i;

/**
 * What `-q` and `vgpu -q` print above and around the GPU blocks: `Timestamp` (read as UTC, see
 * `readSmiTime`), `Driver Version`, and `Attached GPUs`, checked against the blocks found.
 */
export function qDocument(
  text: string,
  command: string,
  problems: Problem[],
): { blocks: { node: QNode; busId: string }[]; timestampMs: number | null; driverVersion: string | null } {
  const doc: QNode = { key: '', value: null, line: 1, children: parseQTree(text) };
  const timestamp = qChild(doc, 'Timestamp');
  const timestampMs = timestamp?.value ? readTimestamp(timestamp.value, qAt(timestamp), problems) : null;
  const blocks = gpuBlocks(doc.children);
  if (blocks.length === 0) {
    problems.push({ line: 1, field: 'GPU', message: `no \`GPU <bus id>\` block: not ${command} output` });
  }
  checkCount(qChild(doc, 'Attached GPUs'), blocks.length, problems);
  return { blocks, timestampMs, driverVersion: readText(qChild(doc, 'Driver Version')?.value) };
}

/** Top-level `GPU <bus id>` nodes; the header's bus id as printed. */
function gpuBlocks(top: QNode[]): { node: QNode; busId: string }[] {
  return top.flatMap((node) => {
    const m = node.value === null ? GPU_HEADER.exec(node.key) : null;
    return m ? [{ node, busId: m[1]! }] : [];
  });
}

/** Compares a count line (`Attached GPUs : 8`) with the blocks found: a truncated capture has fewer. */
export function checkCount(node: QNode | undefined, found: number, problems: Problem[]): void {
  if (!node?.value) return;
  const count = readCount(node.value, qAt(node), problems);
  if (count !== null && count !== found) {
    problems.push({
      ...qAt(node),
      message: `says ${count}, but ${found} ${found === 1 ? 'block' : 'blocks'} follow`,
    });
  }
}

/** Finds a node by a path of keys (each step a key or alternatives); `field` names it as found. */
export function qFind(node: QNode, path: (string | string[])[]): { node: QNode; field: string } | undefined {
  let at: QNode | undefined = node;
  const keys: string[] = [];
  for (const step of path) {
    at = qChild(at, ...(typeof step === 'string' ? [step] : step));
    if (!at) return undefined;
    keys.push(at.key);
  }
  return at && { node: at, field: keys.join('/') };
}

/** The number at `path`; null when the path is absent or holds a note; a problem when it is not a number. */
export function qNumber(
  node: QNode,
  path: (string | string[])[],
  units: Units,
  problems: Problem[],
): number | null {
  const found = qFind(node, path);
  if (!found || found.node.value === null) return null;
  return readNumber(found.node.value, units, qAt(found.node, found.field), problems);
}

export function qAt(node: QNode, field = node.key): { line: number; field: string } {
  return { line: node.line, field };
}
