// Passkeys (WebAuthn) for the account forms marked data-passkey="register" or "signin". The form is an ordinary form
// posting to the server; this adds the browser step: on submit it posts the form (with its antiforgery token) to
// data-options-url, passes the JSON options to navigator.credentials.create/get, puts the JSON of the resulting
// credential in the form's "credential" field and submits the form.
(() => {
  'use strict';

  const en = document.documentElement.lang === 'en';
  const t = (ja, english) => (en ? english : ja);
  const supported = typeof window.PublicKeyCredential === 'function'
    && typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function'
    && typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function';

  for (const form of document.querySelectorAll('form[data-passkey]')) {
    const status = form.querySelector('[data-passkey-status]');
    const button = form.querySelector('[data-passkey-button]');
    const say = (text) => { if (status) status.textContent = text; };
    if (!supported) {
      say(t('このブラウザはパスキーに対応していません。', 'This browser does not support passkeys.'));
      if (button) button.disabled = true;
      continue;
    }

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      if (button) button.disabled = true;
      say(t('パスキーの確認を待っています…', 'Waiting for your passkey…'));
      try {
        const response = await fetch(form.dataset.optionsUrl, { method: 'POST', body: new FormData(form), credentials: 'same-origin' });
        if (!response.ok) throw new Error('options: HTTP ' + response.status);
        const options = await response.json();
        const credential = form.dataset.passkey === 'register'
          ? await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(options) })
          : await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(options) });
        if (!credential) throw new Error('no credential');
        form.querySelector('input[name=credential]').value = JSON.stringify(credential);
        say(t('送信しています…', 'Sending…'));
        form.submit(); // not requestSubmit: this handler would run again
      } catch (error) {
        say(t('パスキーの操作が完了しませんでした（取り消されたか、時間切れです）。もう一度お試しください。',
          'The passkey step did not complete (cancelled or timed out). Try again.'));
        if (button) button.disabled = false;
        console.debug('passkey', error);
      }
    });
  }
})();
