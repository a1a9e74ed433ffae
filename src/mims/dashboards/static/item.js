// One item: master data, planning parameters, available-to-promise, daily consumption (an
// inline SVG chart), its lots with expiry and status, where its stock is, reservations.
import {
  append,
  bindForm,
  clear,
  el,
  enumLabel,
  gql,
  href,
  isZero,
  latestOnly,
  numberCell,
  setBusy,
  showError,
  showTimeZone,
  statusBadge,
  suggestItems,
  svg,
  timeEl,
} from "./lib.js";

const QUERY = `
query ItemPage($sku: String!, $since: Date) {
  item(sku: $sku) {
    sku description kind unitOfMeasure precision tracking costingMethod standardCost
    shelfLifeDays inspectionRequired
    planning { leadTimeDays lotSizeRule lotSizeQuantity minimumLot safetyStock reorderPoint }
  }
  availableToPromise(item: $sku) { available expired reserved free }
  consumption(item: $sku, since: $since) { day quantity value issues }
  stockOnHand(filter: {item: $sku}) {
    totalQuantity totalValue
    rows { location lot status quantity value }
  }
  reservations(item: $sku, first: 200) {
    reservationId quantity openQuantity location lot reference reservedAt
  }
}`;

const LOT_FIELDS = `fragment LotFields on Lot {
  lot supplierLot supplier expiry firstReceived onHand available quarantine held rejected status
}`;
// Asked apart: a reader without the quality read permission still gets the rest of the page.
const SIGNED = `
query Signed($sku: String!) {
  signatures(item: $sku, first: 100) {
    kind lot location holdId fromStatus quantity decided
    signature { signer printedName meaning reason signedAt timeZone }
  }
}`;
const LOTS_PER_QUERY = 15; // the API allows 20 aliases per query
const DEFAULT_DAYS = 60;
const EXPIRY_WARNING_DAYS = 30;
const $ = (id) => document.getElementById(id);
const nextSignal = latestOnly();

const pad = (n) => String(n).padStart(2, "0");
const isoDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
const dayNumber = (day) => {
  const [y, m, d] = day.split("-").map(Number);
  return Date.UTC(y, m - 1, d) / 86_400_000;
};

function facts(target, pairs) {
  const list = clear(target);
  for (const [label, value, numeric] of pairs) {
    const shown = value === null || value === undefined || value === "" ? "—" : value;
    list.append(
      el("dt", { text: label }),
      el("dd", { class: numeric ? "num" : null, dataset: { fact: label } }, shown),
    );
  }
}

/** Lots by code, asked for with aliases (l0: lot(...)), a few per query. */
async function fetchLots(sku, codes, signal) {
  const found = new Map();
  for (let start = 0; start < codes.length; start += LOTS_PER_QUERY) {
    const chunk = codes.slice(start, start + LOTS_PER_QUERY);
    const declarations = chunk.map((_, i) => `$l${i}: String!`).join(", ");
    const fields = chunk.map((_, i) => `l${i}: lot(item: $item, lot: $l${i}) { ...LotFields }`);
    const variables = { item: sku };
    chunk.forEach((code, i) => {
      variables[`l${i}`] = code;
    });
    const data = await gql(
      `query Lots($item: String!, ${declarations}) {\n${fields.join("\n")}\n}\n${LOT_FIELDS}`,
      variables,
      { signal },
    );
    chunk.forEach((code, i) => found.set(code, data[`l${i}`]));
  }
  return found;
}

function expiryCell(expiry) {
  const cell = el("td");
  if (!expiry) return append(cell, el("span", { class: "muted", text: "—" }));
  cell.append(expiry);
  const left = dayNumber(expiry) - dayNumber(isoDay(new Date()));
  if (left < 0) cell.append(" ", el("span", { class: "badge expired", text: "expired" }));
  else if (left <= EXPIRY_WARNING_DAYS) {
    cell.append(" ", el("span", { class: "badge warn", text: `in ${left} day${left === 1 ? "" : "s"}` }));
  }
  return cell;
}

