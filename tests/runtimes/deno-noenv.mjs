// Deno without --allow-env (tests/runtimes/run.sh step 3): the error says that the environment
// could not be read, not "set DELEGIR_API_KEY" (which is set), and an explicit key works.
// Argument: the emulator's base URL and a key.
import { Delegir, DelegirError } from 'delegir';

const [base, key] = Deno.args;
let error = null;
try {
  new Delegir({ baseUrl: base });
} catch (e) {
  error = e;
}
if (!(error instanceof DelegirError) || !/cannot be read: the host denies access to the environment/.test(error.message)) {
  console.error(`deno-noenv: unexpected ${error}`);
  Deno.exit(1);
}
const agents = await new Delegir({ apiKey: key, baseUrl: base }).agents.list();
if (agents.length !== 2) {
  console.error(`deno-noenv: ${agents.length} agents`);
  Deno.exit(1);
}
console.log('deno without --allow-env: the error names the denied environment; an explicit key works');
