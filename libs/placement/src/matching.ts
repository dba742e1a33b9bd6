import { ValidationError } from '@vgpu-twin/contracts';

/**
 * Maximum-weight matching on a general graph: Edmonds' blossom algorithm with dual variables,
 * O(n³), as described by Galil ("Efficient algorithms for finding maximum matching in graphs",
 * ACM Computing Surveys 1986) and implemented by Joris van Rantwijk (mwmatching.py, public
 * domain; also the basis of networkx's `max_weight_matching`). This is a port of that
 * implementation to integer weights: every dual stays an integer, so no floating-point slack test
 * can go wrong (callers scale real weights first, see `minWeightPerfectMatching`).
 *
 * `edges`: [i, j, w] with integer w; `maxCardinality`: only maximum-cardinality matchings count.
 * Returns mate[v] (the vertex matched to v, or −1).
 */
export function maxWeightMatching(
  edges: readonly (readonly [number, number, number])[],
  maxCardinality = false,
): Int32Array {
  const nedge = edges.length;
  let nvertex = 0;
  for (const [i, j, w] of edges) {
    if (!Number.isSafeInteger(w)) throw new ValidationError(`edge weight ${w} is not a safe integer`);
    if (i === j) throw new ValidationError(`self-loop on vertex ${i}`);
    nvertex = Math.max(nvertex, i + 1, j + 1);
  }
  if (nedge === 0) return new Int32Array(nvertex).fill(-1);
  let maxWeight = 0;
  for (const e of edges) maxWeight = Math.max(maxWeight, e[2]);

  const ei = new Int32Array(nedge);
  const ej = new Int32Array(nedge);
  const ew = new Float64Array(nedge);
  edges.forEach(([i, j, w], k) => {
    ei[k] = i;
    ej[k] = j;
    ew[k] = w;
  });
  // endpoint[p]: vertex at end p of edge p >> 1 (p even: i, odd: j).
  const endpoint = new Int32Array(2 * nedge);
  for (let p = 0; p < 2 * nedge; p++) endpoint[p] = p & 1 ? ej[p >> 1]! : ei[p >> 1]!;
  const neighbend: number[][] = Array.from({ length: nvertex }, () => []);
  for (let k = 0; k < nedge; k++) {
    neighbend[ei[k]!]!.push(2 * k + 1);
    neighbend[ej[k]!]!.push(2 * k);
  }
  const n2 = 2 * nvertex;
  const mate = new Int32Array(nvertex).fill(-1); // remote endpoint p of the matched edge
  const label = new Int32Array(n2); // 0 free, 1 S, 2 T (5 = S with breadcrumb)
  const labelend = new Int32Array(n2).fill(-1);
  const inblossom = Int32Array.from({ length: nvertex }, (_, i) => i);
  const blossomparent = new Int32Array(n2).fill(-1);
  const blossomchilds: (number[] | null)[] = new Array<number[] | null>(n2).fill(null);
  const blossombase = new Int32Array(n2).fill(-1);
  for (let i = 0; i < nvertex; i++) blossombase[i] = i;
  const blossomendps: (number[] | null)[] = new Array<number[] | null>(n2).fill(null);
  const bestedge = new Int32Array(n2).fill(-1);
  const blossombestedges: (number[] | null)[] = new Array<number[] | null>(n2).fill(null);
  const unusedblossoms: number[] = [];
  for (let b = nvertex; b < n2; b++) unusedblossoms.push(b);
  const dualvar = new Float64Array(n2);
  for (let i = 0; i < nvertex; i++) dualvar[i] = maxWeight;
  const allowedge = new Uint8Array(nedge);
  let queue: number[] = [];

  const slack = (k: number): number => dualvar[ei[k]!]! + dualvar[ej[k]!]! - 2 * ew[k]!;

  function blossomLeaves(b: number, out: number[] = []): number[] {
    if (b < nvertex) out.push(b);
    else for (const t of blossomchilds[b]!) blossomLeaves(t, out);
    return out;
  }

  function assignLabel(w: number, t: number, p: number): void {
    const b = inblossom[w]!;
    label[w] = label[b] = t;
    labelend[w] = labelend[b] = p;
    bestedge[w] = bestedge[b] = -1;
    if (t === 1) {
      for (const v of blossomLeaves(b)) queue.push(v);
    } else if (t === 2) {
      const base = blossombase[b]!;
      assignLabel(endpoint[mate[base]!]!, 1, mate[base]! ^ 1);
    }
  }

  /** Traces back from v and w to find a new blossom's base, or −1 for an augmenting path. */
  function scanBlossom(v: number, w: number): number {
    const path: number[] = [];
    let base = -1;
    while (v !== -1 || w !== -1) {
      let b = inblossom[v]!;
      if (label[b]! & 4) {
        base = blossombase[b]!;
        break;
      }
      path.push(b);
      label[b] = 5;
      if (labelend[b] === -1) v = -1;
      else {
        v = endpoint[labelend[b]!]!;
        b = inblossom[v]!;
        v = endpoint[labelend[b]!]!;
      }
      if (w !== -1) [v, w] = [w, v];
    }
    for (const b of path) label[b] = 1;
    return base;
  }

  function addBlossom(base: number, k: number): void {
    let v = ei[k]!;
    let w = ej[k]!;
    const bb = inblossom[base]!;
    let bv = inblossom[v]!;
    let bw = inblossom[w]!;
    const b = unusedblossoms.pop()!;
    blossombase[b] = base;
    blossomparent[b] = -1;
    blossomparent[bb] = b;
    const path: number[] = [];
    const endps: number[] = [];
    while (bv !== bb) {
      blossomparent[bv] = b;
      path.push(bv);
      endps.push(labelend[bv]!);
      v = endpoint[labelend[bv]!]!;
      bv = inblossom[v]!;
    }
    path.push(bb);
    path.reverse();
    endps.reverse();
    endps.push(2 * k);
    while (bw !== bb) {
      blossomparent[bw] = b;
      path.push(bw);
      endps.push(labelend[bw]! ^ 1);
      w = endpoint[labelend[bw]!]!;
      bw = inblossom[w]!;
    }
    blossomchilds[b] = path;
    blossomendps[b] = endps;
    label[b] = 1;
    labelend[b] = labelend[bb]!;
    dualvar[b] = 0;
    for (const leaf of blossomLeaves(b)) {
      if (label[inblossom[leaf]!] === 2) queue.push(leaf);
      inblossom[leaf] = b;
    }
    const bestedgeto = new Int32Array(n2).fill(-1);
    for (const sub of path) {
      const own = blossombestedges[sub];
      const nblists: number[][] = own
        ? [own]
        : blossomLeaves(sub).map((leaf) => neighbend[leaf]!.map((p) => p >> 1));
      for (const nblist of nblists) {
        for (const kk of nblist) {
          let j = ej[kk]!;
          if (inblossom[j] === b) j = ei[kk]!;
          const bj = inblossom[j]!;
          if (bj !== b && label[bj] === 1 && (bestedgeto[bj] === -1 || slack(kk) < slack(bestedgeto[bj]!))) {
            bestedgeto[bj] = kk;
          }
        }
      }
      blossombestedges[sub] = null;
      bestedge[sub] = -1;
    }
    const best: number[] = [];
    for (const kk of bestedgeto) if (kk !== -1) best.push(kk);
    blossombestedges[b] = best;
    bestedge[b] = -1;
    for (const kk of best) if (bestedge[b] === -1 || slack(kk) < slack(bestedge[b])) bestedge[b] = kk;
  }

  function expandBlossom(b: number, endstage: boolean): void {
    const childs = blossomchilds[b]!;
    for (const s of childs) {
      blossomparent[s] = -1;
      if (s < nvertex) inblossom[s] = s;
      else if (endstage && dualvar[s] === 0) expandBlossom(s, endstage);
      else for (const leaf of blossomLeaves(s)) inblossom[leaf] = s;
    }
    if (!endstage && label[b] === 2) {
      const endps = blossomendps[b]!;
      const entrychild = inblossom[endpoint[labelend[b]! ^ 1]!]!;
      let j = childs.indexOf(entrychild);
      let jstep: number;
      let endptrick: number;
      if (j & 1) {
        j -= childs.length;
        jstep = 1;
        endptrick = 0;
      } else {
        jstep = -1;
        endptrick = 1;
      }
      const at = <T>(arr: readonly T[], i: number): T => arr[i < 0 ? arr.length + i : i]!;
      let p = labelend[b]!;
      while (j !== 0) {
        label[endpoint[p ^ 1]!] = 0;
        label[endpoint[at(endps, j - endptrick) ^ endptrick ^ 1]!] = 0;
        assignLabel(endpoint[p ^ 1]!, 2, p);
        allowedge[at(endps, j - endptrick) >> 1] = 1;
        j += jstep;
        p = at(endps, j - endptrick) ^ endptrick;
        allowedge[p >> 1] = 1;
        j += jstep;
      }
      let bv = at(childs, j);
      label[endpoint[p ^ 1]!] = label[bv] = 2;
      labelend[endpoint[p ^ 1]!] = labelend[bv] = p;
      bestedge[bv] = -1;
      j += jstep;
      while (at(childs, j) !== entrychild) {
        bv = at(childs, j);
        if (label[bv] === 1) {
          j += jstep;
          continue;
        }
        const leaves = blossomLeaves(bv);
        let v = leaves[leaves.length - 1]!;
        for (const leaf of leaves) {
          v = leaf;
          if (label[leaf] !== 0) break;
        }
        if (label[v] !== 0) {
          label[v] = 0;
          label[endpoint[mate[blossombase[bv]!]!]!] = 0;
          assignLabel(v, 2, labelend[v]!);
        }
        j += jstep;
      }
    }
    label[b] = labelend[b] = -1;
    blossomchilds[b] = blossomendps[b] = null;
    blossombase[b] = -1;
    blossombestedges[b] = null;
    bestedge[b] = -1;
    unusedblossoms.push(b);
  }

  function augmentBlossom(b: number, v: number): void {
    let t = v;
    while (blossomparent[t] !== b) t = blossomparent[t]!;
    if (t >= nvertex) augmentBlossom(t, v);
    const childs = blossomchilds[b]!;
    const endps = blossomendps[b]!;
    const i = childs.indexOf(t);
    let j = i;
    let jstep: number;
    let endptrick: number;
    if (i & 1) {
      j -= childs.length;
      jstep = 1;
      endptrick = 0;
    } else {
      jstep = -1;
      endptrick = 1;
    }
    const at = <T>(arr: readonly T[], k: number): T => arr[k < 0 ? arr.length + k : k]!;
    while (j !== 0) {
      j += jstep;
      t = at(childs, j);
      const p = at(endps, j - endptrick) ^ endptrick;
      if (t >= nvertex) augmentBlossom(t, endpoint[p]!);
      j += jstep;
      t = at(childs, j);
      if (t >= nvertex) augmentBlossom(t, endpoint[p ^ 1]!);
      mate[endpoint[p]!] = p ^ 1;
      mate[endpoint[p ^ 1]!] = p;
    }
    blossomchilds[b] = [...childs.slice(i), ...childs.slice(0, i)];
    blossomendps[b] = [...endps.slice(i), ...endps.slice(0, i)];
    blossombase[b] = blossombase[blossomchilds[b][0]!]!;
  }

  function augmentMatching(k: number): void {
    const starts: [number, number][] = [
      [ei[k]!, 2 * k + 1],
      [ej[k]!, 2 * k],
    ];
    for (const start of starts) {
      let [s, p] = start;
      for (;;) {
        const bs = inblossom[s]!;
        if (bs >= nvertex) augmentBlossom(bs, s);
        mate[s] = p;
        if (labelend[bs] === -1) break;
        const t = endpoint[labelend[bs]!]!;
        const bt = inblossom[t]!;
        s = endpoint[labelend[bt]!]!;
        const j = endpoint[labelend[bt]! ^ 1]!;
        if (bt >= nvertex) augmentBlossom(bt, j);
        mate[j] = labelend[bt]!;
        p = labelend[bt]! ^ 1;
      }
    }
  }

  for (let stage = 0; stage < nvertex; stage++) {
    label.fill(0);
    bestedge.fill(-1);
    for (let b = nvertex; b < n2; b++) blossombestedges[b] = null;
    allowedge.fill(0);
    queue = [];
    for (let v = 0; v < nvertex; v++) {
      if (mate[v] === -1 && label[inblossom[v]!] === 0) assignLabel(v, 1, -1);
    }
    let augmented = false;
    for (;;) {
      while (queue.length > 0 && !augmented) {
        const v = queue.pop()!;
        for (const p of neighbend[v]!) {
          const k = p >> 1;
          const w = endpoint[p]!;
          if (inblossom[v] === inblossom[w]) continue;
          let kslack = 0;
          if (!allowedge[k]) {
            kslack = slack(k);
            if (kslack <= 0) allowedge[k] = 1;
          }
          if (allowedge[k]) {
            if (label[inblossom[w]!] === 0) assignLabel(w, 2, p ^ 1);
            else if (label[inblossom[w]!] === 1) {
              const base = scanBlossom(v, w);
              if (base >= 0) addBlossom(base, k);
              else {
                augmentMatching(k);
                augmented = true;
                break;
              }
            } else if (label[w] === 0) {
              label[w] = 2;
              labelend[w] = p ^ 1;
            }
          } else if (label[inblossom[w]!] === 1) {
            const b = inblossom[v]!;
            if (bestedge[b] === -1 || kslack < slack(bestedge[b]!)) bestedge[b] = k;
          } else if (label[w] === 0) {
            if (bestedge[w] === -1 || kslack < slack(bestedge[w]!)) bestedge[w] = k;
          }
        }
      }
      if (augmented) break;

      // No augmenting path with tight edges: change the duals (four kinds of step).
      let deltatype = -1;
      let delta = 0;
      let deltaedge = -1;
      let deltablossom = -1;
      if (!maxCardinality) {
        deltatype = 1;
        delta = Infinity;
        for (let v = 0; v < nvertex; v++) delta = Math.min(delta, dualvar[v]!);
      }
      for (let v = 0; v < nvertex; v++) {
        if (label[inblossom[v]!] === 0 && bestedge[v] !== -1) {
          const d = slack(bestedge[v]!);
          if (deltatype === -1 || d < delta) {
            delta = d;
            deltatype = 2;
            deltaedge = bestedge[v]!;
          }
        }
      }
      for (let b = 0; b < n2; b++) {
        if (blossomparent[b] === -1 && label[b] === 1 && bestedge[b] !== -1) {
          const d = slack(bestedge[b]!) / 2; // even: duals and 2w are integers of one parity here
          if (deltatype === -1 || d < delta) {
            delta = d;
            deltatype = 3;
            deltaedge = bestedge[b]!;
          }
        }
      }
      for (let b = nvertex; b < n2; b++) {
        if (
          blossombase[b]! >= 0 &&
          blossomparent[b] === -1 &&
          label[b] === 2 &&
          (deltatype === -1 || dualvar[b]! < delta)
        ) {
          delta = dualvar[b]!;
          deltatype = 4;
          deltablossom = b;
        }
      }
      if (deltatype === -1) {
        // Maximum cardinality reached: one last dual step to optimality.
        deltatype = 1;
        let m = Infinity;
        for (let v = 0; v < nvertex; v++) m = Math.min(m, dualvar[v]!);
        delta = Math.max(0, m);
      }
      for (let v = 0; v < nvertex; v++) {
        const l = label[inblossom[v]!];
        if (l === 1) dualvar[v]! -= delta;
        else if (l === 2) dualvar[v]! += delta;
      }
      for (let b = nvertex; b < n2; b++) {
        if (blossombase[b]! >= 0 && blossomparent[b] === -1) {
          if (label[b] === 1) dualvar[b]! += delta;
          else if (label[b] === 2) dualvar[b]! -= delta;
        }
      }
      if (deltatype === 1) break;
      if (deltatype === 2) {
        allowedge[deltaedge] = 1;
        let i = ei[deltaedge]!;
        if (label[inblossom[i]!] === 0) i = ej[deltaedge]!;
        queue.push(i);
      } else if (deltatype === 3) {
        allowedge[deltaedge] = 1;
        queue.push(ei[deltaedge]!);
      } else {
        expandBlossom(deltablossom, false);
      }
    }
    if (!augmented) break;
    for (let b = nvertex; b < n2; b++) {
      if (blossomparent[b] === -1 && blossombase[b]! >= 0 && label[b] === 1 && dualvar[b] === 0) {
        expandBlossom(b, true);
      }
    }
  }
  const out = new Int32Array(nvertex).fill(-1);
  for (let v = 0; v < nvertex; v++) if (mate[v]! >= 0) out[v] = endpoint[mate[v]!]!;
  return out;
}

