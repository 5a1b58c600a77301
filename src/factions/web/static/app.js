/* factions web app: a small single-page front end over the app's own REST API.
 *
 * Pages (hash routes): #/scenarios, #/scenario/NAME (editor + single runs), #/runs
 * (ensembles and the run store), #/job/ID (an ensemble's progress, then its results),
 * #/run/ID (a stored run), #/compare (two runs side by side).
 *
 * Every figure comes from the server (the report's figure list) and is rendered
 * generically: Plotly for "plotly", Cytoscape.js for "network", HTML tables for "table".
 * Text from the server is always set as text, never as HTML.
 */
(function () {
  "use strict";

  const SECTION_ORDER = ["answers", "issues", "alliances", "security", "elections", "sensitivity", "inputs"];
  const DEFAULT_SECTIONS = {
    answers: "Answers", issues: "Issues: positions and forecasts", alliances: "Alliances",
    security: "Security: armed strength and threat", elections: "Elections",
    sensitivity: "Sensitivity: what drives each answer", inputs: "Inputs and their sources",
  };
  const LONG_TEXT = new Set(["description", "source", "judgment", "citation", "note", "text", "body"]);
  const SECONDARY = new Set(["description", "source", "judgment", "note", "url", "license", "sources"]);
  const ACTOR_REFS = new Set(["actor", "a", "b", "other"]);
  const main = document.getElementById("main");

  // ---- small helpers -------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k === "text") node.textContent = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else if (k === "dataset") Object.assign(node.dataset, v);
      else if (k in node && typeof v !== "string") node[k] = v;
      else node.setAttribute(k, v === true ? "" : v);
    }
    for (const c of children.flat()) {
      if (c === null || c === undefined || c === false) continue;
      node.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return node;
  }
  const clear = (node) => { while (node.firstChild) node.removeChild(node.firstChild); return node; };
  const isObj = (v) => v !== null && typeof v === "object" && !Array.isArray(v);
  const clone = (v) => JSON.parse(JSON.stringify(v));
  const fmt = (x, d = 4) => (typeof x === "number" && isFinite(x) ? String(+x.toPrecision(d)) : (x ?? "–"));

  function toast(msg, bad) {
    const t = el("div", { class: "toast" + (bad ? " bad" : ""), text: msg });
    document.getElementById("toasts").append(t);
    setTimeout(() => t.remove(), bad ? 6000 : 3000);
  }

  class ApiError extends Error {
    constructor(status, problem) {
      super((problem && (problem.detail || problem.title)) || "HTTP " + status);
      this.status = status;
      this.problem = problem || {};
    }
  }

  let busyCount = 0;
  function busy(delta) {
    busyCount += delta;
    document.getElementById("busy").hidden = busyCount <= 0;
  }

  async function api(method, url, body, opts) {
    const init = { method, headers: { Accept: "application/json" } };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(body);
    }
    if (opts && opts.signal) init.signal = opts.signal;
    busy(1);
    try {
      const r = await fetch(url, init);
      if (r.status === 204) return null;
      const type = r.headers.get("content-type") || "";
      const data = type.includes("json") ? await r.json() : await r.text();
      if (!r.ok) throw new ApiError(r.status, typeof data === "object" ? data : { detail: String(data) });
      return data;
    } finally {
      busy(-1);
    }
  }

  function problemText(err) {
    if (!(err instanceof ApiError)) return String(err && err.message ? err.message : err);
    const p = err.problem;
    const lines = [p.detail || p.title || "request failed"];
    for (const q of p.problems || []) lines.push((q.path ? q.path + ": " : "") + q.message);
    return lines.join("\n");
  }

  function problemList(problems, onClick) {
    return el("ul", { class: "problems" }, problems.map((p) =>
      el("li", { onclick: onClick ? () => onClick(p) : null, title: onClick ? "Show the field" : null },
        p.path ? el("code", { text: p.path }) : null, p.path ? ": " : "", p.message)));
  }

  function debounce(fn, ms) {
    let t = null;
    const wrapped = (...args) => { clearTimeout(t); t = setTimeout(() => fn(...args), ms); };
    wrapped.flush = (...args) => { clearTimeout(t); return fn(...args); };
    return wrapped;
  }

  /** Ask for a name in the page's dialog; resolves to the name or null. */
  function askName(title, text, initial, check) {
    const dlg = document.getElementById("dialog");
    const input = document.getElementById("dialog-input");
    const error = document.getElementById("dialog-error");
    document.getElementById("dialog-title").textContent = title;
    document.getElementById("dialog-text").textContent = text || "";
    input.value = initial || "";
    error.hidden = true;
    return new Promise((resolve) => {
      const ok = document.getElementById("dialog-ok");
      const onOk = (ev) => {
        const msg = check ? check(input.value.trim()) : null;
        if (msg) { ev.preventDefault(); error.textContent = msg; error.hidden = false; }
      };
      ok.addEventListener("click", onOk);
      dlg.addEventListener("close", function done() {
        dlg.removeEventListener("close", done);
        ok.removeEventListener("click", onOk);
        resolve(dlg.returnValue === "ok" ? input.value.trim() : null);
      });
      dlg.returnValue = "";
      dlg.showModal();
      input.focus();
      input.select();
    });
  }
  const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
  const nameCheck = (v) => (NAME_RE.test(v) ? null : "Use 1 to 64 letters, digits, '-' and '_', starting with a letter or digit.");

  // ---- shared data ---------------------------------------------------------------------
  const cache = {};
  async function getSchema() { return cache.schema || (cache.schema = await api("GET", "/api/schema")); }
  async function getModels() { return cache.models || (cache.models = await api("GET", "/api/models")); }

  function modelSelect(value) {
    const s = el("select", { "aria-label": "model", name: "model" });
    const fill = (models) => {
      for (const m of models) s.append(el("option", { value: m.name, text: m.name, title: m.title }));
      s.value = value || "mean";
    };
    if (cache.models) fill(cache.models);
    else getModels().then(fill).catch(() => {});
    return s;
  }

  // ---- router --------------------------------------------------------------------------
  let cleanup = [];
  function onLeave(fn) { cleanup.push(fn); }

  async function route() {
    for (const fn of cleanup.splice(0)) { try { fn(); } catch (e) { /* ignore */ } }
    const hash = location.hash.replace(/^#\/?/, "");
    const [path, query] = hash.split("?");
    const parts = path.split("/").map(decodeURIComponent);
    const params = new URLSearchParams(query || "");
    const page = parts[0] || "scenarios";
    for (const a of document.querySelectorAll("[data-nav]")) {
      const on = a.dataset.nav === page || (page === "scenario" && a.dataset.nav === "scenarios") ||
        ((page === "job" || page === "run") && a.dataset.nav === "runs");
      a.classList.toggle("active", on);
    }
    main.classList.toggle("wide", page === "scenario" || page === "compare");
    clear(main);
    try {
      if (page === "scenarios") await scenariosPage();
      else if (page === "scenario" && parts[1]) await editorPage(parts[1]);
      else if (page === "runs") await runsPage();
      else if (page === "job" && parts[1]) await jobPage(parts[1]);
      else if (page === "run" && parts[1]) await storedRunPage(parts[1]);
      else if (page === "compare") await comparePage(params);
      else main.append(el("div", { class: "card" }, "No such page. ", el("a", { href: "#/scenarios", text: "Scenarios" })));
    } catch (err) {
      main.append(el("div", { class: "card" }, el("h2", { text: "Something went wrong" }),
        el("pre", { text: problemText(err) })));
    }
  }

  // ==== Scenarios page ==================================================================
  async function scenariosPage() {
    const list = await api("GET", "/api/scenarios");
    const rows = list.map((s) => el("tr", {},
      el("td", { class: "nowrap" }, el("a", { href: "#/scenario/" + encodeURIComponent(s.name), text: s.name })),
      el("td", { text: s.title }),
      el("td", { class: "nowrap", text: s.date || "" }),
      el("td", { class: "num", text: s.actors }),
      el("td", { class: "num", text: s.issues }),
      el("td", {}, el("span", { class: "badge " + (s.builtin ? "info" : ""), text: s.builtin ? "built-in" : "saved" }),
        " ", s.valid ? null : el("span", { class: "badge bad", text: "invalid" })),
      el("td", { class: "nowrap" },
        el("a", { class: "button secondary", href: "#/scenario/" + encodeURIComponent(s.name), text: "Open" }), " ",
        el("button", { class: "secondary", text: "Copy", onclick: () => copyScenario(s.name) }), " ",
        el("a", { class: "button secondary", href: "/api/scenarios/" + encodeURIComponent(s.name) + "/export",
          download: s.name + ".yaml", text: "YAML" }), " ",
        s.builtin ? null : el("button", { class: "danger", text: "Delete", onclick: () => deleteScenario(s.name) }))));
    const table = el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, ["Name", "Title", "Date", "Actors", "Issues", "", ""].map((h, i) =>
        el("th", { class: i === 3 || i === 4 ? "num" : "", text: h })))),
      el("tbody", {}, rows));

    const fileInput = el("input", { type: "file", name: "file", accept: ".yaml,.yml,.json,.toml,.csv,.xml,text/csv,application/xml,text/xml,application/json", required: true });
    const nameInput = el("input", { name: "name", placeholder: "(from the file)", autocomplete: "off" });
    const fmtSelect = el("select", { name: "format" },
      el("option", { value: "auto", text: "detect (by name and content)" }),
      el("option", { value: "ktab-csv", text: "KTAB CSV" }),
      el("option", { value: "ktab-xml", text: "KTAB XML" }),
      el("option", { value: "bdm-csv", text: "BDM CSV (actor, capability, position, salience)" }));
    const importProblems = el("div");
    const importForm = el("form", { class: "import-form", onsubmit: async (ev) => {
      ev.preventDefault();
      clear(importProblems);
      if (!fileInput.files.length) return;
      const fd = new FormData();
      fd.append("file", fileInput.files[0]);
      if (nameInput.value.trim()) fd.append("name", nameInput.value.trim());
      fd.append("format", fmtSelect.value);
      try {
        const doc = await api("POST", "/api/import", fd);
        toast("Imported as " + doc.name);
        location.hash = "#/scenario/" + encodeURIComponent(doc.name);
      } catch (err) {
        importProblems.append(el("p", { class: "problem-inline", text: err.problem ? err.problem.detail : String(err) }),
          problemList((err.problem && err.problem.problems) || []));
      }
    } },
    el("label", {}, "File", fileInput),
    el("label", {}, "Format", fmtSelect),
    el("label", {}, "Save as", nameInput),
    el("div", {}, el("button", { type: "submit", text: "Import" })),
    importProblems);

    main.append(
      el("div", { class: "page-head" },
        el("div", {}, el("h1", { text: "Scenarios" }),
          el("div", { class: "sub", text: "The built-in scenarios and the ones you saved. Open one to edit and run it." })),
        el("span", { class: "spacer" }),
        el("button", { text: "New scenario", onclick: newScenario })),
      el("div", { class: "two-col" },
        el("div", { class: "card" }, table),
        el("div", {},
          el("div", { class: "card" }, el("h2", { text: "Import a file" }),
            el("p", { class: "muted small", text: "Any file factions run reads: a scenario in YAML, JSON or TOML, a KTAB CSV or XML, or a BDM-style CSV (one issue). The file is validated and saved as a scenario." }),
            importForm))));
  }

  async function copyScenario(name) {
    const target = await askName("Copy " + name, "The copy is a saved scenario you can edit; its metadata.id becomes its name.",
      name + "-copy", nameCheck);
    if (!target) return;
    try {
      await api("POST", "/api/scenarios/" + encodeURIComponent(name) + "/copy", { name: target });
      toast("Copied to " + target);
      location.hash = "#/scenario/" + encodeURIComponent(target);
    } catch (err) { toast(problemText(err), true); }
  }

  async function deleteScenario(name) {
    if (!confirm("Delete the saved scenario " + name + "?")) return;
    try {
      await api("DELETE", "/api/scenarios/" + encodeURIComponent(name));
      toast("Deleted " + name);
      route();
    } catch (err) { toast(problemText(err), true); }
  }

  async function newScenario() {
    const name = await askName("New scenario", "A small valid scenario to start from.", "my-scenario", nameCheck);
    if (!name) return;
    const today = new Date().toISOString().slice(0, 10);
    const data = {
      metadata: { id: name, title: "A new scenario", date: today },
      actors: [{ id: "a", name: "Actor A", capability: 60 }, { id: "b", name: "Actor B", capability: 40 }],
      issues: [{ id: "x", name: "The issue", scale: { low: 0, high: 100, low_label: "None", high_label: "All" } }],
      stances: [{ actor: "a", issue: "x", position: 20, salience: 70 }, { actor: "b", issue: "x", position: 80, salience: 50 }],
    };
    try {
      await api("PUT", "/api/scenarios/" + encodeURIComponent(name), { data });
      location.hash = "#/scenario/" + encodeURIComponent(name);
    } catch (err) { toast(problemText(err), true); }
  }

  // ==== JSON Schema helpers ============================================================
  function deref(schema, root) {
    let s = schema || {};
    for (let i = 0; i < 10 && s.$ref; i++) {
      const key = s.$ref.split("/").pop();
      s = Object.assign({}, root.$defs[key], Object.fromEntries(Object.entries(s).filter(([k]) => k !== "$ref")));
    }
    return s;
  }

  /** What kind of input a schema calls for. */
  function kindOf(schema, root) {
    const s = deref(schema, root);
    if ("const" in s) return { kind: "const" };
    const alts = s.oneOf || s.anyOf;
    if (alts) {
      const ds = alts.map((a) => deref(a, root));
      const nonNull = ds.filter((d) => d.type !== "null");
      if (ds.some((d) => d.type === "number") && ds.some((d) => d.properties && "value" in d.properties)) return { kind: "number-u" };
      if (nonNull.length === 2 && nonNull.some((d) => d.type === "boolean") && nonNull.some((d) => d.type === "string")) return { kind: "bool-text" };
      if (nonNull.length === 1) return Object.assign(kindOf(nonNull[0], root), { optional: true });
      return { kind: "json" };
    }
    if (s.enum) return { kind: "enum", options: s.enum };
    if (s.type === "string") return { kind: s.format === "date" ? "date" : "string", schema: s };
    if (s.type === "number" || s.type === "integer") return { kind: "number", schema: s };
    if (s.type === "boolean") return { kind: "boolean" };
    if (s.type === "object" && s.properties) return { kind: "object", schema: s };
    if (s.type === "array") {
      const item = deref(s.items || {}, root);
      if (item.type === "object" && item.properties) return { kind: "records", item };
      if (item.type === "string") return { kind: "strings" };
    }
    return { kind: "json" };
  }

  const numValue = (v) => (isObj(v) ? v.value : v);
  const label = (key, s) => (s && s.title) || key.replace(/_/g, " ");

  // ==== Editor page ====================================================================
  async function editorPage(name) {
    const [doc, schema] = await Promise.all([
      api("GET", "/api/scenarios/" + encodeURIComponent(name)),
      getSchema(),
      getModels(),
    ]);
    const st = {
      name, builtin: doc.builtin, data: doc.data ? clone(doc.data) : null, yaml: doc.yaml,
      source: "yaml", problems: doc.problems || [], dirty: false, tab: "form", open: { metadata: true, stances: true },
      seq: 0, lastResult: null,
    };
    if (!st.data) st.tab = "yaml";

    // -- header
    const title = el("h1", { title: name });
    const status = el("span", { class: "badge", id: "scenario-status" });
    const dirtyBadge = el("span", { class: "badge warn", text: "unsaved changes", hidden: true });
    const saveBtn = el("button", { text: "Save", title: doc.builtin ? "Built-in scenarios are read-only: use Save as" : "Save this scenario", disabled: doc.builtin, onclick: () => save(st.name) });
    const saveAsBtn = el("button", { class: "secondary", text: "Save as…", onclick: saveAs });
    const exportLink = el("a", { class: "button secondary", href: "/api/scenarios/" + encodeURIComponent(name) + "/export", download: name + ".yaml", text: "Export", title: "Download the saved scenario as YAML" });
    const model = modelSelect("mean");
    const seed = el("input", { type: "number", min: 0, value: 0, "aria-label": "seed", name: "seed" });
    const runBtn = el("button", { text: "Run", id: "run-button", onclick: runOnce });
    const runs = el("input", { type: "number", min: 1, max: 100000, value: 1000, "aria-label": "ensemble runs", name: "runs" });
    const ensBtn = el("button", { class: "secondary", text: "Ensemble", onclick: startEnsemble, title: "Run an ensemble over the scenario's uncertain inputs" });
    const wideBtn = el("button", { class: "secondary", text: "Wide", title: "Hide the editor: results only", onclick: () => {
      split.classList.toggle("results-only");
      wideBtn.textContent = split.classList.contains("results-only") ? "Editor" : "Wide";
      wideBtn.title = split.classList.contains("results-only") ? "Show the editor again" : "Hide the editor: results only";
      window.dispatchEvent(new Event("resize"));
    } });
    const head = el("div", { class: "editor-head" },
      title, el("span", { class: "badge " + (doc.builtin ? "info" : ""), text: doc.builtin ? "built-in" : "saved" }),
      el("span", { class: "spacer" }),
      el("div", { class: "group" }, saveBtn, saveAsBtn, exportLink),
      el("div", { class: "group" }, el("label", {}, "model", model), el("label", {}, "seed", seed), runBtn),
      el("div", { class: "group" }, el("label", {}, "runs", runs), ensBtn),
      el("div", { class: "group" }, wideBtn));

    // -- panes
    const tabForm = el("button", { text: "Form", id: "tab-form", onclick: () => setTab("form") });
    const tabYaml = el("button", { text: "YAML", id: "tab-yaml", onclick: () => setTab("yaml") });
    const problemBox = el("div", { class: "problem-box" });
    const formBody = el("div", { class: "pane-body", id: "scenario-form" });
    const yamlArea = el("textarea", { class: "code yaml-area", spellcheck: false, "aria-label": "scenario YAML", id: "yaml" });
    const yamlBody = el("div", { class: "pane-body" }, yamlArea);
    const editorPane = el("section", { class: "editor-pane" },
      el("div", { class: "tabs" }, tabForm, tabYaml, el("span", { class: "status" }, dirtyBadge, " ", status)), problemBox, formBody, yamlBody);
    const resultsPane = el("section", { class: "results-pane", id: "results" },
      el("div", { class: "results-empty" }, el("p", { text: "Run the scenario to see its answers, forecasts and charts here." }),
        el("p", { class: "small", text: "Edit it on the left first: every change is validated as you type." })));
    const split = el("div", { class: "split" }, editorPane, resultsPane);
    main.append(head, split);

    function setTitle() {
      const meta = st.data && isObj(st.data.metadata) ? st.data.metadata : {};
      title.textContent = name + (meta.title ? ": " + meta.title : "");
    }
    function setTab(tab) {
      st.tab = tab;
      tabForm.classList.toggle("active", tab === "form");
      tabYaml.classList.toggle("active", tab === "yaml");
      formBody.hidden = tab !== "form";
      yamlBody.hidden = tab !== "yaml";
      if (tab === "form" && st.formStale) buildForm();
    }
    function markDirty() { st.dirty = true; dirtyBadge.hidden = false; }

    // -- validation
    function showProblems() {
      const n = st.problems.length;
      status.className = "badge " + (n ? "bad" : "good");
      status.textContent = n ? n + (n === 1 ? " problem" : " problems") : "valid";
      clear(problemBox);
      if (n) problemBox.append(problemList(st.problems, focusProblem));
      runBtn.disabled = n > 0;
      ensBtn.disabled = n > 0;
      attachProblems();
    }
    function attachProblems() {
      for (const e of formBody.querySelectorAll(".problem-inline")) e.remove();
      for (const e of formBody.querySelectorAll(".has-problem")) e.classList.remove("has-problem");
      for (const p of st.problems) {
        const target = fieldFor(p.path);
        if (!target) continue;
        target.classList.add("has-problem");
        target.append(el("div", { class: "problem-inline", text: (p.path ? p.path + ": " : "") + p.message }));
      }
    }
    function fieldFor(path) {
      let parts = path ? path.split(".") : [];
      while (parts.length) {
        const found = formBody.querySelector('[data-path="' + CSS.escape(parts.join(".")) + '"]');
        if (found) return found;
        parts = parts.slice(0, -1);
      }
      return null;
    }
    function focusProblem(p) {
      setTab("form");
      const target = fieldFor(p.path);
      if (!target) { setTab("yaml"); return; }
      let d = target.closest("details");
      while (d) { d.open = true; d = d.parentElement.closest("details"); }
      target.scrollIntoView({ block: "center" });
      const input = target.querySelector("input, select, textarea");
      if (input) input.focus();
    }

    const validate = debounce(async () => {
      const seq = ++st.seq;
      const body = st.source === "yaml" ? { yaml: st.yaml } : { data: st.data };
      try {
        const rep = await api("POST", "/api/validate", body);
        if (seq !== st.seq) return;  // a newer edit is on its way
        st.problems = rep.problems;
        if (st.source === "yaml") {
          if (rep.data) {
            st.data = rep.data;
            if (st.tab === "form") buildForm(); else st.formStale = true;
          }
        } else if (rep.yaml !== null && rep.yaml !== undefined) {
          st.yaml = rep.yaml;
          if (document.activeElement !== yamlArea) yamlArea.value = st.yaml;
        }
        setTitle();
        showProblems();
      } catch (err) {
        if (seq === st.seq) { st.problems = [{ path: "", message: problemText(err) }]; showProblems(); }
      }
    }, 300);
    st.validate = validate;

    function edited() {  // the form changed st.data
      st.source = "data";
      markDirty();
      setTitle();
      validate();
    }
    yamlArea.addEventListener("input", () => {
      st.yaml = yamlArea.value;
      st.source = "yaml";
      markDirty();
      validate();
    });

    // -- the form, generated from the JSON Schema
    function buildForm() {
      st.formStale = false;
      const scroll = formBody.scrollTop;
      clear(formBody);
      if (!isObj(st.data)) {
        formBody.append(el("p", { class: "muted", text: "The YAML is not a scenario mapping yet: fix it in the YAML tab." }));
        return;
      }
      const ctx = makeCtx();
      formBody.append(el("datalist", { id: "dl-actors" }, ctx.actorIds().map((a) => el("option", { value: a }))),
        el("datalist", { id: "dl-issues" }, ctx.issueIds().map((i) => el("option", { value: i }))));
      const props = schema.properties;
      const order = ["metadata", "actors", "issues", "stances", "resources", "ties", "events", "questions", "dynamics", "options"];
      for (const key of order) {
        if (!props[key]) continue;
        const value = st.data[key];
        const count = Array.isArray(value) ? value.length : null;
        const body = el("div", { class: "section-body" });
        const det = el("details", { class: "section", open: !!st.open[key], dataset: { path: key } },
          el("summary", {}, label(key, {}), count !== null ? el("span", { class: "section-count", text: "(" + count + ")" }) : null),
          body);
        det.addEventListener("toggle", () => { st.open[key] = det.open; });
        if (key === "stances") body.append(stancesEditor(ctx));
        else body.append(renderValue(ctx, props[key], [key], value, { top: true }));
        formBody.append(det);
      }
      formBody.scrollTop = scroll;
      attachProblems();
    }

    function makeCtx() {
      return {
        root: schema,
        get(path) { let v = st.data; for (const k of path) { if (v == null) return undefined; v = v[k]; } return v; },
        set(path, value) {
          let v = st.data;
          for (const k of path.slice(0, -1)) {
            if (v[k] == null) v[k] = typeof k === "number" ? [] : {};
            v = v[k];
          }
          const last = path[path.length - 1];
          if (value === undefined) { if (Array.isArray(v)) v.splice(last, 1); else delete v[last]; }
          else v[last] = value;
        },
        actorIds() { return (st.data.actors || []).map((a) => a && a.id).filter(Boolean); },
        issueIds() { return (st.data.issues || []).map((i) => i && i.id).filter(Boolean); },
        changed: edited,
        rebuild() { edited(); buildForm(); },
      };
    }

    // Render any value from its schema.
    function renderValue(ctx, propSchema, path, value, opts) {
      const k = kindOf(propSchema, ctx.root);
      if (k.kind === "object") return objectFields(ctx, k.schema, path, isObj(value) ? value : {});
      if (k.kind === "records") return recordsEditor(ctx, k.item, path, Array.isArray(value) ? value : []);
      return field(ctx, path[path.length - 1], propSchema, path, value, opts);
    }

    function objectFields(ctx, s, path, value) {
      const primary = el("div", { class: "fields" });
      const secondary = el("div", { class: "fields" });
      const nested = el("div");
      for (const [key, ps] of Object.entries(s.properties)) {
        const k = kindOf(ps, ctx.root);
        if (k.kind === "const") continue;
        const p = path.concat([key]);
        if (k.kind === "object" || k.kind === "records") {
          const sub = el("div", { class: "record", dataset: { path: p.join(".") } },
            el("div", { class: "record-head" }, el("span", { class: "record-title", text: label(key, deref(ps, ctx.root)) })),
            renderValue(ctx, ps, p, value[key]));
          nested.append(key === "sources" || key === "districts" ? el("details", {}, el("summary", { text: label(key, deref(ps, ctx.root)) + (Array.isArray(value[key]) ? " (" + value[key].length + ")" : "") }), sub) : sub);
        } else {
          (SECONDARY.has(key) ? secondary : primary).append(field(ctx, key, ps, p, value[key]));
        }
      }
      const out = el("div", {}, primary);
      if (secondary.childNodes.length) out.append(el("details", {}, el("summary", { class: "small muted", text: "description and provenance" }), secondary));
      if (nested.childNodes.length) out.append(nested);
      return out;
    }

    function recordTitle(item) {
      if (!isObj(item)) return "";
      if (item.id) return item.id + (item.name ? " – " + item.name : "");
      if (item.actor && item.kind) return item.actor + " · " + item.kind;
      if (item.a && item.b) return item.a + " – " + item.b + (item.kind && item.kind !== "relation" ? " (" + item.kind + ")" : "");
      if (item.target) return item.target + " " + (item.actor || "") + (item.issue ? " on " + item.issue : "") + (item.resource ? " " + item.resource : "");
      return "";
    }

    function recordsEditor(ctx, itemSchema, path, items) {
      const wrap = el("div");
      items.forEach((item, i) => {
        const p = path.concat([i]);
        wrap.append(el("div", { class: "record", dataset: { path: p.join(".") } },
          el("div", { class: "record-head" },
            el("span", { class: "record-title", text: recordTitle(item) || "#" + (i + 1) }),
            el("span", { class: "spacer" }),
            el("button", { class: "icon", type: "button", title: "Remove", "aria-label": "remove", text: "×", onclick: () => { ctx.set(p, undefined); ctx.rebuild(); } })),
          objectFields(ctx, itemSchema, p, isObj(item) ? item : {})));
      });
      wrap.append(el("button", { class: "secondary", type: "button", text: "+ Add", onclick: () => {
        const list = ctx.get(path);
        const item = skeleton(ctx, itemSchema);
        if (Array.isArray(list)) list.push(item); else ctx.set(path, [item]);
        ctx.rebuild();
      } }));
      return wrap;
    }

    function skeleton(ctx, s) {
      const out = {};
      for (const key of s.required || []) {
        const k = kindOf(s.properties[key], ctx.root);
        if (k.kind === "number" || k.kind === "number-u") out[key] = 0;
        else if (k.kind === "enum") out[key] = k.options[0];
        else if (k.kind === "boolean") out[key] = false;
        else if (k.kind === "records" || k.kind === "strings") out[key] = [];
        else if (k.kind === "object") out[key] = {};
        else if (k.kind === "date") out[key] = (st.data.metadata && st.data.metadata.date) || new Date().toISOString().slice(0, 10);
        else if (ACTOR_REFS.has(key)) out[key] = ctx.actorIds()[0] || "";
        else if (key === "issue") out[key] = ctx.issueIds()[0] || "";
        else out[key] = "";
      }
      return out;
    }

    // One scalar field.
    function field(ctx, key, propSchema, path, value, opts) {
      const s = deref(propSchema, ctx.root);
      const k = kindOf(propSchema, ctx.root);
      const required = opts && opts.required;
      const wrap = el("div", { class: "field" + (LONG_TEXT.has(key) || k.kind === "json" ? " wide" : ""), dataset: { path: path.join(".") } },
        el("label", { class: "field-label", text: label(key, s), title: s.description || "" }));
      const box = el("div", { class: "field-input" });
      wrap.append(box);
      const set = (v) => { ctx.set(path, v); ctx.changed(); };
      const id = "f-" + path.join("-");
      wrap.firstChild.setAttribute("for", id);
      if (k.kind === "enum") {
        const sel = el("select", { id, onchange: () => set(sel.value || undefined) },
          k.optional || value === undefined ? el("option", { value: "", text: "" }) : null,
          k.options.map((o) => el("option", { value: o, text: o })));
        sel.value = value ?? "";
        box.append(sel);
      } else if (k.kind === "boolean") {
        const dflt = s.default === true;
        const cb = el("input", { type: "checkbox", id, checked: value === undefined ? dflt : !!value, onchange: () => set(cb.checked) });
        box.append(cb);
      } else if (k.kind === "number") {
        const inp = el("input", { type: "number", id, step: "any", value: value ?? "", placeholder: s.default !== undefined ? String(s.default) : "",
          min: s.minimum, max: s.maximum,
          oninput: () => set(inp.value === "" ? undefined : Number(inp.value)) });
        box.append(inp);
      } else if (k.kind === "number-u") {
        box.append(...numberU(ctx, path, value, id));
      } else if (k.kind === "date") {
        const inp = el("input", { type: "date", id, value: value ?? "", oninput: () => set(inp.value || undefined) });
        box.append(inp);
      } else if (k.kind === "bool-text") {
        const inp = el("textarea", { id, rows: 1, value: value === true ? "true" : value || "", placeholder: "true, or the reasoning",
          oninput: () => { const v = inp.value.trim(); set(v === "" ? undefined : v === "true" ? true : inp.value); } });
        box.append(inp);
      } else if (k.kind === "strings") {
        const inp = el("input", { id, value: Array.isArray(value) ? value.join(", ") : "", placeholder: "comma-separated",
          oninput: () => set(inp.value.split(",").map((x) => x.trim()).filter(Boolean)) });
        box.append(inp);
      } else if (k.kind === "json") {
        const inp = el("textarea", { id, class: "code", rows: 2, value: value === undefined ? "" : JSON.stringify(value),
          placeholder: "JSON", onchange: () => {
            if (inp.value.trim() === "") { set(undefined); return; }
            try { set(JSON.parse(inp.value)); inp.setCustomValidity(""); } catch (e) { inp.setCustomValidity("not valid JSON"); inp.reportValidity(); }
          } });
        box.append(inp);
      } else if (k.kind === "string") {
        if (LONG_TEXT.has(key)) {
          const inp = el("textarea", { id, rows: 2, value: value ?? "", oninput: () => set(inp.value === "" && !required ? undefined : inp.value) });
          box.append(inp);
        } else {
          const list = ACTOR_REFS.has(key) ? "dl-actors" : key === "issue" ? "dl-issues" : null;
          const inp = el("input", { id, value: value ?? "", list, spellcheck: false,
            oninput: () => set(inp.value === "" && k.optional ? undefined : inp.value) });
          if (key === "id" || ACTOR_REFS.has(key) || key === "issue") inp.addEventListener("change", () => ctx.rebuild());
          box.append(inp);
        }
      }
      return wrap;
    }

    /** A plain or uncertain number: its value, and its range when it has one. */
    function numberU(ctx, path, value, id) {
      const v = numValue(value);
      const inp = el("input", { type: "number", id, step: "any", value: v ?? "" });
      const range = el("span", { class: "range-inputs" });
      function drawRange() {
        clear(range);
        const cur = ctx.get(path);
        if (isObj(cur) && cur.low !== undefined && cur.low !== null) {
          const lo = el("input", { type: "number", step: "any", value: cur.low, title: "low", "aria-label": "low",
            oninput: () => { const c = ctx.get(path); c.low = lo.value === "" ? undefined : Number(lo.value); ctx.changed(); } });
          const hi = el("input", { type: "number", step: "any", value: cur.high, title: "high", "aria-label": "high",
            oninput: () => { const c = ctx.get(path); c.high = hi.value === "" ? undefined : Number(hi.value); ctx.changed(); } });
          range.append("range", lo, "–", hi);
        } else {
          range.append(el("button", { class: "link", type: "button", text: "+ range", title: "Make it uncertain: a range for ensembles",
            onclick: () => {
              const x = Number(numValue(ctx.get(path)) || 0);
              const c = isObj(ctx.get(path)) ? ctx.get(path) : { value: x };
              c.low = x; c.high = x;
              ctx.set(path, c); ctx.changed(); drawRange();
            } }));
        }
      }
      inp.addEventListener("input", () => {
        if (inp.value === "") return;
        setNumber(ctx, path, Number(inp.value));
        drawRange();
        ctx.changed();
      });
      drawRange();
      return [inp, range];
    }

    /** Set a plain or uncertain number's value, widening its range to keep it inside. */
    function setNumber(ctx, path, x) {
      const cur = ctx.get(path);
      if (isObj(cur)) {
        cur.value = x;
        if (cur.low !== undefined && cur.low !== null && x < cur.low) cur.low = x;
        if (cur.high !== undefined && cur.high !== null && x > cur.high) cur.high = x;
      } else ctx.set(path, x);
    }

    // Stances, grouped by issue, with sliders for position and salience.
    function stancesEditor(ctx) {
      const wrap = el("div");
      const stances = Array.isArray(st.data.stances) ? st.data.stances : [];
      const issues = Array.isArray(st.data.issues) ? st.data.issues.filter(isObj) : [];
      const actors = new Map((st.data.actors || []).filter(isObj).map((a) => [a.id, a]));
      const placed = new Set();
      const stanceSchema = deref(schema.$defs.Stance, schema);
      for (const issue of issues) {
        const scale = isObj(issue.scale) ? issue.scale : {};
        const lo = typeof scale.low === "number" ? scale.low : 0;
        const hi = typeof scale.high === "number" && scale.high > lo ? scale.high : lo + 100;
        const block = el("div", { class: "stance-issue" },
          el("h3", { text: issue.name || issue.id }),
          el("div", { class: "scale-labels" }, el("span", { text: "◀ " + fmt(lo) + (scale.low_label ? ": " + scale.low_label : "") }),
            el("span", { text: (scale.high_label ? scale.high_label + ": " : "") + fmt(hi) + " ▶" })),
          el("div", { class: "stance-row stance-head" }, el("span", { text: "actor" }), el("span", { text: "position" }), el("span", { text: "salience (0–100)" }), el("span")));
        stances.forEach((stance, i) => {
          if (!isObj(stance) || stance.issue !== issue.id) return;
          placed.add(i);
          block.append(stanceRow(ctx, stance, i, lo, hi, actors, stanceSchema));
        });
        const missing = [...actors.keys()].filter((a) => !stances.some((s) => isObj(s) && s.actor === a && s.issue === issue.id));
        if (missing.length) {
          const sel = el("select", { "aria-label": "actor to add" }, missing.map((a) => el("option", { value: a, text: a })));
          block.append(el("div", { class: "row small", style: "margin-top:4px" }, sel,
            el("button", { class: "secondary", type: "button", text: "+ Add stance", onclick: () => {
              stances.push({ actor: sel.value, issue: issue.id, position: +(lo + (hi - lo) / 2).toFixed(6), salience: 50 });
              st.data.stances = stances;
              ctx.rebuild();
            } })));
        }
        wrap.append(block);
      }
      const others = stances.map((s, i) => [s, i]).filter(([, i]) => !placed.has(i));
      if (others.length) {
        const block = el("div", { class: "stance-issue" }, el("h3", { text: "Stances on unknown issues" }));
        for (const [s, i] of others) {
          block.append(el("div", { class: "record", dataset: { path: "stances." + i } },
            el("div", { class: "record-head" }, el("span", { class: "record-title", text: "#" + (i + 1) }), el("span", { class: "spacer" }),
              el("button", { class: "icon", type: "button", text: "×", title: "Remove", onclick: () => { stances.splice(i, 1); ctx.rebuild(); } })),
            objectFields(ctx, stanceSchema, ["stances", i], isObj(s) ? s : {})));
        }
        wrap.append(block);
      }
      return wrap;
    }

    function slider(ctx, path, lo, hi, step, labelText) {
      const cur = numValue(ctx.get(path));
      const rng = el("input", { type: "range", min: lo, max: hi, step, value: cur ?? lo, "aria-label": labelText });
      const num = el("input", { type: "number", step: "any", value: cur ?? "", "aria-label": labelText });
      const note = el("span", { class: "slider-label" });
      const drawNote = () => {
        const c = ctx.get(path);
        note.textContent = isObj(c) && c.low !== undefined && c.low !== null ? "range " + fmt(c.low) + "–" + fmt(c.high) : "";
      };
      rng.addEventListener("input", () => { num.value = rng.value; setNumber(ctx, path, Number(rng.value)); drawNote(); ctx.changed(); });
      num.addEventListener("input", () => {
        if (num.value === "") return;
        rng.value = num.value; setNumber(ctx, path, Number(num.value)); drawNote(); ctx.changed();
      });
      drawNote();
      return el("div", { class: "slider", dataset: { path: path.join(".") } }, rng, num, note);
    }

    function stanceRow(ctx, stance, i, lo, hi, actors, stanceSchema) {
      const p = ["stances", i];
      const actor = actors.get(stance.actor);
      const step = (hi - lo) / 200;
      const extra = el("details", {}, el("summary", { text: "more" }),
        objectFields(ctx, { properties: Object.fromEntries(Object.entries(stanceSchema.properties).filter(([k]) => SECONDARY.has(k))) }, p, stance));
      return el("div", { class: "stance-row", dataset: { path: p.join(".") }, id: "stance-" + stance.actor + "-" + stance.issue },
        el("div", {}, el("div", { class: "stance-actor", text: stance.actor, title: actor ? actor.name : "unknown actor" }), extra),
        slider(ctx, p.concat(["position"]), lo, hi, step, stance.actor + " position on " + stance.issue),
        slider(ctx, p.concat(["salience"]), 0, 100, 1, stance.actor + " salience on " + stance.issue),
        el("button", { class: "icon", type: "button", title: "Remove this stance", "aria-label": "remove", text: "×",
          onclick: () => { st.data.stances.splice(i, 1); ctx.rebuild(); } }));
    }

    // -- actions
    function body() { return st.source === "yaml" ? { yaml: st.yaml } : { data: st.data }; }
    function runSource() {
      if (!st.dirty) return { scenario: name };
      return st.source === "yaml" ? { yaml: st.yaml } : { data: st.data };
    }
    async function save(target) {
      await validate.flush();
      try {
        await api("PUT", "/api/scenarios/" + encodeURIComponent(target), body());
        toast("Saved " + target);
        if (target === name) { st.dirty = false; dirtyBadge.hidden = true; }
        return true;
      } catch (err) {
        if (err.problem && err.problem.problems) { st.problems = err.problem.problems; showProblems(); }
        toast(problemText(err), true);
        return false;
      }
    }
    async function saveAs() {
      const target = await askName("Save as", "Save the scenario as it is now under a new name.", name + "-copy", nameCheck);
      if (!target) return;
      if (st.source === "data" && isObj(st.data.metadata)) st.data.metadata.id = target;
      else if (st.source === "yaml" && st.data && isObj(st.data.metadata) && st.data.metadata.id === name) {
        st.data.metadata.id = target;
        st.source = "data";
      }
      if (await save(target)) location.hash = "#/scenario/" + encodeURIComponent(target);
    }
    async function runOnce() {
      await validate.flush();
      if (st.problems.length) { toast("Fix the problems first", true); return; }
      runBtn.disabled = true;
      const label = name + (st.dirty ? " (edited)" : "");
      clear(resultsPane).append(el("div", { class: "results-empty", text: "Running " + label + " with " + model.value + "…" }));
      try {
        const out = await api("POST", "/api/simulate", Object.assign(runSource(), { model: model.value, seed: Number(seed.value) || 0 }));
        clear(resultsPane);
        renderResults(resultsPane, out, { label, previous: st.lastResult });
        st.lastResult = out;
        // One column (narrow windows): the results are below the editor; bring them into view.
        if (window.matchMedia("(max-width: 1000px)").matches) resultsPane.scrollIntoView({ block: "start" });
      } catch (err) {
        clear(resultsPane).append(el("div", { class: "card" }, el("h2", { text: "The run failed" }), el("pre", { text: problemText(err) })));
      } finally {
        runBtn.disabled = st.problems.length > 0;
      }
    }
    async function startEnsemble() {
      await validate.flush();
      try {
        const job = await api("POST", "/api/ensembles", Object.assign(runSource(), {
          model: model.value, seed: Number(seed.value) || 0, runs: Number(runs.value) || 1000 }));
        location.hash = "#/job/" + job.id;
      } catch (err) { toast(problemText(err), true); }
    }

    yamlArea.value = st.yaml;
    setTitle();
    setTab(st.tab);
    if (st.tab === "form") buildForm();
    showProblems();
    if (doc.problems && doc.problems.length) setTab("yaml");
  }

  // ==== Results ========================================================================
  /** Render a run's payload ({result?, figures, sections, story?} or a stored run). */
  function renderResults(container, payload, opts) {
    opts = opts || {};
    const figures = payload.figures || [];
    const sections = Object.assign({}, DEFAULT_SECTIONS, payload.sections || {});
    const r = payload.result;
    const m = payload.manifest;
    const head = el("div", { class: "results-head" },
      el("h2", { text: opts.label || (r ? r.scenario : m ? m.scenario : "Results") }),
      el("span", { class: "muted", text: r
        ? [r.title, "model " + r.model, r.seed !== null ? "seed " + r.seed : null, r.dates ? r.dates[0] + " to " + r.dates[r.dates.length - 1] : r.steps + " rounds"].filter(Boolean).join(" · ")
        : m ? ["model " + m.model, m.runs + " runs", "seed " + m.seed, m.method, m.status].join(" · ") : "" }));
    container.append(head);
    if (!figures.length) {
      container.append(el("p", { class: "muted", text: m && m.status !== "complete" ? "This run is not complete (status: " + m.status + "); start the same ensemble again to resume it." : "No figures." }));
      return;
    }
    const present = SECTION_ORDER.filter((s) => figures.some((f) => f.section === s))
      .concat([...new Set(figures.map((f) => f.section))].filter((s) => !SECTION_ORDER.includes(s)));
    const nav = el("nav", { class: "section-nav" });
    container.append(nav);
    if (opts.previous && opts.previous.result && r) container.append(changesCard(opts.previous.result, r));
    const uid = Math.random().toString(36).slice(2, 8);
    for (const sec of present) {
      const id = "sec-" + sec + "-" + uid;
      nav.append(el("a", { href: "#", text: sections[sec] || sec, onclick: (ev) => { ev.preventDefault(); document.getElementById(id).scrollIntoView({ behavior: "smooth" }); } }));
      const grid = el("div", { class: "figures" });
      for (const f of figures.filter((x) => x.section === sec)) grid.append(renderFigure(f));
      container.append(el("section", { class: "result-section", id, dataset: { section: sec } }, el("h2", { text: sections[sec] || sec }), grid));
    }
    if (payload.story && payload.story.length) {
      const sid = "sec-story-" + uid;
      nav.append(el("a", { href: "#", text: "Story", onclick: (ev) => { ev.preventDefault(); document.getElementById(sid).scrollIntoView({ behavior: "smooth" }); } }));
      container.append(el("section", { class: "result-section", id: sid, dataset: { section: "story" } },
        el("h2", { text: "The month-by-month story" }), storyView(payload.story)));
    }
  }

  function storyView(story) {
    return el("div", { class: "story" }, story.map((mo) => el("div", { class: "month" }, el("b", { text: mo.date }),
      mo.lines.length ? el("ul", {}, mo.lines.map((l) => el("li", { text: l }))) : el("span", { class: "muted small", text: "nothing notable" }))));
  }

  /** What changed since the previous run: answers and forecasts. */
  function changesCard(before, after) {
    const rows = [];
    const qb = new Map((before.questions || []).map((q) => [q.id, q]));
    for (const q of after.questions || []) {
      const b = qb.get(q.id);
      if (!b) continue;
      rows.push([q.text, b.summary, q.summary, b.summary !== q.summary]);
    }
    for (const [issue, entry] of Object.entries(after.issues || {})) {
      const b = (before.issues || {})[issue];
      if (!b) continue;
      rows.push(["Forecast: " + issue, fmt(b.forecast), fmt(entry.forecast), fmt(b.forecast) !== fmt(entry.forecast)]);
    }
    if (!rows.length) return el("span");
    const n = rows.filter((x) => x[3]).length;
    return el("details", { class: "card", id: "changes", open: n > 0 },
      el("summary", {}, el("b", { text: "Compared with the previous run: " }), n ? n + " changed" : "nothing changed"),
      el("table", { class: "grid", style: "margin-top:8px" },
        el("thead", {}, el("tr", {}, el("th", { text: "" }), el("th", { text: "before" }), el("th", { text: "now" }))),
        el("tbody", {}, rows.map(([a, b, c, changed]) => el("tr", { class: changed ? "changed" : "" },
          el("td", { text: a }), el("td", { text: b }), el("td", { text: c }))))));
  }

  const plotObserver = "IntersectionObserver" in window ? new IntersectionObserver((entries) => {
    for (const e of entries) {
      if (e.isIntersecting && e.target._draw) { plotObserver.unobserve(e.target); e.target._draw(); }
    }
  }, { rootMargin: "300px" }) : null;

  function renderFigure(f) {
    const kind = f.kind;
    const card = el("div", { class: "figure", dataset: { figure: f.id, kind } });
    if (kind !== "plotly") card.append(el("h3", { text: f.title || f.id }));
    if (kind === "plotly") card.append(plotlyView(f));
    else if (kind === "network") { card.append(networkView(f)); }
    else if (kind === "table") { card.append(tableView(f)); if ((f.table || f).columns && (f.table || f).columns.length > 3) card.classList.add("full"); }
    else card.append(el("p", { class: "muted", text: "(a figure of kind " + kind + ")" }));
    if (f.section === "answers") card.classList.add("full");
    if (f.caption) card.append(el("p", { class: "caption", text: f.caption }));
    if (f.notes && isObj(f.notes)) {
      card.append(el("details", { class: "caption" }, el("summary", { text: "How to read the answers" }),
        el("ul", {}, Object.entries(f.notes).map(([k, v]) => el("li", {}, el("b", { text: k + ": " }), String(v))))));
    }
    return card;
  }

  function plotlyView(f) {
    const spec = f.plotly || f;
    const div = el("div", { class: "plot", role: "img", "aria-label": f.title || f.id });
    const layout = Object.assign({}, spec.layout || {}, { autosize: true });
    delete layout.width;
    const h = layout.height || 380;
    div.style.minHeight = h + "px";
    div._draw = () => {
      if (!window.Plotly) { div.textContent = "Plotly did not load."; return; }
      window.Plotly.newPlot(div, spec.data || [], layout, {
        responsive: true, displaylogo: false, modeBarButtonsToRemove: ["lasso2d", "select2d"],
        toImageButtonOptions: { filename: f.id },
      }).then(() => { div._drawn = true; if (div._onDrawn) div._onDrawn(); });
    };
    if (plotObserver) plotObserver.observe(div); else setTimeout(div._draw, 0);
    return div;
  }

  function tableView(f) {
    const t = f.table || f;
    const cols = t.columns || [];
    const rows = t.rows || [];
    const numeric = cols.map((_, j) => rows.length > 0 && rows.every((r) => r[j] === null || typeof r[j] === "number"));
    const table = el("table", { class: "grid" },
      el("thead", {}, el("tr", {}, cols.map((c, j) => el("th", { class: numeric[j] ? "num" : "", text: c })))),
      el("tbody", {}, rows.map((r) => el("tr", {}, r.map((c, j) => el("td", { class: numeric[j] ? "num" : "", text: typeof c === "number" ? fmt(c, 5) : c ?? "" }))))));
    const wrap = el("div", { class: "table-wrap" + (rows.length > 12 ? " collapsed" : "") }, table);
    if (rows.length > 12) {
      return el("div", {}, wrap, el("button", { class: "link", type: "button", text: "show all " + rows.length + " rows",
        onclick: (ev) => { wrap.classList.toggle("collapsed"); ev.target.textContent = wrap.classList.contains("collapsed") ? "show all " + rows.length + " rows" : "show fewer"; } }));
    }
    return wrap;
  }

  function networkView(f) {
    const snaps = (f.network || f).snapshots || [];
    const box = el("div", { class: "net", role: "img", "aria-label": f.title || "network" });
    const when = el("span", { class: "net-date" });
    const slider = el("input", { type: "range", min: 0, max: Math.max(0, snaps.length - 1), step: 1, value: 0, "aria-label": "date" });
    const select = el("select", { "aria-label": "snapshot date" }, snaps.map((s, i) => el("option", { value: i, text: s.date })));
    const controls = el("div", { class: "net-controls" }, el("span", { text: "Date" }), select, slider);
    const legend = el("div", { class: "net-legend" },
      el("span", {}, el("span", { class: "swatch", style: "background:#2a9d48" }), "allies"),
      el("span", {}, el("span", { class: "swatch", style: "background:#c0392b" }), "rivals"),
      el("span", { text: "thicker: stronger tie; larger node: more capability" }));
    let cy = null;
    function show(i) {
      select.value = String(i);
      slider.value = String(i);
      when.textContent = snaps[i] ? snaps[i].date : "";
      if (!cy || !snaps[i]) return;
      cy.elements().remove();
      cy.add(clone(snaps[i].elements || []));
      cy.layout({ name: "circle", animate: false, padding: 30 }).run();
    }
    select.addEventListener("change", () => show(Number(select.value)));
    slider.addEventListener("input", () => show(Number(slider.value)));
    box._draw = () => {
      if (!window.cytoscape) { box.textContent = "Cytoscape did not load."; return; }
      cy = window.cytoscape({
        container: box, elements: [], userZoomingEnabled: true, boxSelectionEnabled: false,
        style: [
          { selector: "node", style: {
            "background-color": "data(color)", label: "data(label)", width: "data(size)", height: "data(size)",
            "font-size": 11, "text-valign": "bottom", "text-margin-y": 4, color: "#222", "text-outline-color": "#fff", "text-outline-width": 2 } },
          { selector: "node[!color]", style: { "background-color": "#6b7785" } },
          { selector: "node[!size]", style: { width: 30, height: 30 } },
          { selector: "edge", style: { width: "mapData(weight, 0, 1, 1, 9)", "line-color": "#999", "curve-style": "bezier", opacity: 0.85 } },
          { selector: "edge[!weight]", style: { width: 2 } },
          { selector: 'edge[sign = "ally"]', style: { "line-color": "#2a9d48" } },
          { selector: 'edge[sign = "rival"]', style: { "line-color": "#c0392b", "line-style": "dashed" } },
        ],
      });
      cy.on("mouseover", "node", (ev) => { box.title = ev.target.data("name") || ev.target.data("label") || ""; });
      cy.on("mouseover", "edge", (ev) => { const d = ev.target.data(); box.title = d.source + " – " + d.target + (d.weight !== undefined ? ": " + (d.sign === "rival" ? "-" : "") + d.weight : ""); });
      show(snaps.length - 1);
    };
    if (plotObserver) plotObserver.observe(box); else setTimeout(box._draw, 0);
    return el("div", {}, snaps.length > 1 ? controls : el("div", { class: "net-controls" }, el("span", { text: snaps[0] ? snaps[0].date : "" })), box, legend);
  }

  // ==== Runs page =======================================================================
  async function runsPage() {
    const [scenarios, jobs, stored] = await Promise.all([
      api("GET", "/api/scenarios"), api("GET", "/api/ensembles"), api("GET", "/api/runs"), getModels()]);
    const scenarioSel = el("select", { name: "scenario", "aria-label": "scenario" }, scenarios.map((s) => el("option", { value: s.name, text: s.name })));
    if (scenarios.some((s) => s.name === "iraq-2008")) scenarioSel.value = "iraq-2008";
    const model = modelSelect("mean");
    const runs = el("input", { type: "number", name: "runs", min: 1, max: 100000, value: 1000 });
    const seed = el("input", { type: "number", name: "seed", min: 0, value: 0 });
    const method = el("select", { name: "method" }, ["lhs", "sobol", "random"].map((x) => el("option", { value: x, text: x })));
    const form = el("form", { class: "ensemble-form", onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const job = await api("POST", "/api/ensembles", { scenario: scenarioSel.value, model: model.value,
          runs: Number(runs.value), seed: Number(seed.value), method: method.value });
        location.hash = "#/job/" + job.id;
      } catch (err) { toast(problemText(err), true); }
    } },
    el("label", {}, "scenario", scenarioSel), el("label", {}, "model", model), el("label", {}, "runs", runs),
    el("label", {}, "seed", seed), el("label", {}, "sampling", method), el("button", { type: "submit", text: "Start ensemble" }));

    const jobsBody = el("tbody");
    const jobRow = (j) => {
      const bar = el("div", { class: "progress" + (j.status === "complete" ? " done" : j.status === "failed" ? " failed" : "") }, el("div", { style: "width:" + pct(j) + "%" }));
      return el("tr", { dataset: { job: j.id } },
        el("td", {}, el("a", { href: "#/job/" + j.id, text: j.id })),
        el("td", { text: j.scenario }), el("td", { text: j.model }), el("td", { class: "num", text: j.runs }),
        el("td", {}, el("div", { class: "job-progress" }, bar, el("span", { class: "small", text: j.done + "/" + j.total }))),
        el("td", {}, statusBadge(j.status)),
        el("td", {}, j.status === "queued" || j.status === "running"
          ? el("button", { class: "danger", text: "Cancel", onclick: () => api("POST", "/api/ensembles/" + j.id + "/cancel").then(route) })
          : j.run_id && j.status === "complete" ? el("a", { class: "button secondary", href: "#/run/" + encodeURIComponent(j.run_id), text: "Results" }) : null));
    };
    jobs.forEach((j) => jobsBody.append(jobRow(j)));
    const active = jobs.filter((j) => j.status === "queued" || j.status === "running");
    for (const j of active) {
      const es = new EventSource("/api/ensembles/" + j.id + "/events");
      es.addEventListener("progress", (ev) => {
        const snap = JSON.parse(ev.data);
        const old = jobsBody.querySelector('[data-job="' + snap.id + '"]');
        if (old) old.replaceWith(jobRow(snap));
      });
      es.addEventListener("end", () => { es.close(); setTimeout(route, 300); });
      onLeave(() => es.close());
    }

    const storedBody = el("tbody", {}, stored.map((r) => el("tr", {},
      el("td", {}, el("a", { href: "#/run/" + encodeURIComponent(r.id), text: r.id })),
      el("td", { text: r.scenario || "" }), el("td", { text: r.model || "" }), el("td", { class: "num", text: r.runs ?? "" }),
      el("td", { class: "num", text: r.seed ?? "" }), el("td", {}, statusBadge(r.status || "?")), el("td", { class: "small", text: (r.updated || r.created || "").replace("T", " ").replace("+00:00", " UTC") }),
      el("td", { class: "nowrap" },
        r.status === "complete"
          ? el("a", { class: "button secondary", href: "#/compare?left=" + encodeURIComponent("run:" + r.id), text: "Compare" })
          : el("button", { class: "secondary", text: "Resume", title: "Compute the missing chunks", onclick: async () => {
            try {
              const job = await api("POST", "/api/runs/" + encodeURIComponent(r.id) + "/resume");
              location.hash = "#/job/" + job.id;
            } catch (err) { toast(problemText(err), true); }
          } }), " ",
        el("button", { class: "danger", text: "Delete", onclick: async () => {
          if (!confirm("Delete the stored run " + r.id + "?")) return;
          try { await api("DELETE", "/api/runs/" + encodeURIComponent(r.id)); route(); } catch (err) { toast(problemText(err), true); }
        } })))));

    main.append(
      el("div", { class: "page-head" }, el("div", {}, el("h1", { text: "Runs" }),
        el("div", { class: "sub", text: "Ensembles sample every uncertain input ({value, low, high}) and report how likely each answer is." }))),
      el("div", { class: "card" }, el("h2", { text: "Start an ensemble" }), form),
      el("div", { class: "card" }, el("h2", { text: "Jobs since the app started" }),
        jobs.length ? el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ["Job", "Scenario", "Model", "Runs", "Progress", "Status", ""].map((h) => el("th", { text: h })))), jobsBody)
          : el("p", { class: "muted", text: "No jobs yet." })),
      el("div", { class: "card" }, el("h2", { text: "Stored runs" }),
        stored.length ? el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ["Run", "Scenario", "Model", "Runs", "Seed", "Status", "Updated", ""].map((h) => el("th", { text: h })))), storedBody)
          : el("p", { class: "muted", text: "The run store is empty." })));
  }

  const pct = (j) => (j.total ? Math.round((100 * j.done) / j.total) : 0);
  function statusBadge(s) {
    const cls = { complete: "good", failed: "bad", cancelled: "warn", interrupted: "warn", running: "info", queued: "" }[s] || "";
    return el("span", { class: "badge " + cls, text: s });
  }

  async function jobPage(id) {
    const job = await api("GET", "/api/ensembles/" + encodeURIComponent(id));
    const bar = el("div", { class: "progress" }, el("div"));
    const text = el("span", { class: "small" });
    const badge = el("span");
    const cancel = el("button", { class: "danger", text: "Cancel", onclick: async () => {
      try { update(await api("POST", "/api/ensembles/" + id + "/cancel")); } catch (err) { toast(problemText(err), true); }
    } });
    const results = el("div", { id: "results" }, el("p", { class: "muted", text: "The results appear here when the ensemble is complete." }));
    const errorBox = el("div");
    function update(j) {
      bar.firstChild.style.width = pct(j) + "%";
      bar.className = "progress" + (j.status === "complete" ? " done" : j.status === "failed" ? " failed" : "");
      text.textContent = j.done + " of " + j.total + " members";
      clear(badge).append(statusBadge(j.status));
      cancel.hidden = !(j.status === "queued" || j.status === "running");
      clear(errorBox);
      if (j.error) errorBox.append(el("p", { class: "problem-inline", text: j.error.detail || j.error.title }), problemList(j.error.problems || []));
    }
    async function finish(j) {
      update(j);
      if (j.status === "complete" && j.run_id) {
        const out = await api("GET", "/api/runs/" + encodeURIComponent(j.run_id));
        clear(results);
        renderResults(results, out, { label: j.scenario + " · ensemble of " + j.runs });
      } else if (j.status === "cancelled") {
        clear(results).append(el("p", { class: "muted", text: "Cancelled. The chunks already computed are stored: resume the run from the Runs page, or start the same ensemble again." }));
      } else if (j.status === "failed") {
        clear(results).append(el("p", { class: "muted", text: "The ensemble failed." }));
      }
    }
    main.append(el("div", { class: "page-head" }, el("div", {}, el("h1", { text: "Ensemble " + id }),
      el("div", { class: "sub", text: job.scenario + " · " + job.model + " · " + job.runs + " runs · seed " + job.seed + " · " + job.method }))),
    el("div", { class: "card" }, el("div", { class: "job-progress" }, bar, text, badge, cancel), errorBox),
    el("div", { class: "card" }, results));
    update(job);
    if (job.status === "queued" || job.status === "running") {
      const es = new EventSource("/api/ensembles/" + encodeURIComponent(id) + "/events");
      es.addEventListener("progress", (ev) => update(JSON.parse(ev.data)));
      es.addEventListener("end", (ev) => { es.close(); finish(JSON.parse(ev.data)).catch((err) => toast(problemText(err), true)); });
      es.onerror = () => { if (es.readyState === EventSource.CLOSED) toast("Lost the progress stream", true); };
      onLeave(() => es.close());
    } else await finish(job);
  }

  async function storedRunPage(id) {
    const out = await api("GET", "/api/runs/" + encodeURIComponent(id));
    const m = out.manifest || {};
    const card = el("div", { class: "card" });
    main.append(el("div", { class: "page-head" }, el("div", {}, el("h1", { text: m.scenario || id }),
      el("div", { class: "sub", text: id })), el("span", { class: "spacer" }),
    el("a", { class: "button secondary", href: "#/compare?left=" + encodeURIComponent("run:" + id), text: "Compare with…" })), card);
    renderResults(card, out, { label: (m.scenario || "") + " · ensemble of " + (m.runs ?? "?") });
  }

  // ==== Compare page ====================================================================
  async function comparePage(params) {
    const [scenarios, stored] = await Promise.all([api("GET", "/api/scenarios"), api("GET", "/api/runs"), getModels()]);
    const options = () => [
      el("optgroup", { label: "Scenarios (a single run)" }, scenarios.map((s) => el("option", { value: "scenario:" + s.name, text: s.name }))),
      el("optgroup", { label: "Stored ensemble runs" }, stored.filter((r) => r.status === "complete").map((r) => el("option", { value: "run:" + r.id, text: r.id }))),
    ];
    const side = (key, dflt) => {
      const sel = el("select", { class: "source", "aria-label": key + " source", name: key }, options());
      sel.value = params.get(key) || dflt;
      if (!sel.value && sel.options.length) sel.selectedIndex = 0;
      const model = modelSelect(params.get(key + "-model") || "mean");
      const syncModel = () => { model.disabled = !sel.value.startsWith("scenario:"); };
      sel.addEventListener("change", syncModel);
      syncModel();
      return { sel, model };
    };
    const names = scenarios.map((s) => s.name);
    const variant = names.find((n) => /no-(councils|patronage)/.test(n));
    const left = side("left", "scenario:iraq-2008");
    const right = side("right", variant ? "scenario:" + variant : "scenario:iraq-2008");
    const out = el("div", { id: "compare-out" });
    const go = el("button", { text: "Compare", onclick: run });
    const makeVariant = el("button", { class: "secondary", text: "Right: left without patronage", title: "Save a copy of the left scenario with dynamics.patronage = false, and compare with it",
      onclick: async () => {
        const src = left.sel.value;
        if (!src.startsWith("scenario:")) { toast("Choose a scenario on the left first", true); return; }
        const base = src.slice(9);
        const target = (base + "-no-patronage").slice(0, 64);
        try {
          if (!names.includes(target)) {
            const doc = await api("GET", "/api/scenarios/" + encodeURIComponent(base));
            const data = doc.data;
            data.metadata.id = target;
            data.metadata.title = (data.metadata.title || base) + " (no patronage)";
            data.dynamics = Object.assign({}, data.dynamics || {}, { patronage: false });
            await api("PUT", "/api/scenarios/" + encodeURIComponent(target), { data });
            toast("Saved " + target);
          }
          location.hash = "#/compare?left=" + encodeURIComponent(src) + "&right=" + encodeURIComponent("scenario:" + target) + "&left-model=" + left.model.value + "&right-model=" + left.model.value + "&go=1";
        } catch (err) { toast(problemText(err), true); }
      } });
    main.append(el("div", { class: "page-head" }, el("div", {}, el("h1", { text: "Compare two runs" }),
      el("div", { class: "sub", text: "Two scenarios (or two stored ensembles) side by side, figure by figure." }))),
    el("div", { class: "card" }, el("div", { class: "compare-pickers" },
      el("div", { class: "picker" }, el("span", { class: "compare-label", text: "Left" }), left.sel, left.model),
      el("div", { class: "picker" }, el("span", { class: "compare-label", text: "Right" }), right.sel, right.model)),
    el("div", { class: "row", style: "margin-top:10px" }, go, makeVariant)), out);

    async function load(s) {
      const v = s.sel.value;
      if (v.startsWith("run:")) return api("GET", "/api/runs/" + encodeURIComponent(v.slice(4)));
      return api("POST", "/api/simulate", { scenario: v.slice(9), model: s.model.value || "mean", seed: 0 });
    }
    const labelOf = (s) => s.sel.value.replace(/^(scenario|run):/, "") + (s.sel.value.startsWith("scenario:") ? " · " + s.model.value : "");
    async function run() {
      clear(out).append(el("p", { class: "muted", text: "Running…" }));
      try {
        const [a, b] = await Promise.all([load(left), load(right)]);
        clear(out);
        renderComparison(out, a, b, labelOf(left), labelOf(right));
      } catch (err) {
        clear(out).append(el("div", { class: "card" }, el("pre", { text: problemText(err) })));
      }
    }
    if (params.get("go")) run();
  }

  function renderComparison(out, a, b, la, lb) {
    if (a.result && b.result) out.append(diffCard(a.result, b.result, la, lb));
    const sections = Object.assign({}, DEFAULT_SECTIONS, a.sections || {}, b.sections || {});
    const figsA = a.figures || [], figsB = b.figures || [];
    const ids = [];
    for (const f of figsA.concat(figsB)) if (!ids.some((x) => x.id === f.id)) ids.push({ id: f.id, section: f.section });
    for (const sec of SECTION_ORDER.concat([...new Set(ids.map((x) => x.section))].filter((s) => !SECTION_ORDER.includes(s)))) {
      const here = ids.filter((x) => x.section === sec);
      if (!here.length) continue;
      const grid = el("div", { class: "compare-grid" }, el("div", { class: "compare-label", text: la }), el("div", { class: "compare-label", text: lb }));
      for (const { id } of here) {
        const fa = figsA.find((f) => f.id === id), fb = figsB.find((f) => f.id === id);
        const ca = fa ? renderFigure(fa) : el("div", { class: "figure muted", text: "(not in this run)" });
        const cb = fb ? renderFigure(fb) : el("div", { class: "figure muted", text: "(not in this run)" });
        if (fa && fb && fa.kind === "plotly" && fb.kind === "plotly") shareAxes(ca.querySelector(".plot"), cb.querySelector(".plot"));
        grid.append(ca, cb);
      }
      out.append(el("section", { class: "result-section card", dataset: { section: sec } }, el("h2", { text: sections[sec] || sec }), grid));
    }
  }

  /** Give two side-by-side charts the same value axes, once both are drawn. */
  function shareAxes(a, b) {
    const sync = () => {
      if (!a._drawn || !b._drawn) return;
      const update = {};
      for (const ax of ["yaxis", "yaxis2", "xaxis"]) {
        const ra = a._fullLayout && a._fullLayout[ax], rb = b._fullLayout && b._fullLayout[ax];
        if (!ra || !rb || ra.type !== rb.type || !["linear", "log"].includes(ra.type)) continue;
        const lo = Math.min(ra.range[0], rb.range[0]), hi = Math.max(ra.range[1], rb.range[1]);
        if (ra.range[0] > ra.range[1]) continue;  // reversed axes keep their own ranges
        update[ax + ".range"] = [lo, hi];
        update[ax + ".autorange"] = false;
      }
      if (Object.keys(update).length) { window.Plotly.relayout(a, update); window.Plotly.relayout(b, update); }
    };
    a._onDrawn = sync;
    b._onDrawn = sync;
  }

  function diffCard(ra, rb, la, lb) {
    const rows = [];
    const qa = new Map((ra.questions || []).map((q) => [q.id, q]));
    for (const q of rb.questions || []) {
      const p = qa.get(q.id);
      if (p) rows.push([q.text, p.summary, q.summary]);
    }
    for (const [issue, e] of Object.entries(rb.issues || {})) {
      const p = (ra.issues || {})[issue];
      if (p) rows.push(["Forecast: " + issue, fmt(p.forecast), fmt(e.forecast)]);
    }
    return el("div", { class: "card", id: "differences" }, el("h2", { text: "Differences at a glance" }),
      el("table", { class: "grid" }, el("thead", {}, el("tr", {}, el("th", { text: "" }), el("th", { text: la }), el("th", { text: lb }))),
        el("tbody", {}, rows.map(([t, x, y]) => el("tr", { class: x !== y ? "changed" : "" }, el("td", { text: t }), el("td", { text: x }), el("td", { text: y }))))));
  }

  window.addEventListener("hashchange", route);
  route();
})();
