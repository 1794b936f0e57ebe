// Vitrine's search page: plain JavaScript over the JSON API, no framework, no build step.
"use strict";

const $ = (selector) => document.querySelector(selector);
const views = ["search", "product", "duplicates", "indexing"];
const state = { key: sessionStorage.getItem("vitrine-key") || "", refresh: null };

class ApiError extends Error {}

// Every API call: the API key when one was given; errors become messages a person can act on.
async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (state.key) headers.set("Authorization", "Bearer " + state.key);
  let response;
  try {
    response = await fetch(path, { ...options, headers });
  } catch (error) {
    throw new ApiError("The server cannot be reached (" + error.message + "). Is vitrine serve running?");
  }
  if (response.status === 401) {
    askForKey();
    throw new ApiError("This server needs an API key: enter it above.");
  }
  if (!response.ok) {
    let message = response.statusText;
    try { message = (await response.json()).message || message; } catch (_) { /* not JSON */ }
    throw new ApiError(message + " (HTTP " + response.status + ")");
  }
  return response;
}

function showError(error) {
  const banner = $("#banner");
  banner.textContent = error instanceof ApiError ? error.message : "Something went wrong: " + error;
  banner.hidden = false;
}

function clearError() { $("#banner").hidden = true; }

function askForKey() {
  const form = $("#key-form");
  form.hidden = false;
  $("#key").focus();
}

$("#key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  state.key = $("#key").value.trim();
  sessionStorage.setItem("vitrine-key", state.key);
  $("#key-form").hidden = true;
  clearError();
  route();
});

// Thumbnails go through fetch so that the API key travels with them.
async function loadThumbnail(img, productID) {
  try {
    const response = await api("/api/v1/products/" + encodeURIComponent(productID) + "/thumbnail");
    const url = URL.createObjectURL(await response.blob());
    img.addEventListener("load", () => { img.dataset.loaded = "true"; }, { once: true });
    img.src = url;
  } catch (_) {
    const none = document.createElement("div");
    none.className = "thumb none";
    none.textContent = "no image";
    img.replaceWith(none);
  }
}

function card(hit) {
  const item = document.createElement("li");
  const link = document.createElement("a");
  link.className = "card";
  link.href = "#/product/" + encodeURIComponent(hit.product_id);
  link.dataset.productId = hit.product_id;
  const img = document.createElement("img");
  img.className = "thumb";
  img.alt = hit.name;
  link.append(img);
  const name = document.createElement("span");
  name.className = "name";
  name.textContent = hit.name;
  const meta = document.createElement("span");
  meta.className = "meta";
  meta.textContent = hit.product_id + (hit.score === undefined ? "" : " · " + hit.score.toFixed(3));
  link.append(name, meta);
  item.append(link);
  loadThumbnail(img, hit.product_id);
  return item;
}

function fill(list, hits) {
  list.replaceChildren(...hits.map(card));
}

// "No products yet" when the store is empty; otherwise `otherwise`.
async function emptyMessage(otherwise) {
  try {
    const stats = await (await api("/api/v1/stats")).json();
    if (stats.products === 0) {
      return "No products yet: index some with “vitrine index-catalog catalog.csv” or POST /api/v1/index-product.";
    }
  } catch (_) { /* the banner already says why */ }
  return otherwise;
}

// The attributes the filters are made of (from /api/v1/stats, once): the most common few.
async function filterAttributes() {
  if (!state.attributes) {
    try {
      const stats = await (await api("/api/v1/stats")).json();
      state.attributes = (stats.attributes || []).slice(0, 6).map((attribute) => attribute.name);
    } catch (_) { return []; }
  }
  return state.attributes;
}

