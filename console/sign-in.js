// Sign-in for the console in AWS: OpenID Connect authorization code with PKCE, as a public client
// (no client secret exists to leak). The ID token is kept in this tab's sessionStorage and sent as a
// bearer token; the server verifies it itself. Local mode has no sign-in settings and never loads this path.

const TOKEN = 'gantry.console.idToken';
const PENDING = 'gantry.console.pendingSignIn';
const STARTED = 'gantry.console.signInStarted';

/** The IdP's public settings the server put on the page, or undefined (local mode). */
export function signInSettings() {
  const raw = document.getElementById('app').dataset.signIn;
  return raw ? JSON.parse(raw) : undefined;
}

/** The bearer token, once signed in; on the callback page, finishes the sign-in first. Never resolves while redirecting. */
export async function signedIn(base, settings) {
  if (location.pathname === `${base}/callback`) await finish(base, settings);
  const token = sessionStorage.getItem(TOKEN);
  if (token && !expired(token)) return token;
  return restart(base, settings);
}

/** The token was refused: start a new sign-in, unless one started moments ago (then say so instead of looping). */
export async function restart(base, settings) {
  sessionStorage.removeItem(TOKEN);
  const last = Number(sessionStorage.getItem(STARTED) ?? 0);
  if (Date.now() - last < 30_000)
    throw new Error('the identity provider signed you in, but the console refused the token');
  sessionStorage.setItem(STARTED, String(Date.now()));
  await start(base, settings);
  return new Promise(() => {});
}

async function endpoints(settings) {
  if (settings.authorizationEndpoint && settings.tokenEndpoint) return settings;
  const res = await fetch(`${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`);
  if (!res.ok) throw new Error(`the identity provider's discovery document answered ${res.status}`);
  const doc = await res.json();
  if (doc.issuer !== settings.issuer) throw new Error(`the discovery document names issuer ${doc.issuer}`);
  const found = {
    authorizationEndpoint: settings.authorizationEndpoint ?? doc.authorization_endpoint,
    tokenEndpoint: settings.tokenEndpoint ?? doc.token_endpoint,
  };
  // The page's Content-Security-Policy lets it fetch only from the issuer's and the configured
  // endpoints' origins: say what to configure before leaving for the IdP, not after.
  const allowed = [settings.issuer, settings.authorizationEndpoint, settings.tokenEndpoint]
    .filter(Boolean)
    .map((u) => new URL(u).origin);
  const tokenOrigin = new URL(found.tokenEndpoint).origin;
  if (!allowed.includes(tokenOrigin))
    throw new Error(
      `the identity provider's discovery document puts its token endpoint at ${tokenOrigin}, outside the origins this console may reach (${allowed.join(', ')}): set console.tokenEndpoint (${found.tokenEndpoint}) and console.authorizationEndpoint (${found.authorizationEndpoint}) in the config and deploy again`,
    );
  return found;
}

async function start(base, settings) {
  const verifier = random(48);
  const state = random(16);
  const nonce = random(16);
  const back = location.pathname.startsWith(base) ? `${location.pathname}${location.search}` : `${base}/`;
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state, nonce, back }));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const url = new URL((await endpoints(settings)).authorizationEndpoint);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: settings.clientId,
    redirect_uri: redirectUri(base),
    scope: settings.scopes.join(' '),
    state,
    nonce,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

async function finish(base, settings) {
  const params = new URLSearchParams(location.search);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? 'null');
  sessionStorage.removeItem(PENDING);
  if (params.get('error'))
    throw new Error(`sign-in refused: ${params.get('error_description') ?? params.get('error')}`);
  if (!pending || !params.get('code') || params.get('state') !== pending.state)
    throw new Error('this sign-in was not started here (state mismatch): open the console again');
  const res = await fetch((await endpoints(settings)).tokenEndpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.get('code'),
      redirect_uri: redirectUri(base),
      client_id: settings.clientId,
      code_verifier: pending.verifier,
    }),
  });
  const body = await res.json().catch(() => ({}));
  if (!res.ok || typeof body.id_token !== 'string')
    throw new Error(`the token endpoint refused the sign-in: ${body.error_description ?? body.error ?? res.status}`);
  if (claims(body.id_token).nonce !== pending.nonce) throw new Error('the ID token is not for this sign-in (nonce)');
  sessionStorage.setItem(TOKEN, body.id_token);
  sessionStorage.removeItem(STARTED);
  history.replaceState(null, '', pending.back);
}

function redirectUri(base) {
  return `${location.origin}${base}/callback`;
}

function claims(token) {
  const part = token.split('.')[1] ?? '';
  return JSON.parse(atob(part.replace(/-/g, '+').replace(/_/g, '/')));
}

function expired(token) {
  try {
    return claims(token).exp * 1000 < Date.now() + 30_000;
  } catch {
    return true;
  }
}

function random(bytes) {
  return base64url(crypto.getRandomValues(new Uint8Array(bytes)));
}

function base64url(buffer) {
  return btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
