/**
 * @file Stack-safe recursion for every walk whose depth the user controls (parsing, checking,
 * let and function inlining, formatting, printing, lowering). A walk is written as a recursive
 * generator that `yield`s each sub-walk instead of calling it; `run` drives the generators on an
 * explicit stack, so nesting depth costs heap memory, not JavaScript call stack (V8 overflows
 * after roughly 10 000 plain frames, and after a few hundred nesting levels of a grammar walk).
 *
 *     function* size(e: Tree): Rec<number> {
 *       let n = 1;
 *       for (const c of e.children) n += yield size(c);   // a recursive call, one heap frame
 *       return n;
 *     }
 *     run(size(tree));
 *
 * Sub-walks are `yield`ed, never `yield*`ed: delegation would nest native frames again.
 * Walks that only visit nodes, without results, use `preorder`.
 */

/**
 * A suspended recursive computation with result `R` whose sub-computations return `C`:
 * `yield` one to get its result.
 */
export type Rec<R, C = R> = Generator<Rec<C, unknown>, R, C>;

/** Runs a recursive computation to its result on an explicit stack. Exceptions propagate unchanged. */
export function run<R>(root: Rec<R, unknown>): R {
  const stack: Rec<unknown, unknown>[] = [root];
  let input: unknown = undefined;
  for (;;) {
    const top = stack[stack.length - 1]!;
    const step = top.next(input);
    if (step.done) {
      stack.pop();
      if (stack.length === 0) return step.value as R;
      input = step.value;
    } else {
      stack.push(step.value);
      input = undefined;
    }
  }
}

/** Every node of a tree (or DAG, shared nodes once per path) in pre-order, children in order; any depth. */
export function* preorder<T>(root: T, children: (t: T) => readonly T[]): Generator<T, void, undefined> {
  const stack: T[] = [root];
  while (stack.length) {
    const n = stack.pop()!;
    yield n;
    const cs = children(n);
    for (let i = cs.length - 1; i >= 0; i--) stack.push(cs[i]!);
  }
}