// The sidebar: checkboxes for an attribute of words, a range for one of numbers, from the facets
// of the current search; changing one searches again (the filter lives in the address).
function showFilters(facets, search) {
  const aside = $("#filters");
  const filter = search.filter || {};
  const boxes = [];
  for (const [name, values] of Object.entries(facets || {})) {
    const condition = filter[name];
    const numeric = values.length > 0 && values.every((entry) => typeof entry.value === "number");
    const box = document.createElement("fieldset");
    box.dataset.attribute = name;
    const legend = document.createElement("legend");
    legend.textContent = name;
    box.append(legend);
    if (numeric) {
      const range = document.createElement("div");
      range.className = "range";
      for (const [bound, label] of [["gte", "from"], ["lte", "to"]]) {
        const input = document.createElement("input");
        input.type = "number";
        input.step = "any";
        input.name = name + "-" + bound;
        input.setAttribute("aria-label", name + " " + label);
        input.placeholder = label;
        if (condition && condition[bound] !== undefined) input.defaultValue = condition[bound];
        input.addEventListener("change", () => updateFilter(search, name, null));
        range.append(input);
      }
      box.append(range);
    } else {
      const chosen = new Set(condition && condition.in ? condition.in : condition !== undefined && typeof condition !== "object" ? [condition] : []);
      const shown = values.map((entry) => entry.value);
      for (const value of chosen) if (!shown.includes(value)) values.push({ value, count: 0 });
      for (const entry of values) {
        const label = document.createElement("label");
        const input = document.createElement("input");
        input.type = "checkbox";
        input.value = JSON.stringify(entry.value);
        input.defaultChecked = chosen.has(entry.value);
        input.addEventListener("change", () => updateFilter(search, name, box));
        const count = document.createElement("span");
        count.className = "count";
        count.textContent = " (" + entry.count + ")";
        label.append(input, " " + entry.value, count);
        box.append(label);
      }
    }
    boxes.push(box);
  }
  aside.replaceChildren(...boxes);
  aside.hidden = boxes.length === 0;
}

function updateFilter(search, name, box) {
  const filter = { ...(search.filter || {}) };
  delete filter[name];
  if (box) {
    const checked = [...box.querySelectorAll("input:checked")].map((input) => JSON.parse(input.value));
    if (checked.length) filter[name] = { in: checked };
  } else {
    const range = {};
    for (const bound of ["gte", "lte"]) {
      const input = document.querySelector("#filters input[name='" + CSS.escape(name + "-" + bound) + "']");
      if (input && input.value !== "") range[bound] = Number(input.value);
    }
    if (Object.keys(range).length) filter[name] = range;
  }
  location.hash = searchHash({ ...search, filter, pages: 1 });
}

function searchHash(search) {
  const params = { q: search.query, mode: search.mode || "" };
  if (search.filter && Object.keys(search.filter).length) params.filter = JSON.stringify(search.filter);
  if (search.limit && search.limit !== 24) params.limit = search.limit;
  if (search.pages && search.pages > 1) params.pages = search.pages;
  return "#/search?" + new URLSearchParams(params);
}

// Search by text: `pages` pages of `limit` results, each following the previous page's cursor,
// with the facets of the filter's matches for the sidebar.
async function searchText(search) {
  const status = $("#status");
  status.textContent = "Searching…";
  const { query, mode } = search;
  const limit = search.limit || 24, pages = search.pages || 1;
  try {
    const facets = await filterAttributes();
    let hits = [], answer = null, cursor = null;
    for (let page = 0; page < pages; page++) {
      const body = { query, limit, facets };
      if (mode) body.mode = mode;
      if (search.filter && Object.keys(search.filter).length) body.filter = search.filter;
      if (cursor) body.cursor = cursor;
      answer = await (await api("/api/v1/search", {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      })).json();
      if (page === 0) showFilters(answer.facets, search);
      hits = hits.concat(answer.results);
      cursor = answer.next;
      if (!cursor) break;
    }
    fill($("#results"), hits);
    const more = $("#more");
    more.hidden = !cursor;
    more.onclick = () => { location.hash = searchHash({ ...search, pages: pages + 1 }); };
    const filtered = search.filter && Object.keys(search.filter).length;
    status.textContent = hits.length
      ? hits.length + " of " + answer.total + (filtered ? " matching" : "") + " results for “" + query + "” (" + (mode || "fused") + ")"
      : await emptyMessage("Nothing found for “" + query + "”" + (filtered ? " with these filters." : "."));
    clearError();
  } catch (error) {
    status.textContent = "";
    showError(error);
  }
}

