// Shared by every dashboard: GraphQL over fetch, DOM building that never parses data as
// HTML, the URL as the page's state (links can be shared and bookmarked), formatting.
//
// Quantities and money arrive as exact decimal strings and are shown as they are; a
// number is turned into a float only to size a bar or a chart, never to be displayed.

const GRAPHQL = "/graphql";

/** The session's CSRF token (the cookie set at login): sent back with every POST. */
function csrfToken() {
  const found = document.cookie.split("; ").find((c) => c.startsWith("mims_csrf="));
  return found ? decodeURIComponent(found.slice("mims_csrf=".length)) : "";
}

/** What the API refused or failed to answer, with every message it gave. */
export class QueryFailure extends Error {
  constructor(messages) {
    super(messages.join("\n"));
    this.name = "QueryFailure";
    this.messages = messages;
  }
}

/** POST one GraphQL query with its variables; the data, or a QueryFailure. */
export async function gql(query, variables = {}, { signal } = {}) {
  let response;
  try {
    response = await fetch(GRAPHQL, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        accept: "application/json",
        "x-csrf-token": csrfToken(),
      },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw new QueryFailure([`The server did not answer: ${error.message}`]);
  }
  if (response.status === 401) {
    window.location.assign("/login");
    throw new QueryFailure(["Not logged in"]);
  }
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    throw new QueryFailure([`HTTP ${response.status}: ${text.slice(0, 500)}`]);
  }
  if (Array.isArray(body.errors) && body.errors.length > 0) {
    throw new QueryFailure(
      body.errors.map((e) => (e.path ? `${e.path.join(".")}: ${e.message}` : e.message)),
    );
  }
  if (!response.ok || !body.data) {
    const detail = typeof body.detail === "string" ? body.detail : text.slice(0, 500);
    throw new QueryFailure([`HTTP ${response.status}: ${detail}`]);
  }
  return body.data;
}

/**
 * Build an element. ``attrs`` are set as attributes (``class``, ``href``...), except
 * ``text`` (textContent) and ``dataset``; children are nodes or strings (text nodes).
 */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = String(value);
    else if (name === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  append(node, ...children);
  return node;
}

export function append(node, ...children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined) continue;
    if (name === "text") node.textContent = String(value);
    else node.setAttribute(name, String(value));
  }
  append(node, ...children);
  return node;
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

/** A link to another dashboard with its query parameters (encoded, never concatenated). */
export function href(page, params = {}) {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== null && value !== undefined && value !== "") query.set(name, value);
  }
  const search = query.toString();
  return search ? `${page}?${search}` : page;
}

export function isZero(decimal) {
  return /^-?0*(\.0*)?$/.test(decimal ?? "0");
}

/** A decimal string for a table cell: as the API gave it, right-aligned. */
export function numberCell(decimal, tag = "td") {
  const cell = el(tag, { class: "num", text: decimal ?? "" });
  if (decimal && decimal.startsWith("-")) cell.classList.add("negative");
  return cell;
}

export function statusLabel(status) {
  const s = String(status).toLowerCase();
  return s.charAt(0).toUpperCase() + s.slice(1);
}

const FINE = new Set(["available", "running", "depleted", "active"]);

/** A status as text in a badge; stock that is not available (and a projection that is not
 * running) is marked with a sign as well as a colour. */
export function statusBadge(status) {
  const s = String(status).toLowerCase();
  const badge = el("span", { class: `badge status-${s}`, text: statusLabel(s) });
  if (!FINE.has(s)) badge.prepend(el("span", { "aria-hidden": "true", text: "⚠ " }));
  return badge;
}

// An enum member in the plant's words: "RAW_MATERIAL" is "raw material"; an acronym
// keeps its capitals.
const ACRONYMS = new Set(["FIFO"]);

export function enumLabel(name) {
  const s = String(name);
  return ACRONYMS.has(s) ? s : s.toLowerCase().replaceAll("_", " ");
}

/**
 * Add the members of GraphQL enums to <select>s, after the options they hold ("any"):
 * the enums are generated from the ledger's vocabulary, so no page keeps a copy of it.
 * ``selects`` maps an enum's name (``ItemKind``) to its <select>. The members come from
 * the ``vocabulary`` field, not introspection, which is off in production.
 */
