// The Worker's log: one line of JSON per event, read by Workers Logs, `wrangler tail` and the dev terminal.

// One line of JSON per event on the console (Workers Logs, `wrangler tail`, the dev terminal). Never
// given a secret, a token or a destination URL. The line's name comes first and a field cannot replace it:
// a Bitbucket event key goes in `key`.
export function logEvent(what, fields) {
  const line = { event: what, ...fields };
  line.event = what;
  console.log(JSON.stringify(line));
}
