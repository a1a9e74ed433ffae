// Valuation: total, by costing method, and the items worth the most; now or as of.
import {
  append,
  bindForm,
  clear,
  el,
  enumLabel,
  enumOptions,
  gql,
  href,
  itemCatalog,
  latestOnly,
  numberCell,
  setBusy,
  showError,
  showTimeZone,
  timeEl,
} from "./lib.js";

const QUERY = `
query Valuation($costingMethod: CostingMethod, $asOf: DateTime, $knownAt: DateTime, $first: Int!) {
  valuation(costingMethod: $costingMethod, asOf: $asOf, knownAt: $knownAt, first: $first) {
    totalValue asOf knownAt
    byCostingMethod { costingMethod items quantity value }
    items { item costingMethod quantity value unitCost }
  }
}`;

const DEFAULT_TOP = 20;
const $ = (id) => document.getElementById(id);
const nextSignal = latestOnly();

/** A bar as wide as value/largest: a picture only (aria-hidden), the number is beside it. */
function bar(value, largest) {
  const share = largest > 0 ? Math.max(0, Number(value) / largest) : 0;
  return el(
    "td",
    { class: "bar-cell", "aria-hidden": "true" },
    el("span", { class: "bar", style: `width: ${(share * 100).toFixed(1)}%` }),
  );
}

function itemCount(valuation) {
  return valuation.byCostingMethod.reduce((n, m) => n + m.items, 0);
}

function render(valuation, items) {
  $("total-value").textContent = valuation.totalValue;
  $("method-total").textContent = valuation.totalValue;
  $("item-count").textContent = String(itemCount(valuation));
  append(clear($("as-of")), valuation.asOf ? timeEl(valuation.asOf) : "now");
  if (valuation.knownAt) append($("as-of"), el("br"), "known at ", timeEl(valuation.knownAt));

  const methods = clear($("method-table").tBodies[0]);
  const largestMethod = Math.max(0, ...valuation.byCostingMethod.map((m) => Number(m.value)));
  for (const m of valuation.byCostingMethod) {
    methods.append(
      el(
        "tr",
        { dataset: { method: m.costingMethod } },
        el("th", { scope: "row", text: enumLabel(m.costingMethod) }),
        el("td", { class: "num", text: m.items }),
        numberCell(m.quantity),
        numberCell(m.value),
        bar(m.value, largestMethod),
      ),
    );
  }
  if (valuation.byCostingMethod.length === 0) {
    methods.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "Nothing is valued." })));
  }

  $("top-heading").textContent =
    valuation.items.length < itemCount(valuation) ? `Top ${valuation.items.length} items by value` : "Items by value";
  const top = clear($("top-table").tBodies[0]);
  const largest = Math.max(0, ...valuation.items.map((i) => Number(i.value)));
  valuation.items.forEach((v, index) => {
    const info = items.get(v.item);
    top.append(
      el(
        "tr",
        {},
        el("td", { class: "num", text: index + 1 }),
        el("td", {}, el("a", { href: href("item.html", { sku: v.item }), text: v.item })),
        el("td", { class: "wrap", text: info?.description ?? "" }),
        el("td", { text: enumLabel(v.costingMethod) }),
        numberCell(v.quantity),
        el("td", { text: info?.unitOfMeasure ?? "" }),
        numberCell(v.unitCost ?? ""),
        numberCell(v.value),
        bar(v.value, largest),
      ),
    );
  });
}

async function load(params) {
  const signal = nextSignal();
  setBusy($("results"), true);
  showError($("error"), null);
  try {
    const [data, items] = await Promise.all([
      gql(
        QUERY,
        {
          costingMethod: params.get("costingMethod") || null,
          asOf: params.get("asOf") || null,
          knownAt: params.get("knownAt") || null,
          first: params.has("first") ? Number(params.get("first")) : DEFAULT_TOP,
        },
        { signal },
      ),
      itemCatalog(),
    ]);
    render(data.valuation, items);
  } catch (error) {
    if (error.name === "AbortError") return;
    for (const id of ["total-value", "item-count", "as-of", "method-total"]) $(id).textContent = "—";
    clear($("method-table").tBodies[0]);
    clear($("top-table").tBodies[0]);
    showError($("error"), error, "Valuation");
  } finally {
    if (!signal.aborted) setBusy($("results"), false);
  }
}

showTimeZone();
// The options first: the form is filled from the URL once they are there.
await enumOptions({ CostingMethod: $("f-method") }).catch((error) =>
  showError($("error"), error, "Filter options"),
);
bindForm($("filters"), load);
