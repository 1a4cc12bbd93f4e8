/** @file Public surface of the tensor IR. */
export * from './ops.js';
export * from './dim.js';
export * from './graph.js';
export * from './builder.js';
export { shapeRules, broadcastShapes, inferTypes } from './shape.js';
export { verifyGraph, assertValid } from './verify.js';
export { printGraph } from './print.js';
export { evaluate, runGraph, evalRules } from './eval.js';
export { tensor, type Tensor } from './tensor.js';
