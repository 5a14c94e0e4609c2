// mentorgraph web UI: the API key lives in sessionStorage (this tab only) and is sent as a
// bearer token by fetch. Pages are server-rendered (Jinja, escaped); this script only
// fetches server-rendered fragments and swaps them in. It never builds HTML from data.
"use strict";

(() => {
  const store = window.sessionStorage;
  const KEY = "mentorgraph.key";
  const ROLE = "mentorgraph.role";
  const EMPLOYEE = "mentorgraph.employee";
  const RANK = { employee: 1, hr: 2, admin: 3 };

  const key = () => store.getItem(KEY);
  const role = () => store.getItem(ROLE) || "";
  const hasRole = (needed) => (RANK[role()] || 0) >= (RANK[needed] || 99);

  function showMessage(text) {
    const box = document.getElementById("message");
    if (!box) return;
    box.textContent = text || "";
    box.hidden = !text;
  }

  async function problemText(response) {
    try {
      const problem = await response.json();
      return problem.detail || problem.title || `HTTP ${response.status}`;
    } catch {
      return `HTTP ${response.status}`;
    }
  }

  async function call(url, options = {}) {
    const headers = new Headers(options.headers || {});
    if (key()) headers.set("Authorization", `Bearer ${key()}`);
    const response = await fetch(url, { ...options, headers, credentials: "omit", cache: "no-store" });
    if (response.status === 401) {
      signOut(false);
      throw new Error("Your API key was not accepted; sign in again.");
    }
    if (!response.ok) throw new Error(await problemText(response));
    return response;
  }

  function applyVisibility() {
    const signedIn = Boolean(key());
    document.querySelectorAll("[data-needs-key]").forEach((el) => { el.hidden = !signedIn; });
    document.querySelectorAll("[data-hide-with-key]").forEach((el) => { el.hidden = signedIn; });
    document.querySelectorAll("[data-needs-role]").forEach((el) => {
      el.hidden = !(signedIn && hasRole(el.dataset.needsRole));
    });
    const who = document.getElementById("who");
    if (who) {
      const employee = store.getItem(EMPLOYEE);
      who.textContent = signedIn ? `${role()}${employee ? ` · ${employee}` : ""}` : "";
    }
    const out = document.getElementById("sign-out");
    if (out) out.hidden = !signedIn;
    const need = document.getElementById("need-key");
    if (need) need.hidden = signedIn || document.body.dataset.page === "home";
  }

  function signOut(redirect = true) {
    store.removeItem(KEY);
    store.removeItem(ROLE);
    store.removeItem(EMPLOYEE);
    applyVisibility();
    if (redirect) window.location.assign("/");
  }

  async function signIn(event) {
    event.preventDefault();
    const form = event.currentTarget;
    const candidate = form.elements.key.value.trim();
    showMessage("");
    try {
      const response = await fetch("/api/v1/me", {
        headers: { Authorization: `Bearer ${candidate}` },
        credentials: "omit",
        cache: "no-store",
      });
      if (!response.ok) throw new Error(await problemText(response));
      const me = await response.json();
      store.setItem(KEY, candidate);
      store.setItem(ROLE, me.role);
      if (me.employee_id) store.setItem(EMPLOYEE, me.employee_id);
      form.reset();
      applyVisibility();
    } catch (error) {
      showMessage(`Sign-in failed: ${error.message}`);
    }
  }

  async function loadFragment(form) {
    const target = document.querySelector(form.dataset.target);
    if (!target) return;
    const params = new URLSearchParams();
    for (const [name, value] of new FormData(form)) {
      if (typeof value === "string" && value.trim() !== "") params.append(name, value.trim());
    }
    const post = (form.dataset.method || "get").toLowerCase() === "post";
    await swap(target, post ? form.dataset.fragment : `${form.dataset.fragment}?${params}`,
      post ? { method: "POST", body: params } : {});
  }

  async function swap(target, url, options = {}) {
    showMessage("");
    target.setAttribute("aria-busy", "true");
    try {
      const response = await call(url, options);
      // Server-rendered by Jinja with autoescaping: safe to insert.
      target.innerHTML = await response.text();
    } catch (error) {
      target.textContent = "";
      showMessage(error.message);
    } finally {
      target.removeAttribute("aria-busy");
    }
  }

  // Buttons inside fragments: <button data-action="/api/v1/..." data-method="POST"
  // data-body='{"...": ...}' data-reload="#form-id">
  async function runAction(button) {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    button.disabled = true;
    showMessage("");
    try {
      const options = { method: button.dataset.method || "POST" };
      if (button.dataset.body) {
        options.body = button.dataset.body;
        options.headers = { "Content-Type": "application/json" };
      }
      await call(button.dataset.action, options);
      const reload = button.dataset.reload && document.querySelector(button.dataset.reload);
      if (reload) await loadFragment(reload);
    } catch (error) {
      showMessage(error.message);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    applyVisibility();
    const signInForm = document.getElementById("sign-in-form");
    if (signInForm) signInForm.addEventListener("submit", signIn);
    const out = document.getElementById("sign-out");
    if (out) out.addEventListener("click", () => signOut(true));

    document.querySelectorAll("form[data-fragment]").forEach((form) => {
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        loadFragment(form);
      });
      const auto = form.dataset.autoload;
      if (key() && auto && (auto === "employee" ? store.getItem(EMPLOYEE) : hasRole(auto))) loadFragment(form);
    });
    document.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-action]");
      if (button) {
        event.preventDefault();
        runAction(button);
        return;
      }
      const loader = event.target.closest("button[data-load]");
      const target = loader && document.querySelector(loader.dataset.target);
      if (target) {
        event.preventDefault();
        swap(target, loader.dataset.load);
      }
    });
  });
})();
