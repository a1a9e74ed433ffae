// Operations: every projection's position, lag and health, refreshed every few seconds.
import {
  QueryFailure, clear, el, gql, setBusy, showError, showTimeZone, statusBadge, timeEl, toLocalInput,
} from "./lib.js";

const QUERY = `
query Operations {
  projectionStatus { name position head lag status error failedPosition updatedAt }
}`;

const WEBHOOKS = `
query Webhooks {
  webhookSubscriptions {
    subscriptionId url state disabledReason position lag delivered failedAttempts lastError
  }
  webhookDeliveries(first: 20) {
    items { id subscriptionId webhookId events attempt status statusCode error latencyMs response at }
  }
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

function subscriptionRow(s) {
  const trouble = s.state !== "active";
  return el(
    "tr",
    { class: trouble ? "status-rejected" : null, dataset: { subscription: s.subscriptionId } },
    el("th", { scope: "row", text: s.subscriptionId }),
    el("td", {}, statusBadge(s.state)),
    el("td", { class: "wrap", text: s.url }),
    el("td", { class: "num", text: s.position }),
    el("td", { class: `num${s.lag > 0 ? " negative" : ""}`, text: s.lag }),
    el("td", { class: "num", text: s.delivered }),
    el("td", { class: "num", text: s.failedAttempts }),
    el("td", { class: "wrap", text: s.disabledReason ?? s.lastError ?? "" }),
  );
}

function deliveryRow(d) {
  const answer = d.error ?? d.response;
  return el(
    "tr",
    { class: d.status === "failed" ? "status-rejected" : null, dataset: { delivery: d.id } },
    el("td", {}, timeEl(d.at)),
    el("td", { text: d.subscriptionId }),
    el("td", { class: "wrap", text: d.webhookId }),
    el("td", { class: "num", text: d.events }),
    el("td", { class: "num", text: d.attempt }),
    el("td", { text: d.statusCode === null ? d.status : `${d.status} (${d.statusCode})` }),
    el("td", { class: "num", text: d.latencyMs.toFixed(1) }),
    el("td", { class: "wrap" }, el("code", { text: answer })),
  );
}

function renderWebhooks(data) {
  const subs = clear($("webhook-table").tBodies[0]);
  for (const s of data.webhookSubscriptions) subs.append(subscriptionRow(s));
  if (data.webhookSubscriptions.length === 0) {
    subs.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: "No webhook subscriptions." })));
  }
  const log = clear($("delivery-table").tBodies[0]);
  for (const d of data.webhookDeliveries.items) log.append(deliveryRow(d));
  if (data.webhookDeliveries.items.length === 0) {
    log.append(el("tr", {}, el("td", { colspan: 8, class: "muted", text: "No delivery yet." })));
  }
}

// Webhooks are an administrator's (every site): for anyone else the panel stays hidden.
async function refreshWebhooks() {
  try {
    renderWebhooks(await gql(WEBHOOKS));
    $("webhooks").hidden = false;
  } catch (error) {
    const forbidden = error instanceof QueryFailure && error.messages.some((m) => m.includes("not permitted"));
    $("webhooks").hidden = true;
    if (!forbidden) throw error;
  }
}

async function refresh() {
  if (inFlight) return;
  inFlight = true;
  setBusy($("results"), true);
  try {
    const data = await gql(QUERY);
    render(data.projectionStatus);
    await refreshWebhooks();
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
