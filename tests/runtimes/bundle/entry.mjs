// What a browser app or an edge function bundles: the SDK's client and an error class.
import { Delegir, DelegirError, NotFoundError, build } from 'delegir';

globalThis.delegirBundle = { Delegir, DelegirError, NotFoundError, build };
