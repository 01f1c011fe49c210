// Shared by the facilitator's console and the players' view: the token, calls whose errors
// carry the sandbox's French diagnostics, polling, and rows updated in place (a comment being
// typed in a row survives the refresh of the others).
"use strict";
const Drill = (() => {
  const KEY = "santelab.jeton";
  const POLL_MS = Number(document.body.dataset.poll || 500);
  // The sandbox's root as this page sees it (its body's data-root, relative: pages live at
  // /drill/<page>/<name>): behind JupyterLab's server proxy it is /…/santelab/, not /.
  const ROOT = new URL(document.body.dataset.root || "../../", location.href);

  function token() {
    const hash = new URLSearchParams(location.hash.slice(1));
    if (hash.get("jeton")) {  // a link given by the CLI or a test: kept, then wiped from the URL
      sessionStorage.setItem(KEY, hash.get("jeton"));
      history.replaceState(null, "", location.pathname);
    }
    return sessionStorage.getItem(KEY);
  }

  async function call(method, path, body) {
    const headers = {"Accept": "application/json", "Authorization": "Bearer " + (token() || "")};
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(new URL(path.replace(/^\//, ""), ROOT), {method, headers,
      body: body === undefined ? undefined : JSON.stringify(body)});
    const data = await response.json().catch(() => null);
    if (!response.ok) {
      const text = data && data.issue ? data.issue[0].diagnostics : "Erreur " + response.status;
      throw Object.assign(new Error(text), {status: response.status});
    }
    return data;
  }

  function show(error) {
    const box = document.getElementById("erreur");
    box.textContent = error ? error.message : "";
    box.hidden = !error;
  }

  // Polls `refresh` until a refusal (401/403: nothing will change by waiting).
  function poll(refresh) {
    async function loop() {
      try {
        await refresh();
        show(null);
      } catch (error) {
        show(error);
        if (error.status === 401 || error.status === 403) return;
      }
      setTimeout(loop, POLL_MS);
    }
    loop();
  }

  // The login form when no token is known; `start` once there is one.
  function connect(start) {
    const form = document.getElementById("connexion");
    if (token()) { form.hidden = true; start(); return; }
    form.hidden = false;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const fields = new FormData(form);
      try {
        const answer = await call("POST", "/auth/token", {tenant: fields.get("tenant"),
          login: fields.get("login"), password: fields.get("password")});
        sessionStorage.setItem(KEY, answer.access_token);
        form.hidden = true;
        start();
      } catch (error) { show(error); }
    });
  }

  function el(tag, attributes, ...children) {
    const node = Object.assign(document.createElement(tag), attributes || {});
    node.append(...children.filter((c) => c !== null && c !== undefined));
    return node;
  }

  // One row per key in `tbody`: text cells rewritten when they change; the last cell (the
  // actions) rebuilt by `actions()` only when `version` changes.
  function row(tbody, key, cells, version, actions) {
    let tr = tbody.querySelector(`tr[data-cle="${CSS.escape(key)}"]`);
    if (!tr) {
      tr = el("tr");
      tr.dataset.cle = key;
      cells.forEach(() => tr.append(el("td")));
      tr.append(el("td", {className: "actions"}));
      tbody.append(tr);
    }
    cells.forEach((text, i) => {
      if (tr.children[i].textContent !== String(text)) tr.children[i].textContent = text;
    });
    if (tr.dataset.version !== version) {
      tr.dataset.version = version;
      tr.lastChild.replaceChildren(...(actions ? actions() : []));
    }
    return tr;
  }

  const minutes = (s) => (s === null || s === undefined ? "" : "T+" + (s / 60).toFixed(1) + " min");
  const clock = (iso) => new Date(iso).toLocaleTimeString("fr-FR");

  return {token, call, show, poll, connect, el, row, minutes, clock};
})();
