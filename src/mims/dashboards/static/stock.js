// Stock on hand: totals and balances, filtered, now or as of an instant (bitemporal).
import {
  append,
  bindForm,
  clear,
  el,
  enumOptions,
  gql,
  href,
  itemCatalog,
  latestOnly,
  numberCell,
  setBusy,
  showError,
  showTimeZone,
  statusBadge,
  stockFilter,
  suggestItems,
  timeEl,
} from "./lib.js";

const QUERY = `
query Stock($filter: StockFilter, $asOf: DateTime, $knownAt: DateTime,
            $location: String!, $withLocation: Boolean!) {
  stockOnHand(filter: $filter, asOf: $asOf, knownAt: $knownAt) {
    totalQuantity totalValue asOf knownAt position
    rows { item location lot status quantity value }
  }
  location(code: $location) @include(if: $withLocation) {
    code name level kind path blocked blockedReason
  }
}`;

const CHUNK = 500;
const $ = (id) => document.getElementById(id);
const nextSignal = latestOnly();

function row(r, items, params) {
  const info = items.get(r.item);
  const status = r.status.toLowerCase();
  const here = Object.fromEntries(params);
  return el(
    "tr",
    { class: status === "available" ? null : `status-${status}`, dataset: { status } },
    el("td", {}, el("a", { href: href("item.html", { sku: r.item }), text: r.item })),
    el("td", { class: "wrap", text: info?.description ?? "" }),
    el("td", {}, el("a", { href: href("index.html", { ...here, location: r.location }), text: r.location })),
    el(
      "td",
      {},
      r.lot ? el("a", { href: href("item.html", { sku: r.item, lot: r.lot }), text: r.lot }) : "",
    ),
    el("td", {}, statusBadge(r.status)),
    numberCell(r.quantity),
    el("td", { text: info?.unitOfMeasure ?? "" }),
    numberCell(r.value),
  );
}

function renderRows(rows, items, params) {
  const body = clear($("stock-table").tBodies[0]);
  const more = clear($("more"));
  if (rows.length === 0) {
    body.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: "No stock matches these filters." })));
    return;
  }
  let shown = 0;
  const showMore = () => {
    const next = rows.slice(shown, shown + CHUNK);
    append(body, next.map((r) => row(r, items, params)));
    shown += next.length;
    clear(more);
    if (shown < rows.length) {
      append(
        more,
        el("span", { class: "muted", text: `Showing ${shown} of ${rows.length} rows.` }),
        el("button", { type: "button", id: "show-more", text: `Show ${Math.min(CHUNK, rows.length - shown)} more` }),
      );
      more.querySelector("button").addEventListener("click", showMore);
    }
  };
  showMore();
}

function describeFilters(params) {
  const names = { item: "item", itemKind: "kind", location: "under", lot: "lot", status: "status" };
  const parts = Object.entries(names)
    .filter(([name]) => params.get(name))
    .map(([name, label]) => `${label} ${params.get(name)}`);
  return parts.length ? `filtered by ${parts.join(", ")}` : "all stock";
}

function locationNote(params, location) {
  const box = clear($("location-note"));
  const code = params.get("location");
  if (!code) return;
  if (!location) {
    box.append(el("p", { class: "notice", text: `No location has the code “${code}”: nothing is under it.` }));
    return;
  }
  const text = `${location.code} · ${location.name} (${location.level}, ${location.kind})` +
    (location.path ? ` · ${location.path}` : "");
  const p = el("p", { class: "muted", id: "location-info" }, "Under ", el("strong", { text }));
  if (location.blocked) {
    p.className = "notice";
    append(p, " — blocked", location.blockedReason ? `: ${location.blockedReason}` : "");
  }
  box.append(p);
}

async function load(params) {
  const signal = nextSignal();
  const results = $("results");
  setBusy(results, true);
  showError($("error"), null);
  const code = params.get("location") ?? "";
  const filter = stockFilter(params);
  try {
    const [data, items] = await Promise.all([
      gql(
        QUERY,
        {
          filter: Object.keys(filter).length ? filter : null,
          asOf: params.get("asOf") || null,
          knownAt: params.get("knownAt") || null,
          location: code,
          withLocation: Boolean(code),
        },
        { signal },
      ),
      itemCatalog(),
    ]);
    const stock = data.stockOnHand;
    const units = new Set(stock.rows.map((r) => items.get(r.item)?.unitOfMeasure ?? "?"));
    $("total-quantity").textContent = stock.totalQuantity;
    if (units.size === 1 && stock.rows.length) {
      $("total-quantity").append(el("span", { class: "muted", text: ` ${[...units][0]}` }));
    } else if (units.size > 1) {
      $("total-quantity").append(el("span", { class: "muted small", text: " (mixed units)" }));
    }
    $("total-value").textContent = stock.totalValue;
    $("row-count").textContent = String(stock.rows.length);
    $("blocked-count").textContent = String(stock.rows.filter((r) => r.status !== "AVAILABLE").length);
    const asOf = clear($("as-of"));
    append(asOf, stock.asOf ? timeEl(stock.asOf) : "now");
    if (stock.knownAt) append(asOf, el("br"), "known at ", timeEl(stock.knownAt));
    $("position").textContent = String(stock.position);
    $("stock-caption").textContent =
      `Stock on hand, ${describeFilters(params)}` +
      (stock.asOf ? ", as of the instant chosen" : ", now") +
      (stock.knownAt ? ", as the system knew it then" : "");
    locationNote(params, data.location);
    renderRows(stock.rows, items, params);
  } catch (error) {
    if (error.name === "AbortError") return;
    for (const id of ["total-quantity", "total-value", "row-count", "blocked-count", "as-of"]) {
      $(id).textContent = "—";
    }
    clear($("stock-table").tBodies[0]);
    clear($("more"));
    clear($("location-note"));
    showError($("error"), error, "Stock on hand");
  } finally {
    if (!signal.aborted) setBusy(results, false);
  }
}

showTimeZone();
suggestItems($("item-suggestions")).catch((error) => showError($("error"), error, "Item list"));
// The options first: the form is filled from the URL once they are there.
await enumOptions({ ItemKind: $("f-kind"), StockStatus: $("f-status") }).catch((error) =>
  showError($("error"), error, "Filter options"),
);
bindForm($("filters"), load);
