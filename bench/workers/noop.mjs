// The floor for the accept-path benchmark: a Worker that answers 202 without reading anything.
export default {
  async fetch() {
    return new Response('{"status":"accepted","delivery":"none"}', { status: 202, headers: { 'content-type': 'application/json' } });
  },
};