async function searchPicture(file) {
  const status = $("#status");
  if (!/^image\/(jpeg|png)$/.test(file.type)) {
    showError(new ApiError(file.name + " is not a JPEG or PNG picture."));
    return;
  }
  status.textContent = "Searching by " + file.name + "…";
  const body = new FormData();
  body.append("image", file);
  // "auto": the server compares a picture with the products' pictures.
  if ($("#mode").value) body.append("mode", $("#mode").value);
  body.append("top_k", "24");
  if (state.search && state.search.filter && Object.keys(state.search.filter).length) {
    body.append("filter", JSON.stringify(state.search.filter));
  }
  try {
    const { results } = await (await api("/api/v1/search", { method: "POST", body })).json();
    $("#more").hidden = true;
    fill($("#results"), results);
    status.textContent = results.length ? results.length + " results like " + file.name
      : await emptyMessage("Nothing found like " + file.name + ".");
    clearError();
  } catch (error) {
    status.textContent = "";
    showError(error);
  }
}

$("#search-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const query = $("#q").value.trim();
  if (!query) { $("#q").focus(); return; }
  // A new query keeps the filters chosen.
  location.hash = searchHash({ query, mode: $("#mode").value, filter: state.search ? state.search.filter : null });
});

const drop = $("#drop");
drop.addEventListener("click", () => $("#file").click());
drop.addEventListener("keydown", (event) => {
  if (event.key === "Enter" || event.key === " ") { event.preventDefault(); $("#file").click(); }
});
drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (event) => {
  event.preventDefault();
  drop.classList.remove("over");
  if (event.dataTransfer.files.length) searchPicture(event.dataTransfer.files[0]);
});
$("#file").addEventListener("change", () => { if ($("#file").files.length) searchPicture($("#file").files[0]); });

// A product: its text and metadata, its picture, and the products most like it.
async function showProduct(id) {
  const article = $("#product");
  article.replaceChildren();
  $("#similar").replaceChildren();
  try {
    const product = await (await api("/api/v1/products/" + encodeURIComponent(id))).json();
    const img = document.createElement("img");
    img.className = "thumb";
    img.alt = product.name;
    const text = document.createElement("div");
    const title = document.createElement("h1");
    title.id = "product-name";
    title.textContent = product.name;
    const description = document.createElement("p");
    description.textContent = product.description || "(no description)";
    const facts = document.createElement("dl");
    const rows = [["Product id", product.product_id], ["Model", product.model],
      ["Image", product.has_image ? product.image_width + " × " + product.image_height : "none"],
      ["Updated", product.updated_at]];
    for (const [label, value] of rows) {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      facts.append(dt, dd);
    }
    text.append(title, description, facts);
    if (product.metadata) {
      const heading = document.createElement("h2");
      heading.textContent = "Metadata";
      const pre = document.createElement("pre");
      try { pre.textContent = JSON.stringify(JSON.parse(product.metadata), null, 2); } catch (_) { pre.textContent = product.metadata; }
      text.append(heading, pre);
    }
    article.append(img, text);
    loadThumbnail(img, product.product_id);
    clearError();
  } catch (error) {
    showError(error);
    return;
  }
  const status = $("#similar-status");
  status.textContent = "Finding similar products…";
  try {
    const { results } = await (await api("/api/v1/products/" + encodeURIComponent(id) + "/similar?top_k=12")).json();
    fill($("#similar"), results);
    status.textContent = results.length ? "" : "No other products yet.";
  } catch (error) {
    status.textContent = "";
    showError(error);
  }
}

$("#back").addEventListener("click", () => history.length > 1 ? history.back() : (location.hash = "#/"));

