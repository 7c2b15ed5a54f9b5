// What the pages that run the relay's core in the browser (the preview, the Sources page) load alike: the
// wasm core itself, the built-in sample payloads, and the event catalogue grouped and named for people.

import { instantiateCore } from '/core.mjs';

// Returns the relay's core, compiled from /dispatch.wasm while it downloads when the server labels it
// application/wasm; otherwise compiled from its bytes.
/** @returns {Promise<PageCore>} */
export async function loadCore() {
  const response = fetch('/dispatch.wasm');
  let module;
  try {
    module = await WebAssembly.compileStreaming(response);
  } catch {
    // A server that does not label the file application/wasm: compile from the bytes instead.
    module = await WebAssembly.compile(await (await fetch('/dispatch.wasm')).arrayBuffer());
  }
  return instantiateCore(module);
}

// Returns the built-in sample payloads [{id, label, event, body}]; throws when /samples.json cannot be read.
export async function loadSamples() {
  const response = await fetch('/samples.json');
  if (!response.ok) throw new Error(`samples.json: HTTP ${response.status}`);
  return response.json();
}

// Returns the event catalogue as a Map of category -> its events, in the catalogue's order.
export function groupByCategory(events) {
  return events.reduce((map, event) => map.set(event.category, [...(map.get(event.category) ?? []), event]), new Map());
}

// Returns a catalogue event's name as it reads on its own, its family first: "Pull request created", "Issue
// created", "Repository push". The catalogue's label ("Created") says which event only under its category.
export function eventName(event) {
  const family = `${event.category[0]}${event.category.slice(1).toLowerCase()}`;
  const label = event.label;
  if (label.toLowerCase().startsWith(family.toLowerCase())) return label;
  return `${family} ${label[0].toLowerCase()}${label.slice(1)}`;
}

// Returns a function that runs `work` on the next animation frame, once however often it is called before.
export function onNextFrame(work) {
  let pending = false;
  return () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => {
      pending = false;
      work();
    });
  };
}