/**
 * Minimum-weight perfect matching of the complete graph on n vertices (n even), weight(i, j)
 * real and symmetric. Weights are mapped to integers `round((W − w) · scale)` with W above every
 * weight and scale chosen so the largest is about 2³⁶ (relative precision ~1e-11, sums far below
 * 2⁵³), then a maximum-weight maximum-cardinality matching is found: on a complete graph with n
 * even that is perfect, and maximising Σ(W − w) over perfect matchings minimises Σ w.
 * Returns mate[i].
 */
export function minWeightPerfectMatching(n: number, weight: (i: number, j: number) => number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || n % 2 !== 0) {
    throw new ValidationError(`a perfect matching needs an even number of vertices, got ${n}`);
  }
  if (n === 0) return new Int32Array(0);
  const w: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const x = weight(i, j);
      if (!Number.isFinite(x)) throw new ValidationError(`weight(${i}, ${j}) = ${x} is not finite`);
      w.push(x);
      lo = Math.min(lo, x);
      hi = Math.max(hi, x);
    }
  }
  const range = hi - lo;
  const scale = range > 0 ? 2 ** 36 / range : 1;
  const edges: [number, number, number][] = [];
  let e = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) edges.push([i, j, 1 + Math.round((hi - w[e++]!) * scale)]);
  }
  const mate = maxWeightMatching(edges, true);
  if (mate.some((m) => m < 0)) throw new Error('internal error: matching on a complete graph is not perfect');
  return mate;
}
