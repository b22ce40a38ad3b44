/**
 * `delegir/wasm`: the Delegir client on the WebAssembly build of its core, in any JavaScript host
 * with `fetch` (workerd, Deno, Bun, browsers, Node). `delegir` picks it by itself where it fits.
 *
 * @example
 * import { Delegir, NotFoundError } from 'delegir/wasm';
 *
 * const client = new Delegir(); // reads DELEGIR_API_KEY
 * for (const agent of await client.agents.list()) console.log(agent.name, agent.status);
 */

import { Delegir as SharedDelegir } from './client.js';
import { wasmBinding } from './wasm-binding.js';

export * from './api.js';

/** A client of the Delegir API, on the WebAssembly build of its core, over the host's `fetch`. */
export class Delegir extends SharedDelegir {
  /** @internal */
  static override binding = wasmBinding;
}

export default Delegir;

/** Which build `Delegir` runs on: always `'wasm'` here. */
export const build: () => 'native' | 'wasm' = () => 'wasm';
