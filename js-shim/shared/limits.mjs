// Limits of dispatch's own that the Worker enforces and the pages state. Those the core decides (a body's
// size, a template's) are not here: they come from core.limits(). Imports nothing.

// The longest name an endpoint or source may have, in UTF-16 code units (what an input's maxlength counts).
export const nameMaxLength = 100;

// 1 MiB, the unit request sizes are given in.
export const mebibyte = 1024 * 1024;

// Returns `bytes` as a reader sees a limit: "1 MiB" for whole mebibytes, else "N bytes" with separators.
export function sizeInWords(bytes) {
  return bytes % mebibyte === 0 ? `${bytes / mebibyte} MiB` : `${bytes.toLocaleString('en-US')} bytes`;
}
