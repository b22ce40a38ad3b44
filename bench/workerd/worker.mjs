// The Worker of bench/workerd_cold.sh: `/import` imports the SDK (bundled by wrangler under the
// `workerd` condition: the WebAssembly build) and constructs a client, which instantiates the
// module; `/` answers without touching it (the readiness probe).
export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/import') {
      const { Delegir, build } = await import('delegir');
      const client = new Delegir({ apiKey: 'dlg_test_coldstart0000000001', baseUrl: 'http://127.0.0.1:9/api/v1' });
      return new Response(JSON.stringify({ build: build(), client: typeof client.agents }));
    }
    return new Response('ready');
  },
};
