// An endpoint's filters as the pages edit them: one glob pattern per line for branches, tags and actors, read
// into the admin API's {branches?, tags?, actors?}. Whether a pattern is valid, and whether a name passes, is
// the core's to say (core.filterCheck); this only moves text in and out of fields. Shared by the Sources page
// and the preview.

// The three lists: member, its label, the value the core's check takes, examples, the example a name to try
// shows (marked "e.g.": an example must not pass for a value), what it applies to.
export const filterKinds = [
  {
    member: 'branches', label: 'Branches', value: 'branch', noun: 'branch', examples: ['main', 'release/*', '!dependabot/**'],
    placeholder: 'e.g. feature/login',
    applies: 'Pushes to a branch, pull requests into it, builds on it. Events without a branch pass.',
  },
  {
    member: 'tags', label: 'Tags', value: 'tag', noun: 'tag', examples: ['v*', 'release-*', '!*-rc*'],
    placeholder: 'e.g. v2.1.0',
    applies: 'Tags pushed, created or deleted. Empty: every tag passes.',
  },
  {
    member: 'actors', label: 'Actors', value: 'actor', noun: 'actor', examples: ['Ada Lovelace', 'ada', '!dependabot*'],
    placeholder: 'e.g. dependabot',
    applies: 'Who did it: a display name, a nickname or a {uuid}.',
  },
];

// Returns what an empty list of `kind` shows: an example marked as one, which no one takes for a pattern
// already set ("e.g. main"); the hint under the list gives more.
export function listPlaceholder(kind) {
  return `e.g. ${kind.examples[0]}`;
}

// Returns the patterns of a field's text: one per line, without the spaces around it; blank lines skipped.
// Lines rather than commas: a display name may hold a comma ("Lovelace, Ada").
export function patternsFrom(text) {
  return String(text ?? '').split(/\r?\n/).map((line) => line.trim()).filter((line) => line !== '');
}

// Returns the text a field shows for a list of patterns.
export function textFrom(patterns) {
  return Array.isArray(patterns) ? patterns.join('\n') : '';
}

// Returns the endpoint's filters from {branches, tags, actors} texts: an object with the lists that have a
// pattern, or null when none has (no filter).
export function filtersFrom(texts) {
  const filters = {};
  for (const { member } of filterKinds) {
    const patterns = patternsFrom(texts[member]);
    if (patterns.length) filters[member] = patterns;
  }
  return Object.keys(filters).length ? filters : null;
}

// Returns a hint for a branch or tag pattern that holds a space (git refuses spaces in names, so it is most
// likely two patterns on one line), or null.
export function spacedPattern(member, patterns) {
  if (member === 'actors') return null;
  const spaced = patterns.find((pattern) => /\s/.test(pattern));
  return spaced ? `“${spaced}” holds a space, which no ${member === 'branches' ? 'branch' : 'tag'} name has: put one pattern per line.` : null;
}

// Returns the filters in words for a summary: "branches main, release/* · actors !dependabot*", or null when
// there are none.
export function filtersInWords(filters) {
  if (!filters) return null;
  const parts = filterKinds.filter(({ member }) => filters[member]?.length)
    .map(({ member }) => `${member} ${filters[member].join(', ')}`);
  return parts.length ? parts.join(' · ') : null;
}

// Returns the core's reason for a fault in one list as it reads under that list: "Holds a lone "!" (pattern
// 2); …" rather than "filters.branches holds …".
export function listReason(reason) {
  const text = String(reason ?? '').replace(/^filters\.(branches|tags|actors) /, '');
  return text[0].toUpperCase() + text.slice(1);
}
