// Kenning's web page: the same REST API (/v1) and key as any client. All data is shown with
// textContent (never innerHTML), so memory text cannot inject markup.
"use strict";

const PAGE = 20;
const state = { user: "", memOffset: 0, epOffset: 0, episodes: new Map(), current: null };
const $ = (id) => document.getElementById(id);

function el(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function when(iso) {
  return iso ? String(iso).replace("T", " ").slice(0, 16) : "";
}

function status(message, isError) {
  $("status").textContent = message;
  $("status").className = isError ? "error" : "";
}

async function api(method, path, body) {
  const headers = {};
  const key = sessionStorage.getItem("kenning.key");
  if (key) headers.Authorization = "Bearer " + key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch("/v1/users/" + encodeURIComponent(state.user) + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && data.error;
    throw new Error(error ? `${error.type}: ${error.message}` : `HTTP ${response.status}`);
  }
  return data;
}

// Run an action, reporting a failure in the status line.
function guarded(action) {
  return async (event) => {
    if (event) event.preventDefault();
    try {
      await action(event);
    } catch (error) {
      status(String(error.message || error), true);
    }
  };
}

function openButton(memory) {
  const button = el("button", memory.text, "open");
  button.type = "button";
  button.dataset.id = memory.id;
  button.addEventListener("click", guarded(() => showMemory(memory.id)));
  return button;
}

function signalTable(signals) {
  const table = el("table", null, "signals");
  const entries = Object.entries(signals || {});
  const top = Math.max(1e-9, ...entries.map(([, s]) => Math.abs(s.contribution)));
  for (const [name, signal] of entries) {
    const row = table.insertRow();
    row.insertCell().textContent = name;
    const bar = el("span", null, signal.contribution < 0 ? "bar neg" : "bar");
    bar.style.width = `${Math.round((Math.abs(signal.contribution) / top) * 120)}px`;
    row.insertCell().appendChild(bar);
    row.insertCell().textContent = (Math.abs(signal.contribution) < 5e-4 ? 0 : signal.contribution).toFixed(3);
    row.insertCell().textContent = signal.rank === null ? "" : `rank ${signal.rank}`;
  }
  return table;
}

async function search() {
  const query = $("query").value.trim();
  if (state.user !== $("user").value.trim()) await connect();
  if (!state.user || !query) return;
  const result = await api("POST", "/search", { query, limit: 10 });
  const list = $("results");
  list.replaceChildren();
  for (const hit of result.hits) {
    const item = el("li", null, "hit");
    const memory = hit.memory;
    item.append(
      openButton(memory),
      el("div", `${memory.kind} · ${when(memory.event_time || memory.created_at)} · score ${hit.score.toFixed(3)}`, "meta"),
      signalTable(hit.signals),
    );
    list.appendChild(item);
  }
  status(`${result.hits.length} result(s) for “${query}”`);
}

async function moreMemories() {
  const statuses = $("status-filter").value.split(",").map((s) => `&status=${s}`).join("");
  const page = await api("GET", `/memories?limit=${PAGE}&offset=${state.memOffset}${statuses}`);
  for (const memory of page.items) {
    const item = el("li", null, `status-${memory.status}`);
    item.append(
      el("div", `${when(memory.event_time || memory.created_at)} · ${memory.kind}${memory.status === "active" ? "" : " · " + memory.status}`, "meta"),
      openButton(memory),
    );
    $("memories").appendChild(item);
  }
  state.memOffset = page.next_offset ?? state.memOffset;
  $("more-memories").hidden = page.next_offset === null;
}

async function moreEpisodes() {
  const page = await api("GET", `/episodes?limit=${PAGE}&offset=${state.epOffset}`);
  for (const episode of page.items) {
    state.episodes.set(episode.id, episode);
    const item = el("li");
    item.append(
      el("div", `${when(episode.timestamp || episode.created_at)} · ${episode.name || episode.role}`, "meta"),
      el("div", episode.content),
    );
    $("episodes").appendChild(item);
  }
  state.epOffset = page.next_offset ?? state.epOffset;
  $("more-episodes").hidden = page.next_offset === null;
  return page.next_offset;
}

async function reloadTimeline() {
  state.memOffset = 0;
  state.epOffset = 0;
  $("memories").replaceChildren();
  $("episodes").replaceChildren();
  await moreMemories();
  await moreEpisodes();
}

// The episodes a memory came from: loaded pages first, then further pages (at most a few).
async function episodesOf(ids) {
  for (let pages = 0; pages < 5 && ids.some((id) => !state.episodes.has(id)); pages++) {
    if ($("more-episodes").hidden || (await moreEpisodes()) === null) break;
  }
  return ids.map((id) => [id, state.episodes.get(id)]);
}

// Clicks can come faster than answers: each showMemory call loads everything first, and only
// the latest call draws, all at once, so the panel never mixes two memories. #detail carries
// aria-busy while loading and data-shown with the id once the whole panel (graph included)
// shows that memory.
let latestShow = 0;

async function showMemory(id) {
  const request = ++latestShow;
  const detail = $("detail");
  detail.setAttribute("aria-busy", "true");
  try {
    const path = `/memories/${encodeURIComponent(id)}`;
    const memory = await api("GET", path);
    const episodes = await episodesOf(memory.episode_ids);
    const history = await api("GET", `${path}/history`);
    const graph = await api("GET", `${path}/graph?limit=6`);
    if (request !== latestShow) return;  // a later click is loading: it draws, not this one
    drawDetail(memory, episodes, history);
    drawGraph(graph);
    detail.dataset.shown = memory.id;
    detail.scrollIntoView({ block: "nearest" });
  } finally {
    if (request === latestShow) detail.setAttribute("aria-busy", "false");
  }
}

function drawDetail(memory, episodes, history) {
  state.current = memory;
  $("detail").hidden = false;
  $("detail-id").textContent = memory.id;
  $("detail-text").textContent = memory.text;

  const fields = $("fields");
  fields.replaceChildren();
  for (const [name, value] of Object.entries(memory)) {
    const shown = value !== null && typeof value === "object" ? JSON.stringify(value) : String(value);
    fields.append(el("dt", name), el("dd", shown, name === "status" ? `status-${value}` : ""));
  }

  const provenance = $("provenance");
  provenance.replaceChildren();
  for (const [episodeId, episode] of episodes) {
    const item = el("li");
    item.append(el("code", episodeId));
    if (episode) item.append(el("div", `${episode.name || episode.role}: ${episode.content}`));
    provenance.appendChild(item);
  }
  if (!memory.episode_ids.length) provenance.appendChild(el("li", "no episodes", "note"));

  const list = $("history");
  list.replaceChildren();
  for (const entry of history.items) {
    const item = el("li", null, "history-entry");
    item.append(el("strong", entry.action), el("span", ` ${when(entry.at)}`, "meta"));
    if (entry.old_text !== null) item.append(el("div", `before: ${entry.old_text}`, "before"));
    if (entry.new_text !== null) item.append(el("div", `after: ${entry.new_text}`, "after"));
    if (entry.details && Object.keys(entry.details).length) {
      item.append(el("div", JSON.stringify(entry.details), "meta"));
    }
    list.appendChild(item);
  }
}

// -- the entity graph around a memory (GET .../memories/{id}/graph), drawn as SVG ----------
const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function short(text, size) {
  return text.length > size ? text.slice(0, size - 1) + "…" : text;
}

// The id at the other end of one of the centre memory's links.
function otherEnd(graph, link) {
  return link.source_id === graph.memory.id ? link.target_id : link.source_id;
}

// Centre memory in the middle, its entities on an inner ring, the memories they lead to
// (and linked memories) on an outer ring, each next to the first entity that reaches it.
function layout(graph) {
  const cx = 280, cy = 210, inner = 105, outer = 185;
  const entities = graph.entities.map((entity, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, graph.entities.length) - Math.PI / 2;
    return { ...entity, angle, x: cx + inner * Math.cos(angle), y: cy + inner * Math.sin(angle) };
  });
  const order = [];
  for (const entity of entities) for (const id of entity.memory_ids) if (!order.includes(id)) order.push(id);
  for (const link of graph.links) {
    const other = otherEnd(graph, link);
    if (!order.includes(other)) order.push(other);
  }
  const memories = new Map();
  order.forEach((id, i) => {
    const angle = (2 * Math.PI * i) / Math.max(1, order.length) - Math.PI / 2 + 0.2;
    memories.set(id, { x: cx + outer * Math.cos(angle), y: cy + outer * Math.sin(angle) });
  });
  return { centre: { x: cx, y: cy }, entities, memories };
}

