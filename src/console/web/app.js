import { useEffect, useRef, useState } from 'preact/hooks';
import { html, render } from './lib.js';
import { gql, onAuthProblem } from './api.js';
import { completeSignIn, lastOption, signIn, signInOptions, signOut, token } from './auth.js';
import { language, languages, setLanguage, t } from './i18n.js';
import { AccessPage } from './pages/access.js';
import { AdministerPage } from './pages/administer.js';
import { DashboardPage } from './pages/dashboard.js';
import { DecidePage } from './pages/decide.js';
import { OrderPage } from './pages/order.js';
import { RegisterPage } from './pages/register.js';

const PAGES = [
  { path: 'access', label: 'nav.access', Page: AccessPage },
  { path: 'decide', label: 'nav.decide', Page: DecidePage },
  { path: 'order', label: 'nav.order', Page: OrderPage },
  { path: 'register', label: 'nav.register', Page: RegisterPage },
  { path: 'dashboard', label: 'nav.dashboard', Page: DashboardPage },
  { path: 'administer', label: 'nav.administer', Page: AdministerPage },
];

const SESSION = '{ session { authenticated registered assuranceLevel } me { id displayName email profileComplete } }';

function currentPath() {
  return location.hash.replace(/^#\/?/, '') || '';
}

function SignIn({ failure }) {
  const [options, setOptions] = useState(null);
  useEffect(() => void signInOptions().then(setOptions), []);
  return html`<section aria-labelledby="sign-in-title">
    <h1 id="sign-in-title">${t('signIn.title')}</h1>
    <p>${t('signIn.intro')}</p>
    ${failure && html`<p role="alert" class="error">${t('signIn.failed', { message: failure })}</p>`}
    ${options === null ? html`<p>${t('loading')}</p>` : options.length === 0 ? html`<p>${t('signIn.none')}</p>` : html`<ul class="plain">
      ${options.map((o) => html`<li><button type="button" onClick=${() => signIn(o, { lang: language() })}>${t('signIn.with', { name: o.name })}</button></li>`)}
    </ul>`}
  </section>`;
}

function StepUp({ level, onCancel, email }) {
  const ref = useRef();
  useEffect(() => ref.current?.showModal?.(), []);
  return html`<dialog ref=${ref} aria-labelledby="step-up-title" onCancel=${onCancel}>
    <h2 id="step-up-title">${t('stepUp.title')}</h2>
    <p>${t('stepUp.text', { level })}</p>
    <div class="actions">
      <button type="button" onClick=${async () => signIn(await lastOption(), { acr: level, loginHint: email, lang: language() })}>${t('stepUp.go')}</button>
      <button type="button" class="secondary" onClick=${onCancel}>${t('cancel')}</button>
    </div>
  </dialog>`;
}

function App() {
  const [lang, setLang] = useState(language());
  const [path, setPath] = useState(currentPath());
  const [session, setSession] = useState(undefined);
  const [failure, setFailure] = useState(null);
  const [stepUp, setStepUp] = useState(null);

  const load = () => {
    if (!token()) return setSession(null);
    gql(SESSION).then(setSession, () => setSession(null));
  };
  useEffect(() => {
    // The return from the issuer lands on /console/?code=…; the page asked for before leaving is restored.
    completeSignIn().then(
      () => {
        setPath(currentPath());
        load();
      },
      (e) => {
        setFailure(e.message);
        load();
      },
    );
    const onHash = () => setPath(currentPath());
    addEventListener('hashchange', onHash);
    const off = onAuthProblem((e) => {
      if (e.stepUp) setStepUp(e.extensions.requiredAssuranceLevel ?? 'HIGH');
      else {
        signOut();
        setSession(null);
      }
    });
    return () => {
      removeEventListener('hashchange', onHash);
      off();
    };
  }, []);
  useEffect(() => {
    const page = PAGES.find((p) => p.path === path);
    document.title = `${page ? t(page.label) : t('signIn.title')} — ${t('app.title')}`;
    // Moves focus to the new page's heading, so a keyboard or screen-reader user starts there.
    document.querySelector('main h1')?.focus();
  }, [path, lang, session]);

  const registered = session?.session?.registered;
  const fallback = registered ? 'access' : 'register';
  const page = PAGES.find((p) => p.path === path) ?? PAGES.find((p) => p.path === fallback);
  const chooseLanguage = (e) => {
    setLanguage(e.target.value);
    setLang(e.target.value);
  };
  return html`
    <a class="skip" href="#main" onClick=${(e) => { e.preventDefault(); document.getElementById('main').focus(); }}>${t('skip')}</a>
    <header class="top">
      <span class="brand">${t('app.title')}</span>
      ${session && html`<nav aria-label=${t('nav.label')}><ul>
        ${PAGES.map((p) => html`<li><a href=${`#/${p.path}`} aria-current=${p === page ? 'page' : undefined}>${t(p.label)}</a></li>`)}
      </ul></nav>`}
      <div class="tools">
        <label for="language">${t('language')}</label>
        <select id="language" value=${lang} onChange=${chooseLanguage}>
          ${Object.entries(languages).map(([code, name]) => html`<option value=${code} lang=${code}>${name}</option>`)}
        </select>
        ${session && html`<span class="who">${t('signedInAs', { name: session.me?.displayName ?? session.me?.email ?? '—' })}</span>
          <button type="button" class="secondary" onClick=${() => { signOut(); setSession(null); }}>${t('signOut')}</button>`}
      </div>
    </header>
    <main id="main" tabindex="-1">
      ${session === undefined ? html`<p>${t('loading')}</p>` : session === null ? html`<${SignIn} failure=${failure} />` : html`<${page.Page} key=${page.path + lang} session=${session} reload=${load} />`}
    </main>
    ${stepUp && html`<${StepUp} level=${stepUp} email=${session?.me?.email} onCancel=${() => setStepUp(null)} />`}
  `;
}

document.documentElement.lang = language();
const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
