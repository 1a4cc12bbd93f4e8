/**
 * @file The one check every emitted model passes before it becomes bytes (`encodeModel` runs
 * it): in every graph, Scan and Loop bodies included, each output is a value made by a node of
 * that same graph and is listed once. onnxruntime returns zeros (or fails on symbolic shapes)
 * for a body output that is one of the body's inputs, an outer value or a repeated output, and
 * the ONNX checker accepts such models (docs/design.md §5.2). The producers of graphs (the IR
 * builder, the ONNX tape, the model editor) insert the `Identity` copies where they name
 * values; this check is what makes a producer that forgets it fail loudly instead of training
 * on zeros.
 */
import type { GraphProto, ModelProto } from './proto.js';

/** What is wrong with the outputs of `model`'s graphs, one line per problem (empty: legal). */
export function outputProblems(model: ModelProto): string[] {
  const problems: string[] = [];
  const visit = (g: GraphProto, where: string): void => {
    const made = new Set<string>();
    for (const n of g.node) {
      for (const y of n.output) if (y) made.add(y);
      for (const a of n.attribute) {
        if (a.g) visit(a.g, `${where} > ${n.opType} '${n.name ?? n.output[0] ?? '?'}'.${a.name}`);
        for (const [k, sub] of (a.graphs ?? []).entries()) visit(sub, `${where} > ${n.opType} '${n.name ?? n.output[0] ?? '?'}'.${a.name}[${k}]`);
      }
    }
    const listed = new Set<string>();
    for (const o of g.output) {
      if (listed.has(o.name)) problems.push(`${where}: output '${o.name}' is listed twice`);
      else if (!made.has(o.name)) problems.push(`${where}: output '${o.name}' is not made by a node of this graph (an input, initializer or outer value needs an Identity)`);
      listed.add(o.name);
    }
  };
  visit(model.graph, `graph '${model.graph.name ?? ''}'`);
  return problems;
}
