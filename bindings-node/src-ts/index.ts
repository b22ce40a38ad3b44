/**
 * `delegir`: the Node.js and TypeScript client of the Delegir API.
 *
 * @example
 * import { Delegir, NotFoundError } from 'delegir';
 *
 * const client = new Delegir(); // reads DELEGIR_API_KEY
 * for (const agent of await client.agents.list()) console.log(agent.name, agent.status);
 */

import { Delegir as SharedDelegir } from './client.js';
import { build as loadedBuild, nativeOrWasmBinding } from './native-binding.js';

export * from './api.js';

/**
 * A client of the Delegir API, on the napi addon (Node, Bun), or on the WebAssembly build where
 * no addon loads (see `build`). `delegir/wasm` exports the same class on WebAssembly.
 */
export class Delegir extends SharedDelegir {
  /** @internal */
  static override binding = nativeOrWasmBinding;
}

export default Delegir;

/** Which build `Delegir` runs on here: `'native'` (the napi addon) or `'wasm'`. */
export const build: () => 'native' | 'wasm' = loadedBuild;
