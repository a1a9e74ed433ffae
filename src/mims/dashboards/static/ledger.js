// The stock ledger: movements in log order, page by page with the API's cursor.
import {
  append,
  bindForm,
  clear,
  el,
  enumOptions,
  gql,
  href,
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
query Ledger($filter: StockFilter, $asOf: DateTime, $knownAt: DateTime, $eventType: String,
             $first: Int!, $after: String) {
  stockLedger(filter: $filter, asOf: $asOf, knownAt: $knownAt, eventType: $eventType,
              first: $first, after: $after) {
    rows {
      position line recordedAt effectiveAt item location lot status
      quantityDelta valueDelta eventType reference counterparty actor
    }
    pageInfo { endCursor hasNextPage }
  }
}`;

const DEFAULT_PAGE = 50;
const BACKDATED_MS = 60_000;
const $ = (id) => document.getElementById(id);
const nextSignal = latestOnly();
let state = null;

function row(r) {
  const effective = timeEl(r.effectiveAt);
  const backdated = new Date(r.recordedAt) - new Date(r.effectiveAt) > BACKDATED_MS;
  const status = r.status.toLowerCase();
  return el(
    "tr",
    { class: status === "available" ? null : `status-${status}`, dataset: { position: r.position } },
    el(
      "td",
      { class: "num", title: `position ${r.position}, line ${r.line}` },
      String(r.position),
      r.line > 1 ? el("span", { class: "muted", text: ` /${r.line}` }) : "",
    ),
    el("td", {}, effective, backdated ? el("span", { class: "badge warn", text: " backdated" }) : ""),
    el("td", {}, timeEl(r.recordedAt)),
    el("td", { text: r.eventType.replace(/^Stock\./, "") }),
    el("td", {}, el("a", { href: href("item.html", { sku: r.item }), text: r.item })),
    el("td", { text: r.location }),
    el("td", {}, r.lot ? el("a", { href: href("item.html", { sku: r.item, lot: r.lot }), text: r.lot }) : ""),
    el("td", {}, statusBadge(r.status)),
    numberCell(r.quantityDelta),
    numberCell(r.valueDelta),
    el("td", { text: r.reference ?? "" }),
    el("td", { text: r.counterparty ?? "" }),
    el("td", { text: r.actor }),
  );
}

async function fetchPage() {
  const signal = nextSignal();
  const { params } = state;
  const filter = stockFilter(params);
  const button = $("load-more");
  button.disabled = true;
  setBusy($("results"), true);
  try {
    const data = await gql(
      QUERY,
      {
        filter: Object.keys(filter).length ? filter : null,
        asOf: params.get("asOf") || null,
        knownAt: params.get("knownAt") || null,
        eventType: params.get("eventType") || null,
        first: params.has("first") ? Number(params.get("first")) : DEFAULT_PAGE,
        after: state.cursor,
      },
      { signal },
    );
    showError($("error"), null);
    const page = data.stockLedger;
    const body = $("ledger-table").tBodies[0];
    if (state.loaded === 0 && page.rows.length === 0) {
      body.append(el("tr", {}, el("td", { colspan: 13, class: "muted", text: "No movements match these filters." })));
    }
    append(body, page.rows.map(row));
    state.loaded += page.rows.length;
    state.cursor = page.pageInfo.endCursor ?? state.cursor;
    const more = page.pageInfo.hasNextPage;
    $("loaded").textContent =
      `${state.loaded} movement${state.loaded === 1 ? "" : "s"} loaded` +
      (more ? "; more are available." : "; that is the whole ledger for these filters.");
    button.hidden = !more;
  } catch (error) {
    if (error.name === "AbortError") return;
    showError($("error"), error, "Stock ledger");
    $("loaded").textContent = `${state.loaded} movements loaded; the last page failed.`;
  } finally {
    if (!signal.aborted) {
      button.disabled = false;
      setBusy($("results"), false);
    }
  }
}

function load(params) {
  state = { params, cursor: null, loaded: 0 };
  clear($("ledger-table").tBodies[0]);
  $("load-more").hidden = true;
  $("loaded").textContent = "Loading…";
  showError($("error"), null);
  const parts = ["item", "itemKind", "location", "lot", "status", "eventType"]
    .filter((name) => params.get(name))
    .map((name) => `${name} ${params.get(name)}`);
  if (params.get("asOf")) parts.push("effective by the chosen instant");
  if (params.get("knownAt")) parts.push("recorded by the chosen instant");
  $("ledger-caption").textContent = `Stock ledger${parts.length ? `: ${parts.join(", ")}` : ", all movements"}`;
  return fetchPage();
}

showTimeZone();
$("load-more").addEventListener("click", () => fetchPage());
suggestItems($("item-suggestions")).catch((error) => showError($("error"), error, "Item list"));
// The options first: the form is filled from the URL once they are there.
await enumOptions({ ItemKind: $("f-kind"), StockStatus: $("f-status") }).catch((error) =>
  showError($("error"), error, "Filter options"),
);
bindForm($("filters"), load);