function drawGraph(graph) {
  const texts = new Map(graph.neighbours.map((m) => [m.id, m]));
  const { centre, entities, memories } = layout(graph);
  const drawing = $("graph");
  drawing.replaceChildren();
  const edges = svg("g", { class: "edges" });
  const nodes = svg("g", { class: "nodes" });
  drawing.append(edges, nodes);

  for (const entity of entities) {
    edges.append(svg("line", { x1: centre.x, y1: centre.y, x2: entity.x, y2: entity.y, class: "mention" }));
    for (const id of entity.memory_ids) {
      const at = memories.get(id);
      edges.append(svg("line", { x1: entity.x, y1: entity.y, x2: at.x, y2: at.y, class: "mention" }));
    }
  }
  for (const link of graph.links) {
    const at = memories.get(otherEnd(graph, link));
    edges.append(svg("line", { x1: centre.x, y1: centre.y, x2: at.x, y2: at.y, class: `link ${link.type}` }));
    const label = svg("text", { x: (centre.x + at.x) / 2, y: (centre.y + at.y) / 2 - 3, class: "link-label" }, link.type);
    edges.append(label);
  }
  for (const entity of entities) {
    const group = svg("g", { class: "entity" });
    group.append(svg("title", {}, entity.name));
    group.append(svg("rect", { x: entity.x - 48, y: entity.y - 11, width: 96, height: 22, rx: 11 }));
    group.append(svg("text", { x: entity.x, y: entity.y + 4 }, short(entity.name, 16)));
    nodes.append(group);
  }
  const memoryNode = (id, at, isCentre) => {
    const item = isCentre ? graph.memory : texts.get(id);
    const group = svg("g", { class: isCentre ? "memory centre" : "memory", "data-id": id });
    group.append(svg("title", {}, item ? item.text : id));
    group.append(svg("circle", { cx: at.x, cy: at.y, r: isCentre ? 10 : 7 }));
    group.append(svg("text", { x: at.x, y: at.y + (isCentre ? 24 : 19) }, short(item ? item.text : id, 26)));
    if (!isCentre) group.addEventListener("click", guarded(() => showMemory(id)));
    nodes.append(group);
  };
  for (const [id, at] of memories) memoryNode(id, at, false);
  memoryNode(graph.memory.id, centre, true);

  const list = $("graph-list");
  list.replaceChildren();
  for (const entity of graph.entities) {
    list.appendChild(el("li", `${entity.name}: mentioned by ${entity.memory_ids.length} other memor${entity.memory_ids.length === 1 ? "y" : "ies"}`, "entity-row"));
  }
  for (const link of graph.links) {
    const outgoing = link.source_id === graph.memory.id;
    const otherId = otherEnd(graph, link);
    const text = texts.has(otherId) ? texts.get(otherId).text : otherId;
    list.appendChild(el("li", outgoing ? `${link.type} → ${text}` : `${text} → ${link.type} this`, "link-row"));
  }
  if (!graph.entities.length && !graph.links.length) list.appendChild(el("li", "no entities or links", "note"));
}

