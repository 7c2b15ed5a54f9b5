// The pages' boundaries, for TypeScript's checker over their JSDoc (web/tsconfig.json): what the relay's API
// answers and what the core answers, as far as the pages read them. The API's shapes are README's "Admin API";
// the core's are src/dispatch/answers.* through js-shim/core.mjs. Members the pages do not read are left out.

// A refusal's body: {code, reason, field?, line?, column?} and, for some codes, more (retry_after, required…).
interface Problem {
  code?: string;
  reason?: string;
  field?: string;
  line?: number;
  column?: number;
  [more: string]: any;
}

// An answer of api(): the body parsed as JSON (or the text with `text`), the headers and the status.
interface ApiAnswer<Body = any> {
  body: Body;
  headers: Headers;
  status: number;
}

// An event selection.
interface EventSelection {
  mode: 'push' | 'all' | 'custom' | string;
  custom?: string[];
}

// An endpoint or source as GET /api/endpoints/{id} answers it.
interface Endpoint {
  id: string;
  name: string;
  url: string;
  state: 'active' | 'disconnected' | 'needs_reconnect' | 'destination_broken' | string;
  active?: boolean;
  events: EventSelection;
  filters?: Record<string, string[]> | null;
  threads?: 'pull_request' | null;
  template?: string | object | null;
  templates?: Record<string, string | object> | null;
  destination_url: string;
  destination_status?: 'ok' | 'broken' | string;
  destination_error?: string | null;
  created_at: string;
  secret?: string;
  source?: {
    repository: string;
    repository_url?: string;
    hook_uuid?: string | null;
    status?: string;
    left_behind?: { reason?: string; steps?: string[] | string };
  } | null;
}

// A delivery as the log lists it (GET /api/endpoints/{id}/deliveries) and opens it (GET /api/deliveries/{id}).
interface Delivery {
  id: string;
  endpoint: string;
  status: string;
  verdict: 'deliver' | 'ignore' | 'reject' | string;
  code?: string | null;
  reason?: string | null;
  event?: string | null;
  title?: string | null;
  answered?: number | null;
  attempts?: number;
  received_at: string;
  last_seen_at?: string;
  next_attempt_at?: string | null;
  test?: boolean;
  redelivery_of?: string | null;
  duplicate_of?: string | null;
  [more: string]: any;
}

// One entry of the core's event catalogue (core.events()).
interface CatalogueEntry {
  key: string;
  category: string;
  name?: string;
  description: string;
}

// The core's answer to a render (core.render): the message, or why there is none.
interface RenderAnswer {
  code: string;
  reason?: string;
  message?: any;
  cuts?: any[];
  line?: number;
  column?: number;
  budget?: any;
  [more: string]: any;
}

// The core's limits (core.limits()).
interface CoreLimits {
  max_body_bytes: number;
  max_template_bytes: number;
  max_templates_bytes: number;
  max_template_depth: number;
  max_section_nesting: number;
}

// What the pages call on the core (js-shim/core.mjs's Core), with the answers they read.
interface PageCore {
  events(): CatalogueEntry[];
  limits(): CoreLimits;
  render(key: string, payload: Uint8Array, template?: string, options?: object): RenderAnswer;
  detect(payload: Uint8Array): any;
  verify(secret: string, signature: string, body: Uint8Array): { code: string; reason: string; [more: string]: any };
  filterCheck(filters: object, value: object): { code: string; reason: string; field?: string };
  selects(endpoint: object, key: string, payload?: Uint8Array): any;
  templateWarnings(endpoint: object, samples: { event: string; body: string }[]): { warnings?: any[]; [more: string]: any };
}

// What the pages leave on window for the Chromium suites to read.
interface Window {
  dispatchSources?: object;
  dispatchPreview?: object;
}
