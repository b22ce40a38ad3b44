// The baseline Worker of bench/workerd_cold.sh: the same probe, no SDK.
export default {
  async fetch() {
    return new Response('ready');
  },
};
