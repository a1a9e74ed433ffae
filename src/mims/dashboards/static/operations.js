// Operations: every projection's position, lag and health, refreshed every few seconds.
import { clear, el, gql, setBusy, showError, showTimeZone, statusBadge, timeEl, toLocalInput } from "./lib.js";

const QUERY = `
query Operations {
  projectionStatus { name position head lag status error failedPosition updatedAt }
}`;

const INTERVAL_S = 3;
const $ = (id) => document.getElementById(id);
let timer = null;
let inFlight = false;

function row(p) {
  const failed = p.status !== "running";
  return el(
    "tr",
    { class: failed ? "status-rejected" : null, dataset: { projection: p.name } },
    el("th", { scope: "row", text: p.name }),
    el("td", {}, statusBadge(p.status)),
    el("td", { class: "num", text: p.position }),
    el("td", { class: "num", text: p.head }),
    el("td", { class: `num${p.lag > 0 ? " negative" : ""}`, text: p.lag }),
    el("td", {}, timeEl(p.updatedAt)),
    el(
      "td",
      { class: "wrap" },
      p.error
        ? el(
            "pre",
            { class: "error" },
            p.failedPosition === null ? "" : `at position ${p.failedPosition}: `,
            p.error,
          )
        : "",
    ),
  );
}

function render(statuses) {
  const body = clear($("projection-table").tBodies[0]);
  for (const p of statuses) body.append(row(p));
  if (statuses.length === 0) {
    body.append(el("tr", {}, el("td", { colspan: 7, class: "muted", text: "No projection runs in this server." })));
  }
  const failed = statuses.filter((p) => p.status !== "running");
  const maxLag = Math.max(0, ...statuses.map((p) => p.lag));
  const head = Math.max(0, ...statuses.map((p) => p.head));
  $("health").textContent = failed.length
    ? `${failed.length} of ${statuses.length} not running: ${failed.map((p) => p.name).join(", ")}`
    : `all ${statuses.length} running`;
  $("health").className = failed.length ? "small negative" : "small";
  $("head").textContent = String(head);
  $("max-lag").textContent = String(maxLag);
}

async function refresh() {
  if (inFlight) return;
  inFlight = true;
  setBusy($("results"), true);
  try {
    const data = await gql(QUERY);
    render(data.projectionStatus);
    showError($("error"), null);
    $("refreshed").textContent = toLocalInput(new Date().toISOString()).replace("T", " ");
  } catch (error) {
    showError($("error"), error, "Projection status");
  } finally {
    inFlight = false;
    setBusy($("results"), false);
    schedule();
  }
}

function schedule() {
  clearTimeout(timer);
  timer = $("auto-refresh").checked ? setTimeout(refresh, INTERVAL_S * 1000) : null;
}

showTimeZone();
$("interval").textContent = String(INTERVAL_S);
$("auto-refresh").addEventListener("change", schedule);
$("refresh-now").addEventListener("click", () => refresh());
refresh();
