// The admin API's request bodies: read within a size and a depth, JSON objects only, and no member the call
// does not take (a misspelt field is refused by its name, never ignored).

import { problem, readLimited } from './http.mjs';
import { mebibyte } from './shared/limits.mjs';

// A 1 MiB payload inside a preview request, with room to spare.
export const maxRequestBytes = 2 * mebibyte;
// Deeper than any message template needs; a deeper body is refused before anything walks it recursively.
const maxRequestDepth = 64;
// The members of the fields that are objects of known shape; any other member is refused by its path.
const nestedFields = { events: ['mode', 'custom'], source: ['connection', 'repository'] };

// The 400 of a request that names a field wrongly: {code: "request_invalid", reason, field, ...extra}.
export const invalid = (field, reason, extra = {}) => problem(400, 'request_invalid', reason, { field, ...extra });

// The 413 of a request over maxRequestBytes.
export const tooLarge = () => problem(413, 'body_too_large', `request is over ${maxRequestBytes} bytes`);

// Reads a JSON object body; returns [value, null, bytes] or [null, response]. With `optional`, an empty body
// reads as {}.
export async function readObject(request, { optional = false } = {}) {
  const bytes = await readLimited(request, maxRequestBytes);
  if (bytes === null) return [null, tooLarge()];
  const text = new TextDecoder().decode(bytes);
  if (optional && text.trim() === '') return [{}];
  let value;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return [null, problem(400, 'body_not_json', `request body is not JSON: ${error.message}`)];
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return [null, invalid(null, 'request body must be a JSON object')];
  }
  const deep = tooDeep(value);
  if (deep !== undefined) {
    return [null, problem(400, 'body_too_deep', `${deep} nests deeper than ${maxRequestDepth} levels`, { field: deep })];
  }
  return [value, null, bytes];
}

// Returns the member of `body` that nests deeper than maxRequestDepth, or undefined. Walks with a stack of
// its own, so a body of 100,000 nested arrays costs no call stack.
function tooDeep(body) {
  const stack = Object.entries(body).map(([field, value]) => [value, 1, field]);
  while (stack.length > 0) {
    const [value, depth, field] = stack.pop();
    if (value === null || typeof value !== 'object') continue;
    if (depth > maxRequestDepth) return field;
    for (const member of Object.values(value)) stack.push([member, depth + 1, field]);
  }
  return undefined;
}

// Returns the 400 for the first member of `body` that is not in `allowed` (or, in a field of known shape, a
// member that field does not have), or null.
export function unknownField(body, allowed) {
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) {
    const expected = allowed.length === 0 ? 'this call takes no fields (send no body, or {})' : `expected ${allowed.join(', ')}`;
    return invalid(unknown, `unknown field "${unknown}"; ${expected}`);
  }
  for (const [name, members] of Object.entries(nestedFields)) {
    const value = body[name];
    if (!allowed.includes(name) || value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const extra = Object.keys(value).find((key) => !members.includes(key));
    if (extra !== undefined) return invalid(`${name}.${extra}`, `unknown field "${name}.${extra}"; expected ${members.join(', ')}`);
  }
  return null;
}

// Reads the body of a call that takes no fields: none, or {}. Returns the refusal, or null.
export async function noFields(request) {
  const [body, fault] = await readObject(request, { optional: true });
  return fault ?? unknownField(body, []);
}