export async function enumOptions(selects) {
  const wanted = Object.entries(selects);
  const data = await gql(
    "query Vocabulary($enums: [String!]) { vocabulary(enums: $enums) { name members } }",
    { enums: wanted.map(([name]) => name) },
  );
  const found = new Map(data.vocabulary.map((v) => [v.name, v.members]));
  wanted.forEach(([name, select]) => {
    const members = found.get(name);
    if (!members) throw new QueryFailure([`The API has no enum ${name}`]);
    append(
      select,
      members.map((m) => el("option", { value: m, text: enumLabel(m) })),
    );
  });
}

const pad = (n, width = 2) => String(n).padStart(width, "0");

/** yyyy-mm-ddThh:mm:ss in the browser's time zone, for <input type="datetime-local">. */
export function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

/** A <time> showing an instant in the browser's time zone; the API's value as its title. */
export function timeEl(iso) {
  if (!iso) return el("span", { class: "muted", text: "—" });
  const d = new Date(iso);
  const shown = Number.isNaN(d.getTime()) ? iso : toLocalInput(iso).replace("T", " ");
  return el("time", { datetime: iso, title: iso, text: shown });
}

export const TIME_ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || "local time";

export function setBusy(node, busy) {
  node.setAttribute("aria-busy", busy ? "true" : "false");
}

/** Show what went wrong in the page's alert region (role="alert"), every message. */
export function showError(region, error, context = "") {
  clear(region);
  if (error === null) {
    region.hidden = true;
    return;
  }
  const messages = error instanceof QueryFailure ? error.messages : [String(error.message ?? error)];
  region.hidden = false;
  const heading = error instanceof QueryFailure
    ? `${context || "Query"}: the API answered with an error`
    : context || "Error";
  append(region, el("strong", { text: heading }), el("ul", {}, messages.map((m) => el("li", { text: m }))));
}

/**
 * Tie a filter form to the URL. On load and on back/forward the form is filled from the
 * URL and ``load(params)`` runs; submitting puts the form into the URL, then loads.
 * datetime-local inputs are local time in the form and ISO instants (UTC) in the URL and
 * the query; a value in the URL is sent as it is (a bad one gets the API's error).
 */
export function bindForm(form, load) {
  const fill = () => {
    const params = new URLSearchParams(window.location.search);
    for (const input of form.elements) {
      if (!input.name) continue;
      const value = params.get(input.name) ?? "";
      if (input.type === "checkbox") input.checked = value === "true";
      else if (input.type === "datetime-local") input.value = value ? toLocalInput(value) : "";
      else input.value = value;
    }
    return params;
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const params = new URLSearchParams();
    for (const input of form.elements) {
      if (!input.name || input.disabled) continue;
      if (input.type === "checkbox") {
        if (input.checked) params.set(input.name, "true");
        continue;
      }
      const value = input.value.trim();
      if (!value) continue;
      if (input.type === "datetime-local") params.set(input.name, new Date(value).toISOString());
      else params.set(input.name, value);
    }
    const search = params.toString();
    window.history.pushState(null, "", search ? `?${search}` : window.location.pathname);
    load(params);
  });
  form.addEventListener("reset", (event) => {
    event.preventDefault();
    window.history.pushState(null, "", window.location.pathname);
    load(fill());
  });
  window.addEventListener("popstate", () => load(fill()));
  load(fill());
}

/** Each call aborts the one before, so a slow old answer never overwrites a new one. */
export function latestOnly() {
  let controller = null;
  return () => {
    controller?.abort();
    controller = new AbortController();
    return controller.signal;
  };
}

/** The StockFilter input from URL parameters (only what is set). */
export function stockFilter(params) {
  const filter = {};
  for (const name of ["item", "itemKind", "location", "lot", "status"]) {
    const value = params.get(name);
    if (value) filter[name] = value;
  }
  return filter;
}

let catalog = null;

/** The item master (sku → description, unit, kind), fetched once per page. */
export function itemCatalog() {
  catalog ??= gql(
    "query Catalog { items(first: 1000) { sku description kind unitOfMeasure } }",
  ).then((data) => new Map(data.items.map((i) => [i.sku, i])));
  return catalog;
}

/** Offer the catalog's SKUs as suggestions in a <datalist>. */
export async function suggestItems(datalist) {
  const items = await itemCatalog();
  append(
    clear(datalist),
    [...items.values()].map((i) => el("option", { value: i.sku, label: i.description })),
  );
}

/** Fill the page's time-zone notes (datetime pickers and times are local). */
export function showTimeZone() {
  for (const node of document.querySelectorAll("[data-time-zone]")) node.textContent = TIME_ZONE;
}