// Near-duplicate groups, side by side.
async function showDuplicates() {
  const status = $("#duplicates-status");
  const groups = $("#groups");
  status.textContent = "Looking for near-duplicates…";
  try {
    const threshold = $("#threshold").value || "0.95";
    const answer = await (await api("/api/v1/duplicates?threshold=" + encodeURIComponent(threshold))).json();
    groups.replaceChildren(...answer.groups.map((group, index) => {
      const box = document.createElement("section");
      box.className = "group";
      const title = document.createElement("h2");
      title.textContent = "Group " + (index + 1) + ": " + group.products.length + " products, similarity ≥ " + group.min_score.toFixed(3);
      const list = document.createElement("ul");
      list.className = "grid";
      list.replaceChildren(...group.products.map(card));
      box.append(title, list);
      return box;
    }));
    status.textContent = answer.groups.length ? answer.groups.length + " groups"
      : await emptyMessage("No near-duplicates at this threshold.");
    clearError();
  } catch (error) {
    status.textContent = "";
    showError(error);
  }
}

$("#duplicates-form").addEventListener("submit", (event) => { event.preventDefault(); showDuplicates(); });

// The job queue, refreshed while the view is open.
async function showIndexing() {
  try {
    const stats = await (await api("/api/v1/stats")).json();
    const figures = [["Products", stats.products], ["With an image", stats.with_image], ["Queue depth", stats.queue_depth],
      ["Queued", stats.jobs.queued], ["Processing", stats.jobs.processing], ["Succeeded", stats.jobs.succeeded],
      ["Failed", stats.jobs.failed]];
    $("#queue").replaceChildren(...figures.flatMap(([label, value]) => {
      const dt = document.createElement("dt"); dt.textContent = label;
      const dd = document.createElement("dd"); dd.textContent = value;
      return [dt, dd];
    }));
    const body = $("#failures tbody");
    body.replaceChildren(...stats.recent_failures.map((job) => {
      const row = document.createElement("tr");
      for (const value of [job.product_id, job.error || "", job.finished_at || "", job.job_id]) {
        const cell = document.createElement("td");
        cell.textContent = value;
        row.append(cell);
      }
      return row;
    }));
    $("#failures").hidden = stats.recent_failures.length === 0;
    $("#failures-status").textContent = stats.recent_failures.length ? "" : "No failed jobs.";
    clearError();
  } catch (error) {
    showError(error);
  }
}

// Views follow the address: #/, #/search?q=…&mode=…&filter=…&limit=…&pages=…, #/product/<id>, #/duplicates, #/indexing.
function route() {
  const hash = location.hash || "#/";
  const [path, query] = hash.slice(1).split("?");
  const params = new URLSearchParams(query || location.search.slice(1));
  let view = "search";
  if (path.startsWith("/product/")) view = "product";
  else if (path === "/duplicates") view = "duplicates";
  else if (path === "/indexing") view = "indexing";
  for (const name of views) $("#view-" + name).hidden = name !== view;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.nav === view) link.setAttribute("aria-current", "page"); else link.removeAttribute("aria-current");
  }
  clearInterval(state.refresh);
  if (view === "search") {
    const q = params.get("q");
    if (params.get("mode")) $("#mode").value = params.get("mode");
    let filter = null;
    try { filter = params.get("filter") ? JSON.parse(params.get("filter")) : null; } catch (_) { showError(new ApiError("The filter in the address is not JSON.")); }
    state.search = { query: q, mode: $("#mode").value, filter,
      limit: Math.max(1, Math.min(1000, Number(params.get("limit")) || 24)), pages: Math.max(1, Math.min(40, Number(params.get("pages")) || 1)) };
    if (q) { $("#q").value = q; searchText(state.search); }
    else emptyMessage("Search by words, or drop a photo.").then((text) => { $("#status").textContent = text; });
  } else if (view === "product") {
    showProduct(decodeURIComponent(path.slice("/product/".length)));
  } else if (view === "duplicates") {
    showDuplicates();
  } else {
    showIndexing();
    state.refresh = setInterval(showIndexing, 2000);
  }
}

// Keyboard: "/" goes to the search box, Escape leaves a product.
document.addEventListener("keydown", (event) => {
  const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName);
  if (event.key === "/" && !typing) { event.preventDefault(); location.hash = "#/"; $("#q").focus(); }
  if (event.key === "Escape" && !$("#view-product").hidden) history.back();
});

window.addEventListener("hashchange", route);
route();