async function change(label, method, suffix, confirmFirst = true) {
  const memory = state.current;
  if (!memory || (confirmFirst && !window.confirm(`${label} this memory?\n\n${memory.text}`))) return;
  await api(method, `/memories/${encodeURIComponent(memory.id)}${suffix}`, method === "POST" ? {} : undefined);
  document.querySelectorAll(`#results .open[data-id="${CSS.escape(memory.id)}"]`).forEach((b) => b.closest("li").remove());
  await reloadTimeline();
  await showMemory(memory.id);
  status(`${label}: done`);
}

function connect() {
  sessionStorage.setItem("kenning.key", $("key").value.trim());
  sessionStorage.setItem("kenning.user", $("user").value.trim());
  state.user = $("user").value.trim();
  state.episodes.clear();
  $("results").replaceChildren();
  $("detail").hidden = true;
  status(`user ${state.user}`);
  return reloadTimeline();
}

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = sessionStorage.getItem("kenning.key") || "";
  $("user").value = sessionStorage.getItem("kenning.user") || "";
  $("connect").addEventListener("submit", guarded(connect));
  $("search-form").addEventListener("submit", guarded(search));
  $("more-memories").addEventListener("click", guarded(moreMemories));
  $("more-episodes").addEventListener("click", guarded(moreEpisodes));
  $("delete").addEventListener("click", guarded(() => change("Delete", "DELETE", "")));
  $("forget").addEventListener("click", guarded(() => change("Forget", "POST", "/forget")));
  $("undo").addEventListener("click", guarded(() => change("Undo", "POST", "/undo", false)));
  $("status-filter").addEventListener("change", guarded(reloadTimeline));
  if ($("user").value) guarded(connect)();
});
