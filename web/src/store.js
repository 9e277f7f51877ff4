/*
 * @module store
 * The page state that several modules read: one frozen object, replaced on every update, with
 * explicit subscriptions by key (no module mutates another's data by hand).
 *
 * What only one module needs (its Leaflet layers, the request it has in flight, a debounce
 * timer) stays private to that module; the store holds what is shared: the language, the
 * catalogue, profiles and weights, filters, the view, the sites, the selection, the own site.
 */

/**
 * @param {object} initial every key the store will ever hold (updating another key throws,
 *   which catches typos early).
 * @returns {{get: () => object, update: (patch: object | ((state) => object)) => void,
 *   subscribe: (keys: string[] | null, fn: (state, previous, changed: string[]) => void) => () => void}}
 */
export function createStore(initial) {
  let state = Object.freeze({ ...initial });
  const subscribers = [];
  const queue = [];
  let notifying = false;

  function get() {
    return state;
  }

  /**
   * Merge `patch` (or `patch(state)`) into the state and notify the subscribers of the keys
   * whose value changed (compared with Object.is, so pass new objects, never mutated ones).
   * An update made by a subscriber is applied after the current round, so every subscriber of a
   * round sees the same state and the last round the newest one.
   */
  function update(patch) {
    queue.push(patch);
    if (notifying) return;
    notifying = true;
    try {
      while (queue.length) apply(queue.shift());
    } finally {
      notifying = false;
    }
  }

  function apply(patch) {
    const changes = typeof patch === "function" ? patch(state) : patch;
    if (!changes) return;
    for (const key of Object.keys(changes)) {
      if (!(key in initial)) throw new Error(`store: unknown key "${key}"`);
    }
    const changed = Object.keys(changes).filter((key) => !Object.is(state[key], changes[key]));
    if (!changed.length) return;
    const previous = state;
    state = Object.freeze({ ...state, ...changes });
    for (const subscriber of [...subscribers]) {
      if (subscriber.keys && !subscriber.keys.some((key) => changed.includes(key))) continue;
      try {
        subscriber.fn(state, previous, changed);
      } catch (err) {
        // One broken view must not stop the others; the error still reaches the console.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  }

  /** Call `fn` after every update that changes one of `keys` (null: any key). */
  function subscribe(keys, fn) {
    const subscriber = { keys: keys ? [...keys] : null, fn };
    subscribers.push(subscriber);
    return () => {
      const index = subscribers.indexOf(subscriber);
      if (index >= 0) subscribers.splice(index, 1);
    };
  }

  return { get, update, subscribe };
}
