/**
 * The demo page's markup. No inline script or style, so the page runs under a CSP that allows
 * only its own origin: the same policy a real app using cookie mode should start from.
 */
export const DEMO_PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Keycard cookie-mode demo</title>
  <script type="module" src="/demo/app.js"></script>
</head>
<body data-state="loading">
  <main>
    <h1>Keycard cookie-mode demo</h1>
    <p>The refresh token lives in an HttpOnly cookie that this page's scripts cannot read; the access token lives only in memory.</p>
    <p id="status" role="status">Loading…</p>
    <p id="error" role="alert"></p>

    <section id="signed-out" hidden>
      <h2>Sign up</h2>
      <form id="signup-form">
        <label>Email <input name="email" type="email" autocomplete="email" required></label>
        <label>Password <input name="password" type="password" autocomplete="new-password" required></label>
        <label>Display name <input name="displayName" autocomplete="nickname"></label>
        <button type="submit">Sign up</button>
      </form>
      <h2>Log in</h2>
      <form id="login-form">
        <label>Email <input name="email" type="email" autocomplete="email" required></label>
        <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
        <button type="submit">Log in</button>
      </form>
      <h2>Social login</h2>
      <p id="oauth-none">No provider is configured (OAUTH_PROVIDERS), or /demo/oauth/callback is not in OAUTH_REDIRECT_URIS.</p>
      <div id="oauth-buttons"></div>
    </section>

    <section id="signed-in" hidden>
      <h2>Me</h2>
      <dl id="me"></dl>
      <button id="show-me" type="button">Show me</button>
      <button id="list-sessions" type="button">List sessions</button>
      <button id="logout" type="button">Log out</button>
      <button id="logout-all" type="button">Log out everywhere</button>
      <h2>Sessions</h2>
      <ul id="sessions"></ul>
    </section>
  </main>
</body>
</html>
`;