function lotRow(sku, code, lot, focus) {
  if (!lot) {
    return el(
      "tr",
      { class: focus ? "focus" : null, dataset: { lot: code } },
      el("th", { scope: "row", text: code }),
      el("td", { colspan: 10, class: "muted", text: "No such lot for this item." }),
    );
  }
  const marks = ["rejected", "held", "quarantine"].filter((s) => !isZero(lot[s]));
  const classes = [marks.length ? `status-${marks[0]}` : null, focus ? "focus" : null].filter(Boolean);
  const badges = el("div", { class: "badges" }, statusBadge(lot.status));
  for (const s of marks) {
    if (s !== lot.status) badges.append(statusBadge(s));
  }
  const status = el("td", {}, badges);
  return el(
    "tr",
    { class: classes.join(" ") || null, dataset: { lot: lot.lot, status: lot.status } },
    el(
      "th",
      { scope: "row" },
      el("a", { href: href("ledger.html", { item: sku, lot: lot.lot }), text: lot.lot }),
    ),
    el("td", { text: lot.supplierLot ?? "" }),
    el("td", { text: lot.supplier ?? "" }),
    el("td", { text: lot.firstReceived }),
    expiryCell(lot.expiry),
    status,
    numberCell(lot.onHand),
    numberCell(lot.available),
    numberCell(lot.quarantine),
    numberCell(lot.held),
    numberCell(lot.rejected),
  );
}

/** Bars per day from ``since`` to today; a day without issues is a gap. Heights are a
 * picture (floats); each bar's title and the table below give the API's exact figures. */
function consumptionChart(days, since, until, unit) {
  const first = dayNumber(since);
  const span = dayNumber(until) - first + 1;
  const width = 720;
  const height = 200;
  const left = 90;
  const bottom = 24;
  const plotW = width - left - 8;
  const plotH = height - bottom - 8;
  const largest = days.reduce((best, d) => (Number(d.quantity) > Number(best?.quantity ?? 0) ? d : best), null);
  const max = largest ? Number(largest.quantity) : 0;
  const step = plotW / span;
  const title = `Daily consumption from ${since} to ${until}: ${days.length} day${days.length === 1 ? "" : "s"} with issues` +
    (largest ? `, most on ${largest.day} (${largest.quantity} ${unit})` : "");
  const chart = svg(
    "svg",
    { class: "chart", viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": title, id: "consumption-chart" },
    svg("line", { class: "axis", x1: left, y1: 8, x2: left, y2: 8 + plotH }),
    svg("line", { class: "axis", x1: left, y1: 8 + plotH, x2: width - 8, y2: 8 + plotH }),
    svg("text", { x: left - 6, y: 14, "text-anchor": "end", text: largest ? `${largest.quantity} ${unit}` : "0" }),
    svg("text", { x: left - 6, y: 8 + plotH, "text-anchor": "end", text: "0" }),
    svg("text", { x: left, y: height - 6, text: since }),
    svg("text", { x: width - 8, y: height - 6, "text-anchor": "end", text: until }),
  );
  for (const d of days) {
    const h = max > 0 ? Math.max(1, (Number(d.quantity) / max) * plotH) : 0;
    const x = left + (dayNumber(d.day) - first) * step;
    chart.append(
      svg(
        "rect",
        { class: "bar-rect", x: x + step * 0.1, y: 8 + plotH - h, width: Math.max(1, step * 0.8), height: h, "data-day": d.day },
        svg("title", { text: `${d.day}: ${d.quantity} ${unit} in ${d.issues} issue${d.issues === 1 ? "" : "s"}, value ${d.value}` }),
      ),
    );
  }
  return chart;
}

function renderConsumption(days, since, until, unit) {
  const box = clear($("consumption"));
  box.append(consumptionChart(days, since, until, unit));
  if (days.length === 0) {
    box.append(el("p", { class: "muted", text: `No issues from ${since} to ${until}.` }));
    return;
  }
  box.append(
    el(
      "details",
      {},
      el("summary", { text: `The ${days.length} day${days.length === 1 ? "" : "s"} with issues, as figures` }),
      el(
        "table",
        { id: "consumption-table" },
        el(
          "thead",
          {},
          el(
            "tr",
            {},
            el("th", { scope: "col", text: "Day" }),
            el("th", { scope: "col", class: "num", text: `Quantity (${unit})` }),
            el("th", { scope: "col", class: "num", text: "Value" }),
            el("th", { scope: "col", class: "num", text: "Issues" }),
          ),
        ),
        el(
          "tbody",
          {},
          days.map((d) =>
            el("tr", {}, el("td", { text: d.day }), numberCell(d.quantity), numberCell(d.value), el("td", { class: "num", text: d.issues })),
          ),
        ),
      ),
    ),
  );
}

function renderWhere(stock) {
  const body = clear($("where-table").tBodies[0]);
  for (const r of stock.rows) {
    const status = r.status.toLowerCase();
    body.append(
      el(
        "tr",
        { class: status === "available" ? null : `status-${status}` },
        el("td", {}, el("a", { href: href("index.html", { location: r.location }), text: r.location })),
        el("td", { text: r.lot ?? "" }),
        el("td", {}, statusBadge(r.status)),
        numberCell(r.quantity),
        numberCell(r.value),
      ),
    );
  }
  if (stock.rows.length === 0) {
    body.append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: "No stock on hand." })));
  }
  $("where-quantity").textContent = stock.totalQuantity;
  $("where-value").textContent = stock.totalValue;
}

