/** @file The IR verifier: single assignment, def-before-use, arity, recorded types equal the shape rules. */
import { shapeEq } from './dim.js';
import { typeToString, type Graph } from './graph.js';
import { inputArity, Op } from './ops.js';
import { inferTypes } from './shape.js';

/** Problems found in a graph (empty when valid); each names the graph path, node index and op. */
export function verifyGraph(g: Graph, where = 'graph'): string[] {
  const errs: string[] = [];
  const defined = new Set<number>();
  const define = (id: number, what: string): void => {
    if (id < 0 || id >= g.values.length) errs.push(`${where}: ${what} defines %${id}, which has no type`);
    else if (defined.has(id)) errs.push(`${where}: ${what} redefines %${id}`);
    defined.add(id);
  };
  const names = new Set<string>();
  for (const p of g.inputs) {
    if (names.has(p.name)) errs.push(`${where}: duplicate input name '${p.name}'`);
    names.add(p.name);
    define(p.id, `input '${p.name}'`);
  }
  g.nodes.forEach((n, i) => {
    const at = `${where}: node ${i} (${n.op})`;
    const ar = inputArity[n.op];
    const okArity = typeof ar === 'number' ? n.inputs.length === ar : n.inputs.length >= ar.min;
    if (!okArity) errs.push(`${at}: has ${n.inputs.length} inputs, expected ${typeof ar === 'number' ? ar : `≥ ${ar.min}`}`);
    const undef = n.inputs.filter((id) => !defined.has(id));
    if (undef.length > 0) errs.push(`${at}: uses undefined value(s) ${undef.map((id) => `%${id}`).join(' ')}`);
    if (okArity && undef.length === 0) {
      try {
        const want = inferTypes(n.op, n.inputs.map((id) => g.values[id]!), n.attrs);
        if (want.length !== n.outputs.length) errs.push(`${at}: has ${n.outputs.length} outputs, rule gives ${want.length}`);
        want.forEach((t, k) => {
          const got = g.values[n.outputs[k] ?? -1];
          if (got !== undefined && (got.dtype !== t.dtype || !shapeEq(got.shape, t.shape))) {
            errs.push(`${at}: output ${k} recorded as ${typeToString(got)}, shape rule gives ${typeToString(t)}`);
          }
        });
      } catch (e) {
        errs.push(`${at}: ${(e as Error).message}`);
      }
    }
    n.outputs.forEach((id) => define(id, `node ${i} (${n.op})`));
    if (n.op === Op.Scan) errs.push(...verifyScanBody(n.attrs.body, `${where}: node ${i} (scan) body`));
  });
  const outNames = new Set<string>();
  for (const p of g.outputs) {
    if (outNames.has(p.name)) errs.push(`${where}: duplicate output name '${p.name}'`);
    outNames.add(p.name);
    if (!defined.has(p.id)) errs.push(`${where}: output '${p.name}' is undefined value %${p.id}`);
  }
  return errs;
}

/** A body must verify, and no output may be a param or repeat another output (onnxruntime returns zeros). */
function verifyScanBody(body: Graph, where: string): string[] {
  const errs = verifyGraph(body, where);
  const params = new Set(body.inputs.map((p) => p.id));
  const seen = new Set<number>();
  for (const p of body.outputs) {
    if (params.has(p.id)) errs.push(`${where}: output '${p.name}' is a body param (needs an Identity)`);
    if (seen.has(p.id)) errs.push(`${where}: output '${p.name}' repeats %${p.id} (needs an Identity)`);
    seen.add(p.id);
  }
  return errs;
}

/** Throws listing every problem if the graph is invalid. */
export function assertValid(g: Graph, what = 'graph'): void {
  const errs = verifyGraph(g, what);
  if (errs.length > 0) throw new Error(`invalid IR:\n  ${errs.join('\n  ')}`);
}
