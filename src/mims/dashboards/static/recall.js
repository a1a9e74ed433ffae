// Recall simulation: every lot made from a supplier lot (or a lot), where its stock is,
// what went to which customer, and each lot's mass balance (it must close at zero).
import { bindForm, clear, el, gql, href, isZero, latestOnly, numberCell, setBusy, showError, statusBadge, suggestItems } from "./lib.js";

const QUERY = `
query Recall($supplierLot: String, $item: String, $lot: String) {
  recallSimulation(supplierLot: $supplierLot, item: $item, lot: $lot) {
    elapsedMs
    start { item lot }
    lots {
      item lot level onHandQuantity
      balance { received produced consumed shipped scrapped onHand difference }
    }
    onHandByPlace { location status lots quantity }
    onHandQuantity shippedQuantity
    shipments { item lot customer salesOrder shipment quantity }
    unbalanced { item lot }
  }
}`;

const $ = (id) => document.getElementById(id);
const nextSignal = latestOnly();

function lotLink(item, lot) {
  return el("a", { href: href("item.html", { sku: item, lot }), text: lot });
}

function emptyRow(body, columns, text) {
  body.append(el("tr", {}, el("td", { colspan: columns, class: "muted", text })));
}

function render(recall) {
  const places = clear($("place-table").tBodies[0]);
  for (const p of recall.onHandByPlace) {
    const status = p.status.toLowerCase();
    places.append(
      el(
        "tr",
        { class: status === "available" ? null : `status-${status}` },
        el("td", {}, el("a", { href: href("index.html", { location: p.location }), text: p.location })),
        el("td", {}, statusBadge(p.status)),
        el("td", { class: "num", text: p.lots }),
        numberCell(p.quantity),
      ),
    );
  }
  if (recall.onHandByPlace.length === 0) emptyRow(places, 4, "None of the affected lots is on hand.");

  const shipments = clear($("shipment-table").tBodies[0]);
  for (const s of recall.shipments) {
    shipments.append(
      el(
        "tr",
        {},
        el("td", { text: s.item }),
        el("td", {}, lotLink(s.item, s.lot)),
        el("td", { text: s.customer }),
        el("td", { text: s.salesOrder ?? "—" }),
        el("td", { text: s.shipment ?? "—" }),
        numberCell(s.quantity),
      ),
    );
  }
  if (recall.shipments.length === 0) emptyRow(shipments, 6, "Nothing of the affected lots went to a customer.");

  const lots = clear($("lot-table").tBodies[0]);
  for (const t of recall.lots) {
    const b = t.balance;
    lots.append(
      el(
        "tr",
        { class: isZero(b.difference) ? null : "status-rejected", dataset: { lot: `${t.item}/${t.lot}` } },
        el("td", { class: "num", text: t.level }),
        el("td", { text: t.item }),
        el("th", { scope: "row" }, lotLink(t.item, t.lot)),
        numberCell(b.received),
        numberCell(b.produced),
        numberCell(b.consumed),
        numberCell(b.shipped),
        numberCell(b.scrapped),
        numberCell(b.onHand),
        numberCell(b.difference),
      ),
    );
  }
  if (recall.lots.length === 0) emptyRow(lots, 10, "No lot was received with this supplier lot, or has this code.");

  $("lot-count").textContent = String(recall.lots.length);
  $("on-hand").textContent = recall.onHandQuantity;
  $("shipped").textContent = recall.shippedQuantity;
  const unbalanced = recall.unbalanced.length;
  $("balance").textContent = unbalanced
    ? `${unbalanced} lot${unbalanced === 1 ? " does" : "s do"} not balance: ${recall.unbalanced.map((l) => `${l.item} ${l.lot}`).join(", ")}`
    : "every lot balances";
  $("balance").className = unbalanced ? "small negative" : "small";
  $("elapsed").textContent = `${Number(recall.elapsedMs).toFixed(1)} ms`;
}

async function load(params) {
  const signal = nextSignal();
  const results = $("results");
  showError($("error"), null);
  const variables = {};
  for (const name of ["supplierLot", "item", "lot"]) {
    const value = params.get(name);
    if (value) variables[name] = value;
  }
  if (!variables.supplierLot && !variables.lot) {
    results.hidden = true;
    $("recall-title").textContent = "Recall simulation";
    return;
  }
  setBusy(results, true);
  try {
    const data = await gql(QUERY, variables, { signal });
    const what = variables.supplierLot
      ? `supplier lot ${variables.supplierLot}`
      : ["lot", variables.item, variables.lot].filter(Boolean).join(" ");
    $("recall-title").textContent = `Recall of ${what}`;
    render(data.recallSimulation);
    results.hidden = false;
  } catch (error) {
    if (error.name === "AbortError") return;
    results.hidden = true;
    showError($("error"), error, "Recall");
  } finally {
    if (!signal.aborted) setBusy(results, false);
  }
}

suggestItems($("item-suggestions")).catch((error) => showError($("error"), error, "Item list"));
bindForm($("filters"), load);
