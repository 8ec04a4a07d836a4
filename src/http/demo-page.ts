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

    <section id="link-page" hidden>
      <h2 id="link-title"></h2>
      <p id="link-explain"></p>
      <form id="link-form">
        <label id="link-password" hidden>New password <input name="newPassword" type="password" autocomplete="new-password"></label>
        <button id="link-confirm" type="submit">Confirm</button>
      </form>
      <p id="link-result" role="status"></p>
    </section>

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
      <h2>Forgot your password, or sign in by mail</h2>
      <form id="mail-request-form">
        <label>Email <input name="email" type="email" autocomplete="email" required></label>
        <button id="request-reset" type="submit" name="kind" value="reset">Mail me a reset link</button>
        <button id="request-magic" type="submit" name="kind" value="magic">Mail me a sign-in link</button>
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
      <button id="request-verification" type="button">Mail me a verification link</button>
      <h2>Sessions</h2>
      <ul id="sessions"></ul>

      <section id="device">
        <h2>Sign in a device</h2>
        <p>A TV or a command-line tool shows a code and this page's address (<code>/demo/device</code>). Enter the code to see what asks, then approve or deny.</p>
        <form id="device-form">
          <label>Code shown on the device <input name="userCode" autocomplete="off" autocapitalize="characters" spellcheck="false" placeholder="ABCD-EFGH" required></label>
          <button type="submit">Continue</button>
        </form>
        <div id="device-request" hidden>
          <p><strong id="device-client"></strong> asks to sign in as you with these scopes, until <span id="device-expires"></span>:</p>
          <ul id="device-scopes"></ul>
          <button id="approve-device" type="button">Approve</button>
          <button id="deny-device" type="button">Deny</button>
        </div>
        <p id="device-result" role="status"></p>
      </section>
    </section>

    <section id="outbox" hidden>
      <h2>Dev outbox</h2>
      <p>Without SMTP_URL, mails stay here (development only). Open a link as the person who got the mail would.</p>
      <button id="show-outbox" type="button">Show the outbox</button>
      <ul id="outbox-list"></ul>
    </section>
  </main>
</body>
</html>
`;
