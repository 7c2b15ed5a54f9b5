// The template editor the preview and the Sources page share: a textarea with line numbers whose faults
// (from the core, with line and column) are marked, a button that goes to a fault, and a starting template.

const encoder = new TextEncoder();

// Wires a template editor: `area` (a textarea) beside `gutter` (its line numbers) inside `box`. Tab indents;
// Escape, then Tab, leaves it (keyboard users are never trapped); `onEdit` runs after every change.
// Returns {mark(failure)}: numbers the lines and marks a failure's line ({line?} or null) as invalid.
export function templateEditor({ area, gutter, box, onEdit }) {
  area.addEventListener('input', onEdit);
  area.addEventListener('scroll', () => { gutter.scrollTop = area.scrollTop; });
  let leaving = false;
  area.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      leaving = true;
      return;
    }
    if (event.key !== 'Tab' || event.shiftKey || leaving) {
      leaving = false;
      return;
    }
    event.preventDefault();
    area.setRangeText('  ', area.selectionStart, area.selectionEnd, 'end');
    onEdit();
  });
  return {
    mark(failure) {
      const lines = area.value.split('\n').length;
      gutter.replaceChildren(...Array.from({ length: lines }, (_, i) => {
        const number = document.createElement('div');
        number.textContent = String(i + 1);
        if (failure?.line === i + 1) number.className = 'error-line';
        return number;
      }));
      gutter.scrollTop = area.scrollTop;
      area.setAttribute('aria-invalid', String(Boolean(failure)));
      box.classList.toggle('invalid', Boolean(failure));
    },
  };
}

// Returns a button that puts the caret at a failure's line and column in `area` (a textarea), or null
// when the failure has no position.
// Returns a list of the core's template warnings (valid, but a name no sample payload has, or one that says
// nothing for some of the events): each reason as an item; null when there are none.
export function warningList(warnings) {
  if (!warnings?.length) return null;
  const list = document.createElement('ul');
  list.className = 'warnings';
  for (const warning of warnings) {
    const item = document.createElement('li');
    item.textContent = warning.reason;
    list.append(item);
  }
  return list;
}

export function positionButton(area, failure) {
  if (!failure.line) return null;
  const button = document.createElement('button');
  button.type = 'button';
  button.className = 'link';
  button.textContent = `Go to line ${failure.line}, column ${failure.column}`;
  button.addEventListener('click', () => {
    const offset = offsetOf(area.value, failure.line, failure.column);
    area.focus();
    area.setSelectionRange(offset, Math.min(offset + 1, area.value.length));
  });
  return button;
}

// The core counts columns in bytes of UTF-8; a textarea counts UTF-16 units.
function offsetOf(text, line, column) {
  let offset = 0;
  const lines = text.split('\n');
  for (let i = 0; i < line - 1 && i < lines.length; i++) offset += lines[i].length + 1;
  const current = lines[line - 1] ?? '';
  let bytes = 0;
  let index = 0;
  for (const char of current) {
    if (bytes >= column - 1) break;
    bytes += encoder.encode(char).length;
    index += char.length;
  }
  return offset + index;
}

// Returns an example template that uses most of what a template can reach, as a starting point.
export function starterTemplate() {
  return `{
  "username": "{{dispatch.repository}}",
  "embeds": [
    {
      "author": { "name": "{{dispatch.actor}}" },
      "title": "{{dispatch.label}}{{#dispatch.branch}} on {{dispatch.branch}}{{/dispatch.branch}}",
      "url": "{{repository.links.html.href}}",
      "description": "{{#dispatch.commits}}[\`{{short_hash}}\`]({{url}}) {{subject}} ({{author}})\\n{{/dispatch.commits}}",
      "color": "{{dispatch.color}}",
      "footer": { "text": "{{dispatch.event}}" }
    }
  ]
}
`;
}