function renderReservations(reservations) {
  const body = clear($("reservation-table").tBodies[0]);
  for (const r of reservations) {
    body.append(
      el(
        "tr",
        {},
        el("td", { text: r.reservationId }),
        el("td", { text: r.reference ?? "" }),
        el("td", { text: r.location ?? "any" }),
        el("td", { text: r.lot ?? "any" }),
        el("td", {}, timeEl(r.reservedAt)),
        numberCell(r.quantity),
        numberCell(r.openQuantity),
      ),
    );
  }
  if (reservations.length === 0) {
    body.append(el("tr", {}, el("td", { colspan: 7, class: "muted", text: "No open reservations." })));
  }
}

function renderSignatures(releases) {
  const body = clear($("signature-table").tBodies[0]);
  for (const r of releases) {
    const s = r.signature;
    body.append(
      el(
        "tr",
        { dataset: { signer: s.signer } },
        el("td", {}, el("time", { datetime: s.signedAt, text: s.signedAt.replace("T", " ").replace(/(\.\d+)?\+00:00$/, "") })),
        el("td", { text: s.timeZone }),
        el("td", { text: `${s.printedName} (${s.signer})` }),
        el("td", { text: enumLabel(s.meaning) }),
        el("td", { text: s.reason }),
        el("td", { text: r.holdId ?? "" }),
        el("td", { text: r.lot ?? "" }),
        el("td", { text: r.location ?? "" }),
        el("td", { text: r.fromStatus ? enumLabel(r.fromStatus) : "" }),
        r.quantity === null ? el("td", {}) : numberCell(r.quantity),
        el("td", { text: enumLabel(r.kind), title: r.decided }),
      ),
    );
  }
  if (releases.length === 0) {
    body.append(el("tr", {}, el("td", { colspan: 11, class: "muted", text: "No signed decisions." })));
  }
}

async function loadSignatures(sku, signal) {
  showError($("signature-error"), null);
  try {
    const data = await gql(SIGNED, { sku }, { signal });
    renderSignatures(data.signatures);
  } catch (error) {
    if (error.name === "AbortError") return;
    clear($("signature-table").tBodies[0]);
    showError($("signature-error"), error, "Signed decisions");
  }
}

