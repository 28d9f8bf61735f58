// The index page: loads the manifest (index.json), then its shards in parallel, and
// shows rows as soon as the first shard arrives. Every value is data: the page builds
// DOM nodes with textContent and links only http(s) URLs. Hooks for tests and
// benchmarks: #q=TEXT&field=F&value=V applies a search and a filter; the body's
// data-* attributes record the state and timings (ms since navigation).
"use strict";
(function () {
  const PAGE = 100;                    // rows drawn at once ("show more" draws more)
  const VIEWERS = {
    vizarr: "https://hms-dbmi.github.io/vizarr/",
    validator: "https://ome.github.io/ome-ngff-validator/",
    neuroglancer: "https://neuroglancer-demo.appspot.com/",
  };
  const NG_SCHEME = { "0.4": "zarr2", "0.5": "zarr3" };
  const COLUMNS = [
    ["thumbnail", ""], ["image_id", "id"], ["name", "name"], ["containers", "in OMERO"],
    ["size", "size (x×y×z×c×t)"], ["pixel_type", "type"], ["physical", "pixel size"],
    ["channels", "channels"], ["ngff_version", "NGFF"], ["conversion_date", "converted"],
    ["owner", "owner"], ["group", "group"], ["pairs", "Key-Value pairs"], ["links", "open in"],
  ];
  const body = document.body;
  const state = { entries: [], matches: [], shown: 0, sort: null, loaded: 0, shards: 0,
                  keys: new Set(), owners: false };
  const $ = (id) => document.getElementById(id);

  // Python's urllib.parse.quote(text, safe): what model/viewers.py writes
  function quote(text, safe) {
    let out = "";
    for (const ch of text) {
      if (/[A-Za-z0-9_.\-~]/.test(ch) || safe.includes(ch)) out += ch;
      else out += encodeURIComponent(ch).replace(/[!'()*]/g,
        (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
    }
    return out;
  }
  function viewerLink(viewer, url, version, name) {
    if (viewer !== "neuroglancer") {
      return VIEWERS[viewer] + "?source=" + quote(url, ":/@!$'()*+,;=~");
    }
    const source = (NG_SCHEME[version] || "zarr") + "://" + url.replace(/\/+$/, "");
    const last = url.replace(/\/+$/, "").split("/").pop();
    const stateText = JSON.stringify({ layers: [{ type: "image", source: source,
      name: name || last }], layout: "4panel" });
    return VIEWERS.neuroglancer + "#!" + quote(stateText, "");
  }
  const isHttp = (u) => typeof u === "string" && /^https?:\/\//i.test(u);

  function physical(e) {
    const p = e.physical_sizes || {};
    return ["x", "y", "z"].filter((a) => p[a]).map((a) => a + " " + p[a][0] + " " +
      String(p[a][1]).toLowerCase()).join(", ");
  }
  function fieldText(e, key) {
    switch (key) {
      case "size": return [e.size_x, e.size_y, e.size_z, e.size_c, e.size_t].join("×");
      case "physical": return physical(e);
      case "containers": return (e.containers || []).join("; ");
      case "channels": return (e.channels || []).join(", ");
      case "pairs": return Object.entries(e.pairs || {}).map(([k, v]) => k + ": " + v)
        .join("; ");
      default:
        if (key.startsWith("kv:")) return (e.pairs || {})[key.slice(3)] || "";
        return e[key] == null ? "" : String(e[key]);
    }
  }
  function prepare(e) {
    const keys = ["image_id", "name", "containers", "size", "pixel_type", "physical",
      "channels", "ngff_version", "conversion_date", "owner", "group", "pairs", "zarr_path"];
    e._hay = keys.map((k) => fieldText(e, k)).join("\u0001").toLowerCase();
    Object.keys(e.pairs || {}).forEach((k) => state.keys.add(k));
    if (e.owner || e.group) state.owners = true;
    return e;
  }

  function link(href, text) {
    const a = document.createElement("a");
    if (isHttp(href)) a.href = href;
    a.textContent = text;
    a.target = "_blank";
    a.rel = "noopener";
    return a;
  }
  function cell(tr, cls, text) {
    const td = document.createElement("td");
    if (cls) td.className = cls;
    if (text !== undefined) td.textContent = text;
    tr.appendChild(td);
    return td;
  }
  function row(e) {
    const tr = document.createElement("tr");
    tr.dataset.image = e.image_id;
    const thumb = cell(tr, "thumb");
    if (isHttp(e.thumbnail)) {
      const img = document.createElement("img");
      img.loading = "lazy";
      img.alt = "";
      img.src = e.thumbnail;
      thumb.appendChild(img);
    }
    for (const [key] of COLUMNS.slice(1, -2)) {
      if ((key === "owner" || key === "group") && !state.owners) continue;
      cell(tr, key, fieldText(e, key));
    }
    const pairs = cell(tr, "pairs");
    for (const [k, v] of Object.entries(e.pairs || {})) {
      const span = document.createElement("span");
      span.textContent = k + ": " + v;
      pairs.appendChild(span);
    }
    const links = cell(tr, "links");
    if (isHttp(e.zarr_path)) {
      for (const viewer of ["vizarr", "neuroglancer", "validator"]) {
        const a = links.appendChild(link(viewerLink(viewer, e.zarr_path, e.ngff_version,
          e.name), viewer));
        a.className = viewer;
      }
      links.appendChild(link(e.zarr_path, "zarr")).className = "zarr";
    }
    return tr;
  }

  function header() {
    const head = $("head");
    head.textContent = "";
    for (const [key, label] of COLUMNS) {
      if ((key === "owner" || key === "group") && !state.owners) continue;
      const th = document.createElement("th");
      th.textContent = label + (state.sort && state.sort.key === key ?
        (state.sort.dir > 0 ? " ▲" : " ▼") : "");
      th.dataset.key = key;
      th.onclick = () => sortBy(key);
      head.appendChild(th);
    }
    const select = $("field");
    const chosen = select.value;
    select.length = 1;
    for (const [key, label] of COLUMNS.slice(1, -1)) {
      if ((key === "owner" || key === "group") && !state.owners) continue;
      select.add(new Option(label, key));
    }
    for (const k of [...state.keys].sort()) select.add(new Option("Key-Value: " + k, "kv:" + k));
    select.value = chosen;
  }

  function matches() {
    const q = $("search").value.trim().toLowerCase();
    const field = $("field").value;
    const value = $("value").value.trim().toLowerCase();
    const words = q ? q.split(/\s+/) : [];
    let out = state.entries.filter((e) => words.every((w) => e._hay.includes(w)) &&
      (!field || !value || fieldText(e, field).toLowerCase().includes(value)));
    if (state.sort) {
      const { key, dir } = state.sort;
      const num = ["image_id", "size"].includes(key);
      out = out.slice().sort((a, b) => {
        const x = num ? a[key === "size" ? "size_x" : key] : fieldText(a, key);
        const y = num ? b[key === "size" ? "size_x" : key] : fieldText(b, key);
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
    }
    return out;
  }
  function draw(more) {
    const tbody = $("rows");
    if (!more) { tbody.textContent = ""; state.shown = 0; }
    const frag = document.createDocumentFragment();
    const end = Math.min(state.matches.length, state.shown + PAGE);
    for (let i = state.shown; i < end; i++) frag.appendChild(row(state.matches[i]));
    tbody.appendChild(frag);
    state.shown = end;
    $("more").hidden = state.shown >= state.matches.length;
    const total = state.entries.length;
    $("status").textContent = state.matches.length + " of " + total + " images" +
      (state.loaded < state.shards ? " (loading " + state.loaded + "/" + state.shards +
        " parts)" : "");
    body.dataset.rows = String(tbody.rows.length);
    body.dataset.matches = String(state.matches.length);
    body.dataset.entries = String(total);
  }
  function refresh() {
    const t0 = performance.now();
    state.matches = matches();
    draw(false);
    void $("rows").offsetHeight;          // layout included in the timing
    body.dataset.filterMs = (performance.now() - t0).toFixed(1);
    body.dataset.filtered = String(Number(body.dataset.filtered || 0) + 1);
  }
  function sortBy(key) {
    const dir = state.sort && state.sort.key === key ? -state.sort.dir : 1;
    state.sort = { key, dir };
    header();
    refresh();
  }

  // shards arriving together are drawn once per frame; the first at once
  let scheduled = false;
  function flush() {
    scheduled = false;
    header();
    refresh();
  }
  function add(entries) {
    const first = state.entries.length === 0 && entries.length > 0;
    for (const e of entries) if (e && typeof e === "object") state.entries.push(prepare(e));
    if (first) {
      flush();
      void $("rows").offsetHeight;
      body.dataset.firstRowsMs = performance.now().toFixed(1);
    } else if (!scheduled) {
      scheduled = true;
      requestAnimationFrame(flush);
    }
  }
  function fromHash() {
    const params = new URLSearchParams(location.hash.slice(1));
    if (params.has("q")) $("search").value = params.get("q");
    if (params.has("field")) {
      const f = params.get("field");
      if (![...$("field").options].some((o) => o.value === f)) $("field").add(new Option(f, f));
      $("field").value = f;
    }
    if (params.has("value")) $("value").value = params.get("value");
  }
  function done(error) {
    header();
    fromHash();
    refresh();
    if (error) {
      body.dataset.error = error;
      $("status").textContent = "could not load the index: " + error;
    }
    body.dataset.loadedMs = performance.now().toFixed(1);
    body.dataset.state = error ? "error" : "ready";
  }

  async function load() {
    const inline = JSON.parse($("inline-entries").textContent || "null");
    if (Array.isArray(inline)) { state.shards = state.loaded = 1; add(inline); return; }
    const base = new URL("index.json", location.href);
    const manifest = await (await fetch(base.href + "?t=" + Date.now(),
      { cache: "no-store" })).json();
    const shards = Array.isArray(manifest.shards) ? manifest.shards : [];
    state.shards = shards.length;
    await Promise.all(shards.map(async (s) => {
      const url = new URL(s.path || ("index/shards/" + s.name + ".json"), base);
      const r = await fetch(url.href + "?v=" + encodeURIComponent(s.version || ""),
        { cache: "no-cache" });
      if (!r.ok) throw new Error(url.pathname + ": HTTP " + r.status);
      const doc = await r.json();
      state.loaded += 1;
      add(Array.isArray(doc.entries) ? doc.entries : []);
    }));
  }

  for (const id of ["search", "value"]) $(id).addEventListener("input", refresh);
  $("field").addEventListener("change", refresh);
  $("more").addEventListener("click", () => draw(true));
  window.addEventListener("hashchange", () => { fromHash(); refresh(); });
  window.omeroIndex = { state, viewerLink, refresh };
  header();
  fromHash();
  load().then(() => done(""), (err) => done(String(err && err.message || err)));
})();
