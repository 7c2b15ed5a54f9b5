// What the Sources list says for /sources?connect_error=<code>, the codes the Worker redirects with
// (connections.mjs after Bitbucket's consent page, worker.mjs before it). The parameter is anyone's to
// write, so the page shows only these fixed words, never the parameter itself.

// code -> { tone of the notice, what happened and what to do next }.
const connectErrors = {
  access_denied: {
    tone: 'warn',
    text: 'You declined on Bitbucket\'s page, so nothing was connected. Connect Bitbucket again whenever you are ready.',
  },
  failed: {
    tone: 'error',
    text: 'Bitbucket sent back an error instead of an authorisation, so nothing was connected. Try Connect Bitbucket '
      + 'again; if it fails again, check that the OAuth consumer\'s callback URL and permissions match Set up Connect Bitbucket.',
  },
  not_configured: {
    tone: 'error',
    text: 'Connect Bitbucket is not set up on this relay yet: it needs a Bitbucket OAuth consumer first. '
      + 'Choose Connect Bitbucket to see how to create one, or add an endpoint by hand meanwhile.',
  },
};

const unknownConnectError = {
  tone: 'error',
  text: 'Bitbucket did not connect, and this page does not know why. Try Connect Bitbucket again.',
};

// Returns { tone, text } for a connect_error code: its fixed wording, or a generic one for any other value.
export function connectErrorMessage(code) {
  return Object.hasOwn(connectErrors, code) ? connectErrors[code] : unknownConnectError;
}
