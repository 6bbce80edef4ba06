// Security keys (WebAuthn): register one from the profile's Security page, sign in with
// one as the second factor. The server sends the options as JSON (binary fields in
// base64url) and checks the browser's answer; this file only converts and passes them.
(function () {
  "use strict";

  function toBytes(value) {
    const base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "===".slice((base64.length + 3) % 4);
    const raw = atob(padded);
    const bytes = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    const bytes = new Uint8Array(buffer);
    let raw = "";
    for (let i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function csrf(form) {
    const input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  async function post(form, url, body) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf(form) },
      body: body === undefined ? "{}" : JSON.stringify(body),
    });
    let data = {};
    try { data = await response.json(); } catch (e) { data = {}; }
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  function showError(form, message) {
    const box = form.querySelector("[data-webauthn-error]");
    if (!box) return;
    box.textContent = message;
    box.hidden = !message;
  }

  function busy(form, on) {
    const button = form.querySelector("button[type=submit]");
    if (button) button.disabled = on;
  }

  function credentialJson(credential) {
    const response = credential.response;
    const out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) },
    };
    if (credential.authenticatorAttachment) out.authenticatorAttachment = credential.authenticatorAttachment;
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      if (response.getTransports) out.response.transports = response.getTransports();
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      if (response.userHandle) out.response.userHandle = toText(response.userHandle);
    }
    return out;
  }

  async function register(form) {
    const name = form.querySelector("input[name=name]").value.trim();
    if (!name) {
      form.querySelector("input[name=name]").focus();
      showError(form, form.querySelector("input[name=name]").validationMessage || "");
      return;
    }
    const options = await post(form, form.dataset.optionsUrl);
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const credential = await navigator.credentials.create({ publicKey: options });
    const done = await post(form, form.dataset.url, { name: name, credential: credentialJson(credential) });
    window.location.assign(done.redirect);
  }

  async function signIn(form) {
    const options = await post(form, form.dataset.optionsUrl);
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBytes(c.id); });
    const credential = await navigator.credentials.get({ publicKey: options });
    const done = await post(form, form.dataset.url, credentialJson(credential));
    window.location.assign(done.redirect);
  }

  function wire(selector, ceremony) {
    document.querySelectorAll(selector).forEach((form) => {
      if (!window.PublicKeyCredential) {
        const note = form.querySelector("[data-webauthn-unsupported]");
        if (note) note.hidden = false;
        busy(form, true);
        return;
      }
      form.addEventListener("submit", async (event) => {
        event.preventDefault();
        showError(form, "");
        busy(form, true);
        try {
          await ceremony(form);
        } catch (error) {
          showError(form, error && error.message ? error.message : String(error));
          busy(form, false);
        }
      });
    });
  }

  wire("form[data-webauthn-register]", register);
  wire("form[data-webauthn-signin]", signIn);
})();