async function load(params) {
  const signal = nextSignal();
  const sku = params.get("sku") ?? "";
  const wanted = params.get("lot") ?? "";
  const results = $("results");
  showError($("error"), null);
  if (!sku) {
    results.hidden = true;
    $("item-title").textContent = "Item and lot";
    return;
  }
  const days = Number(params.get("days") || DEFAULT_DAYS);
  const until = new Date();
  const since = new Date(until);
  since.setDate(since.getDate() - (Number.isFinite(days) && days > 0 ? days : DEFAULT_DAYS) + 1);
  setBusy(results, true);
  try {
    const data = await gql(QUERY, { sku, since: isoDay(since) }, { signal });
    const item = data.item;
    if (!item) {
      results.hidden = true;
      showError($("error"), new Error(`No item has the SKU “${sku}”.`), "Item");
      $("item-title").textContent = "Item and lot";
      return;
    }
    const codes = [...new Set(data.stockOnHand.rows.map((r) => r.lot).filter(Boolean))].sort();
    if (wanted && !codes.includes(wanted)) codes.unshift(wanted);
    const lots = await fetchLots(sku, codes, signal);

    $("item-title").textContent = `${item.sku} · ${item.description}`;
    $("item-lead").textContent = `${enumLabel(item.kind)}, counted in ${item.unitOfMeasure}, ${item.tracking === "none" ? "not tracked by lot" : `${item.tracking}-tracked`}`;
    append(
      clear($("item-links")),
      el("a", { href: href("ledger.html", { item: sku }), text: "Ledger of this item" }),
      el("a", { href: href("index.html", { item: sku }), text: "Stock of this item" }),
      wanted ? el("a", { href: href("ledger.html", { item: sku, lot: wanted }), text: `Ledger of lot ${wanted}` }) : "",
    );
    facts($("master"), [
      ["SKU", item.sku],
      ["Description", item.description],
      ["Kind", enumLabel(item.kind)],
      ["Unit of measure", `${item.unitOfMeasure} (${item.precision} decimals)`],
      ["Tracking", item.tracking],
      ["Costing method", enumLabel(item.costingMethod)],
      ["Standard cost", item.standardCost, true],
      ["Shelf life", item.shelfLifeDays === null ? null : `${item.shelfLifeDays} days`],
      ["Incoming inspection", item.inspectionRequired ? "required (receipts arrive in quarantine)" : "no"],
    ]);
    const p = item.planning;
    facts($("planning"), [
      ["Lead time", `${p.leadTimeDays} days`],
      ["Lot-size rule", enumLabel(p.lotSizeRule)],
      ["Lot-size quantity", p.lotSizeQuantity, true],
      ["Minimum lot", p.minimumLot, true],
      ["Safety stock", p.safetyStock, true],
      ["Reorder point", p.reorderPoint, true],
    ]);
    const atp = data.availableToPromise;
    facts($("atp"), [
      ["Available", atp?.available, true],
      ["Expired (not promisable)", atp?.expired, true],
      ["Reserved", atp?.reserved, true],
      ["Free to promise", atp?.free, true],
    ]);
    renderConsumption(data.consumption, isoDay(since), isoDay(until), item.unitOfMeasure);

    const lotBody = clear($("lot-table").tBodies[0]);
    for (const code of codes) lotBody.append(lotRow(sku, code, lots.get(code), code === wanted));
    if (codes.length === 0) {
      lotBody.append(
        el("tr", {}, el("td", { colspan: 11, class: "muted", text: item.tracking === "none" ? "This item is not tracked by lot." : "No lot has stock on hand." })),
      );
    }
    renderWhere(data.stockOnHand);
    renderReservations(data.reservations);
    await loadSignatures(sku, signal);
    results.hidden = false;
    if (wanted) lotBody.querySelector("tr.focus")?.scrollIntoView({ block: "center" });
  } catch (error) {
    if (error.name === "AbortError") return;
    results.hidden = true;
    showError($("error"), error, "Item");
  } finally {
    if (!signal.aborted) setBusy(results, false);
  }
}

showTimeZone();
suggestItems($("item-suggestions")).catch((error) => showError($("error"), error, "Item list"));
bindForm($("filters"), load);
