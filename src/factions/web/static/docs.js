/* The API's documentation, rendered offline from /openapi.json (no CDN). */
(function () {
  "use strict";
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null) continue;
      if (k === "class") n.className = v; else if (k === "text") n.textContent = v; else n.setAttribute(k, v);
    }
    for (const c of children.flat()) if (c !== null && c !== undefined) n.append(c instanceof Node ? c : String(c));
    return n;
  }
  const refName = (r) => r.split("/").pop();
  /** Descriptions are Markdown: render `code` spans as code (text nodes only, no HTML). */
  function md(text) {
    return String(text || "").split(/``?/).map((part, i) => (i % 2 ? el("code", { text: part }) : part));
  }
  function typeOf(s) {
    if (!s) return "";
    if (s.$ref) return refName(s.$ref);
    if (s.anyOf || s.oneOf) return (s.anyOf || s.oneOf).map(typeOf).join(" | ");
    if (s.enum) return s.enum.map((x) => JSON.stringify(x)).join(" | ");
    if (s.type === "array") return typeOf(s.items) + "[]";
    let t = s.type || "any";
    const lim = [];
    if (s.minimum !== undefined) lim.push(">= " + s.minimum);
    if (s.maximum !== undefined) lim.push("<= " + s.maximum);
    if (s.maxLength !== undefined) lim.push("length <= " + s.maxLength);
    if (s.format) t += " (" + s.format + ")";
    return lim.length ? t + " (" + lim.join(", ") + ")" : t;
  }
  function schemaTable(s, components) {
    if (s && s.$ref) s = components[refName(s.$ref)] || s;
    if (!s || !s.properties) return el("code", { text: typeOf(s) });
    const req = new Set(s.required || []);
    return el("table", { class: "grid" }, el("thead", {}, el("tr", {}, ["field", "type", "", "description"].map((h) => el("th", { text: h })))),
      el("tbody", {}, Object.entries(s.properties).map(([k, p]) => el("tr", {},
        el("td", {}, el("code", { text: k })), el("td", { text: typeOf(p) }),
        el("td", { class: "small muted", text: req.has(k) ? "required" : p.default !== undefined ? "default " + JSON.stringify(p.default) : "" }),
        el("td", { class: "small" }, md(p.description))))));
  }
  async function main() {
    const root = document.getElementById("docs");
    const spec = await (await fetch("/openapi.json")).json();
    const components = (spec.components || {}).schemas || {};
    root.textContent = "";
    root.append(el("div", { class: "page-head" }, el("div", {}, el("h1", { text: spec.info.title + " API " + spec.info.version }),
      el("div", { class: "sub", text: spec.info.summary || "" }))),
    el("div", { class: "card" }, el("p", {}, md(spec.info.description)),
      el("p", {}, "The machine-readable document: ", el("a", { href: "/openapi.json", text: "/openapi.json" }), " (OpenAPI " + spec.openapi + ").")));
    const byTag = {};
    for (const [path, ops] of Object.entries(spec.paths)) {
      for (const [method, op] of Object.entries(ops)) {
        const tag = (op.tags || ["other"])[0];
        (byTag[tag] = byTag[tag] || []).push({ path, method, op });
      }
    }
    const tags = (spec.tags || []).map((t) => t.name).concat(Object.keys(byTag)).filter((t, i, a) => a.indexOf(t) === i && byTag[t]);
    for (const tag of tags) {
      const info = (spec.tags || []).find((t) => t.name === tag);
      const card = el("div", { class: "card" }, el("h2", { text: tag }), info ? el("p", { class: "muted" }, md(info.description)) : null);
      for (const { path, method, op } of byTag[tag]) {
        const det = el("details", { class: "section" }, el("summary", {},
          el("span", { class: "badge info", text: method.toUpperCase() }), " ", el("code", { text: path }), " ",
          el("span", { class: "muted" }, md(op.summary))));
        const body = el("div", { class: "section-body" });
        if (op.description) op.description.split(/\n\s*\n/).forEach((para) => body.append(el("p", {}, md(para))));
        if (op.parameters && op.parameters.length) {
          body.append(el("h3", { text: "Parameters" }), el("table", { class: "grid" },
            el("tbody", {}, op.parameters.map((p) => el("tr", {}, el("td", {}, el("code", { text: p.name })), el("td", { text: p.in }),
              el("td", { text: typeOf(p.schema) }), el("td", { class: "small" }, md(p.description)))))));
        }
        const rb = op.requestBody && op.requestBody.content;
        if (rb) {
          for (const [type, c] of Object.entries(rb)) body.append(el("h3", { text: "Body (" + type + ")" }), schemaTable(c.schema, components));
        }
        body.append(el("h3", { text: "Responses" }), el("ul", {}, Object.entries(op.responses || {}).map(([code, r]) =>
          el("li", {}, el("b", { text: code }), " ", md(r.description), " ",
            el("span", { class: "small muted", text: Object.keys(r.content || {}).join(", ") })))));
        det.append(body);
        card.append(det);
      }
      root.append(card);
    }
    const schemas = el("div", { class: "card" }, el("h2", { text: "Schemas" }));
    for (const [name, s] of Object.entries(components)) {
      schemas.append(el("details", { class: "section" }, el("summary", {}, el("code", { text: name }), " ",
        el("span", { class: "muted small" }, md((s.description || "").split("\n")[0]))), el("div", { class: "section-body" }, schemaTable(s, components))));
    }
    root.append(schemas);
  }
  main().catch((e) => { document.getElementById("docs").textContent = "Cannot load /openapi.json: " + e; });
})();
