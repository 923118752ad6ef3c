// Kenning's web page: the same REST API (/v1) and key as any client. All data is shown with
// textContent (never innerHTML), so memory text cannot inject markup. Nothing is loaded from
// another site.
"use strict";

const PAGE = 20;  // messages per timeline page
const MEMORY_PAGE = 200;  // memories per request when folding them under their messages
const MEMORY_PAGES = 10;  // at most this many requests (the newest messages come first)
const state = {
  user: "",
  current: null,  // the memory in the detail panel
  task: null,  // the task shown in the tasks panel
  episodes: new Map(),  // episode id -> episode, of the loaded timeline pages
  derived: new Map(),  // episode id -> the memories folded under that message
  loadedFrom: 0,  // offset of the oldest message loaded (messages are paged newest first)
};
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

function plural(count, one, many) {
  return `${count} ${count === 1 ? one : many}`;
}

function status(message, kind) {
  $("status").textContent = message;
  $("status").className = kind || "";
}

function headers(body) {
  const found = {};
  const key = sessionStorage.getItem("kenning.key");
  if (key) found.Authorization = "Bearer " + key;
  if (body !== undefined) found["Content-Type"] = "application/json";
  return found;
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// A request to the API: `path` under /v1 ("/users" ...), JSON in and out.
async function call(method, path, body) {
  const response = await fetch("/v1" + path, {
    method,
    headers: headers(body),
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    const error = data && data.error;
    throw new ApiError(response.status, error ? `${error.type}: ${error.message}` : `HTTP ${response.status}`);
  }
  return data;
}

// A request in the open user's scope (/v1/users/{user}...).
function api(method, path, body) {
  return call(method, "/users/" + encodeURIComponent(state.user) + path, body);
}

// Run an action, reporting a failure in the status line.
function guarded(action) {
  return async (event) => {
    if (event) event.preventDefault();
    try {
      await action(event);
    } catch (error) {
      status(String(error.message || error), "error");
    }
  };
}

function kindBadge(memory) {
  const label = memory.status === "active" ? memory.kind : `${memory.kind} · ${memory.status}`;
  return el("span", label, "kind");
}

function openButton(memory) {
  const button = el("button", memory.text, "open");
  button.type = "button";
  button.dataset.id = memory.id;
  button.addEventListener("click", guarded(() => showMemory(memory.id)));
  return button;
}

// The signals that moved a hit, largest first (the ones that gave nothing are left out).
function signalTable(signals) {
  const table = el("table", null, "signals");
  const entries = Object.entries(signals || {})
    .filter(([, s]) => Math.abs(s.contribution) >= 5e-4)
    .sort((a, b) => Math.abs(b[1].contribution) - Math.abs(a[1].contribution));
  const top = Math.max(1e-9, ...entries.map(([, s]) => Math.abs(s.contribution)));
  for (const [name, signal] of entries) {
    const row = table.insertRow();
    row.insertCell().textContent = name;
    const bar = el("span", null, signal.contribution < 0 ? "bar neg" : "bar");
    bar.style.width = `${Math.max(2, Math.round((Math.abs(signal.contribution) / top) * 90))}px`;
    row.insertCell().appendChild(bar);
    row.insertCell().textContent = signal.contribution.toFixed(3);
    row.insertCell().textContent = signal.rank === null ? "" : `rank ${signal.rank}`;
  }
  return table;
}

async function search() {
  const query = $("query").value.trim();
  if (state.user !== $("user").value.trim()) await connect();
  if (!state.user || !query) return;
  const result = await call("POST", `/users/${encodeURIComponent(state.user)}/search`, { query, limit: 10 });
  const list = $("results");
  list.replaceChildren();
  for (const hit of result.hits) {
    const item = el("li", null, `hit status-${hit.memory.status}`);
    const memory = hit.memory;
    item.append(
      openButton(memory),
      el("div", `${memory.kind} · ${when(memory.event_time || memory.created_at)} · score ${hit.score.toFixed(3)}`, "meta"),
      signalTable(hit.signals),
    );
    list.appendChild(item);
  }
  if (!result.hits.length) list.appendChild(el("li", "No matching memories.", "empty"));
  status(`${plural(result.hits.length, "result", "results")} for “${query}”`);
}

// -- the timeline: messages newest first, each with the memories derived from it -----------
function messageRow(episode) {
  const item = el("li", null, "message");
  item.dataset.episode = episode.id;
  const meta = el("div", null, "meta");
  meta.append(el("span", episode.name || episode.role, "who"));
  meta.append(` · ${when(episode.timestamp || episode.created_at)}`);
  if (episode.session_id) meta.append(` · session ${episode.session_id}`);
  item.append(meta, el("div", episode.content, "content"));
  const derived = state.derived.get(episode.id) || [];
  if (derived.length) {
    const fold = el("details");
    fold.append(el("summary", plural(derived.length, "memory", "memories") + " derived"));
    const list = el("ul", null, "derived");
    for (const memory of derived) {
      const row = el("li", null, `status-${memory.status}`);
      row.append(kindBadge(memory), openButton(memory));
      list.appendChild(row);
    }
    fold.appendChild(list);
    item.appendChild(fold);
  }
  return item;
}

// The user's memories, each under the latest message it came from; those from no message
// (stored facts, profiles) are listed above the messages.
async function loadDerived() {
  const statuses = $("status-filter").value.split(",").map((s) => `&status=${s}`).join("");
  state.derived = new Map();
  const notes = [];
  let offset = 0;
  for (let pages = 0; pages < MEMORY_PAGES && offset !== null; pages++) {
    const page = await api("GET", `/memories?limit=${MEMORY_PAGE}&offset=${offset}${statuses}`);
    for (const memory of page.items) {
      const ids = memory.episode_ids;
      if (!ids.length) {
        notes.push(memory);
        continue;
      }
      const anchor = ids[ids.length - 1];
      if (!state.derived.has(anchor)) state.derived.set(anchor, []);
      state.derived.get(anchor).push(memory);
    }
    offset = page.next_offset;
  }
  const list = $("notes");
  list.replaceChildren();
  for (const memory of notes.reverse()) {
    const row = el("li", null, `note-row status-${memory.status}`);
    row.append(kindBadge(memory), openButton(memory));
    row.append(el("div", `${when(memory.event_time || memory.created_at)} · not from a message`, "meta"));
    list.appendChild(row);
  }
  return notes.length;
}

async function moreMessages() {
  const end = state.loadedFrom;
  const start = Math.max(0, end - PAGE);
  if (end > start) {
    const page = await api("GET", `/episodes?limit=${end - start}&offset=${start}`);
    for (const episode of page.items.reverse()) {
      state.episodes.set(episode.id, episode);
      $("messages").appendChild(messageRow(episode));
    }
  }
  state.loadedFrom = start;
  $("more-messages").hidden = start === 0;
}

async function reloadTimeline() {
  const counts = await api("GET", "/stats");
  const notes = await loadDerived();
  state.episodes.clear();
  state.loadedFrom = counts.episodes;
  $("messages").replaceChildren();
  await moreMessages();
  const empty = counts.episodes === 0 && notes === 0;
  $("empty").hidden = !empty;
  $("empty").textContent = empty ? `No memories for this user (${state.user}) yet. Add one above.` : "";
}

// The episodes a memory came from: loaded ones, else fetched by pages (at most a few).
async function episodesOf(ids) {
  for (let pages = 0; pages < 5 && ids.some((id) => !state.episodes.has(id)) && state.loadedFrom > 0; pages++) {
    await moreMessages();
  }
  return ids.map((id) => [id, state.episodes.get(id)]);
}

// -- the detail panel ------------------------------------------------------------------------
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
    detail.scrollTop = 0;
    // Beside the lists the panel is sticky (always in view); stacked under them, go to it.
    const box = detail.getBoundingClientRect();
    if (box.top < 0 || box.top > window.innerHeight - 80) detail.scrollIntoView({ block: "start" });
  } finally {
    if (request === latestShow) detail.setAttribute("aria-busy", "false");
  }
}

const MONO_FIELDS = new Set(["id", "user_id", "agent_id", "session_id", "episode_ids", "slot"]);

function fieldValue(name, value) {
  if (value !== null && typeof value === "object") {
    if (Array.isArray(value) && value.every((v) => typeof v === "string")) {
      return el("dd", value.join(", ") || "—", "mono");
    }
    const dd = el("dd");
    dd.appendChild(el("pre", JSON.stringify(value, null, 2)));
    return dd;
  }
  const shown = value === null ? "—" : /_at$|_time$|_from$|_to$|accessed$/.test(name) ? when(value) : String(value);
  const classes = [];
  if (MONO_FIELDS.has(name)) classes.push("mono");
  if (name === "status") classes.push(`status-${value}`);
  return el("dd", shown, classes.join(" "));
}

function drawDetail(memory, episodes, history) {
  state.current = memory;
  $("detail-placeholder").hidden = true;
  $("detail-body").hidden = false;
  $("detail-id").textContent = memory.id;
  $("detail-text").textContent = memory.text;

  const fields = $("fields");
  fields.replaceChildren();
  for (const [name, value] of Object.entries(memory)) {
    if (name === "text") continue;
    fields.append(el("dt", name), fieldValue(name, value));
  }

  const provenance = $("provenance");
  provenance.replaceChildren();
  for (const [episodeId, episode] of episodes) {
    const item = el("li");
    if (episode) {
      item.append(el("span", `${episode.name || episode.role}: `, "who"), episode.content);
      item.append(el("div", `${when(episode.timestamp || episode.created_at)} · ${episodeId}`, "meta mono"));
    } else {
      item.append(el("code", episodeId));
    }
    provenance.appendChild(item);
  }
  if (!memory.episode_ids.length) provenance.appendChild(el("li", "not from a message", "note"));

  const list = $("history");
  list.replaceChildren();
  for (const entry of history.items) {
    const item = el("li", null, "history-entry");
    item.append(el("strong", entry.action), el("span", ` ${when(entry.at)}`, "meta"));
    if (entry.old_text !== null) item.append(el("div", `before: ${entry.old_text}`, "before"));
    if (entry.new_text !== null) item.append(el("div", `after: ${entry.new_text}`, "after"));
    const details = entry.details || {};
    const simple = Object.entries(details).filter(([, v]) => v === null || typeof v !== "object");
    if (simple.length) item.append(el("div", simple.map(([k, v]) => `${k}: ${v}`).join(" · "), "meta"));
    if (simple.length < Object.keys(details).length) {
      const fold = el("details", null, "raw");
      fold.append(el("summary", "the change as recorded"), el("pre", JSON.stringify(details, null, 2)));
      item.append(fold);
    }
    list.appendChild(item);
  }
}

// -- the entity graph around a memory (GET .../memories/{id}/graph), drawn as SVG ----------
const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 420, HEIGHT = 380;

function svg(tag, attributes, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

function short(text, size) {
  return text.length > size ? text.slice(0, size - 1) + "…" : text;
}

// A label's x, moved in so that its text (about 7 px a character) stays inside the drawing.
function inside(x, label) {
  const half = label.length * 4 + 6;
  return Math.min(WIDTH - half, Math.max(half, x));
}

// The id at the other end of one of the centre memory's links.
function otherEnd(graph, link) {
  return link.source_id === graph.memory.id ? link.target_id : link.source_id;
}

// Centre memory in the middle, its entities on an inner ring, the memories they lead to
// (and linked memories) on an outer ring, each next to the first entity that reaches it.
function layout(graph) {
  const cx = WIDTH / 2, cy = HEIGHT / 2, inner = 86, outer = 150;
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
    const angle = (2 * Math.PI * i) / Math.max(1, order.length) - Math.PI / 2 + 0.35;
    memories.set(id, { x: cx + outer * Math.cos(angle), y: cy + outer * 0.92 * Math.sin(angle) });
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
    const x = (centre.x + at.x) / 2;
    edges.append(svg("text", { x: inside(x, link.type), y: (centre.y + at.y) / 2 - 4, class: "link-label" }, link.type));
  }
  for (const entity of entities) {
    const label = short(entity.name, 18);
    const width = Math.max(64, label.length * 9 + 24);
    const x = Math.min(WIDTH - width / 2 - 2, Math.max(width / 2 + 2, entity.x));
    const group = svg("g", { class: "entity" });
    group.append(svg("title", {}, entity.name));
    group.append(svg("rect", { x: x - width / 2, y: entity.y - 15, width, height: 30, rx: 15 }));
    group.append(svg("text", { x, y: entity.y + 5 }, label));
    nodes.append(group);
  }
  const memoryNode = (id, at, isCentre) => {
    const item = isCentre ? graph.memory : texts.get(id);
    const label = short(item ? item.text : id, isCentre ? 30 : 22);
    // Outer labels away from the centre (above the upper nodes), so they clear the entities.
    const below = isCentre || at.y >= HEIGHT / 2;
    const group = svg("g", { class: isCentre ? "memory centre" : "memory", "data-id": id });
    group.append(svg("title", {}, item ? item.text : id));
    group.append(svg("circle", { cx: at.x, cy: at.y, r: isCentre ? 10 : 8 }));
    group.append(svg("text", { x: inside(at.x, label), y: below ? at.y + (isCentre ? 30 : 26) : at.y - 15 }, label));
    if (!isCentre) group.addEventListener("click", guarded(() => showMemory(id)));
    nodes.append(group);
  };
  for (const [id, at] of memories) memoryNode(id, at, false);
  memoryNode(graph.memory.id, centre, true);

  const list = $("graph-list");
  list.replaceChildren();
  for (const entity of graph.entities) {
    list.appendChild(el("li", `${entity.name}: mentioned by ${plural(entity.memory_ids.length, "other memory", "other memories")}`, "entity-row"));
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
  status(`${label}: done`, "ok");
}

// -- adding and exporting --------------------------------------------------------------------
async function addMemory() {
  if (state.user !== $("user").value.trim()) await connect();
  const content = $("add-text").value.trim();
  if (!state.user || !content) return;
  const body = { messages: [{ role: $("add-role").value, content }] };
  const session = $("add-session").value.trim();
  if (session) body.session_id = session;
  const result = await api("POST", "/messages", body);
  $("add-text").value = "";
  await reloadTimeline();
  await Promise.all([loadSessions(), loadUsers()]);
  status(`Remembered: ${plural(result.memories.length, "memory", "memories")} derived`, "ok");
}

async function exportUser() {
  if (!state.user) return;
  const response = await fetch(`/v1/export?user_id=${encodeURIComponent(state.user)}`, { headers: headers() });
  if (!response.ok) {
    const data = await response.json().catch(() => null);
    const error = data && data.error;
    throw new Error(error ? `${error.type}: ${error.message}` : `export: HTTP ${response.status}`);
  }
  const blob = await response.blob();
  const given = /filename="?([^";]+)"?/.exec(response.headers.get("content-disposition") || "");
  const link = el("a");
  link.href = URL.createObjectURL(blob);
  const lines = (response.headers.get("content-type") || "").includes("ndjson");
  link.download = given ? given[1] : `kenning-${state.user}.${lines ? "jsonl" : "json"}`;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  status(`Exported ${state.user} (${Math.max(1, Math.round(blob.size / 1024))} KB)`, "ok");
}

// -- tasks: the open user's tasks, one shown as its tree of steps ----------------------------
// A subgoal holds the steps recorded under it (nested subgoals too); a finished one is shown
// collapsed to its summary, its steps behind a button. Each step: number, kind, status; a
// stale step (one it depends on was revised) is flagged with the reason.
const STEP_DATA_CHARS = 160;  // a step's data is shown clipped to this many characters

async function loadTasks() {
  const list = $("tasks");
  const note = $("tasks-note");
  list.replaceChildren();
  if (!state.user) {
    note.textContent = "Open a user to see their tasks.";
    note.hidden = false;
    hideTask();
    return;
  }
  const found = await api("GET", "/tasks");
  note.hidden = found.items.length > 0;
  note.textContent = found.items.length ? "" : `No tasks for this user (${state.user}).`;
  for (const task of found.items.slice().reverse()) {  // newest first
    const item = el("li", null, task.id === state.task ? "current" : "");
    item.dataset.task = task.id;
    const button = el("button");
    button.type = "button";
    button.append(el("span", task.status, `badge status-${task.status}`), el("span", task.goal, "goal"));
    const meta = [plural(task.steps, "step", "steps"), when(task.created_at)];
    if (task.agent_id) meta.unshift(`agent ${task.agent_id}`);
    button.append(el("span", meta.join(" · "), "meta line"));
    button.addEventListener("click", guarded(() => showTask(task.id)));
    item.appendChild(button);
    list.appendChild(item);
  }
  if (state.task && found.items.some((t) => t.id === state.task)) await showTask(state.task);
  else hideTask();
}

function hideTask() {
  state.task = null;
  $("task-view").hidden = true;
  $("task-tree").replaceChildren();
  delete $("task-tree").dataset.shown;
}

async function showTask(id) {
  const found = await api("GET", `/tasks/${encodeURIComponent(id)}`);
  state.task = id;
  document.querySelectorAll("#tasks li").forEach((li) => li.classList.toggle("current", li.dataset.task === id));
  const task = found.task;
  $("task-view").hidden = false;
  $("task-goal").textContent = task.goal;
  $("task-meta").replaceChildren(el("span", task.status, `badge status-${task.status}`));
  const meta = [plural(task.steps, "step", "steps"), `started ${when(task.created_at)}`];
  if (task.agent_id) meta.unshift(`agent ${task.agent_id}`);
  $("task-meta").append(` ${meta.join(" · ")}`);
  $("task-outcome").hidden = !task.outcome;
  $("task-outcome").textContent = task.outcome ? `Outcome: ${task.outcome}` : "";
  const children = new Map();
  for (const step of found.steps) {
    const parent = step.parent_id || "";
    if (!children.has(parent)) children.set(parent, []);
    children.get(parent).push(step);
  }
  const tree = $("task-tree");
  tree.replaceChildren(...(children.get("") || []).map((step) => stepNode(step, children)));
  if (!found.steps.length) tree.appendChild(el("li", "No steps yet.", "note"));
  tree.dataset.shown = id;
}

// The numbers of every step under a subgoal, recursively.
function numbersUnder(step, children) {
  const out = [];
  for (const child of children.get(step.id) || []) out.push(child.number, ...numbersUnder(child, children));
  return out.sort((a, b) => a - b);
}

function dataLine(data) {
  const first = ["tool", "arguments"];  // a tool call reads in order: tool, arguments, result
  const shown = Object.entries(data || {})
    .filter(([key]) => key !== "revises" && key !== "revises_number")
    .sort(([a], [b]) => (first.includes(b) ? 1 : 0) - (first.includes(a) ? 1 : 0) || first.indexOf(a) - first.indexOf(b));
  if (!shown.length) return null;
  const text = shown.map(([k, v]) => `${k}: ${typeof v === "string" ? v : JSON.stringify(v)}`).join(" · ");
  return el("div", short(text, STEP_DATA_CHARS), "step-data");
}

function stepNode(step, children) {
  const subgoal = step.kind === "subgoal";
  const item = el("li", null, `step kind-${step.kind} status-${step.status}${step.stale_reason ? " stale" : ""}`);
  item.dataset.step = step.id;
  item.dataset.number = step.number;
  const row = el("div", null, "step-row");
  row.append(el("span", `#${step.number}`, "number"), el("span", step.kind.replace("_", " "), "kind"));
  row.append(el("span", step.status, `badge status-${step.status}`), el("span", step.text, "text"));
  item.appendChild(row);
  if (step.data && step.data.revises_number) item.appendChild(el("div", `revises #${step.data.revises_number}`, "step-data"));
  const data = dataLine(step.data);
  if (data) item.appendChild(data);
  if (step.stale_reason) item.appendChild(el("div", `Stale: ${step.stale_reason}`, "stale-note"));
  if (!subgoal) return item;
  const kids = children.get(step.id) || [];
  const list = el("ol", null, "tree");
  list.append(...kids.map((child) => stepNode(child, children)));
  if (step.status === "open") {
    if (!kids.length) list.appendChild(el("li", "nothing recorded yet", "note"));
    item.appendChild(list);
    return item;
  }
  // Finished: collapsed to its summary; its steps behind a button.
  item.appendChild(el("div", step.summary || step.outcome || "no summary", "summary"));
  if (kids.length) {
    const numbers = numbersUnder(step, children);
    const toggle = el("button", null, "expand quiet small");
    toggle.type = "button";
    const span = numbers.length > 1 ? `#${numbers[0]}–#${numbers[numbers.length - 1]}` : `#${numbers[0]}`;
    const label = () => `${toggle.getAttribute("aria-expanded") === "true" ? "Hide" : "Show"} ${plural(numbers.length, "step", "steps")} (${span})`;
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = label();
    list.hidden = true;
    toggle.addEventListener("click", () => {
      list.hidden = !list.hidden;
      toggle.setAttribute("aria-expanded", String(!list.hidden));
      toggle.textContent = label();
    });
    item.append(toggle, list);
  }
  return item;
}

// -- users and sessions ----------------------------------------------------------------------
async function loadUsers() {
  const list = $("users");
  const note = $("users-note");
  let page;
  try {
    page = await call("GET", "/users?limit=200");
  } catch (error) {
    list.replaceChildren();
    note.hidden = false;
    note.textContent = error.status === 403 || error.status === 401
      ? "Listing every user needs an admin API key."
      : String(error.message || error);
    return;
  }
  note.hidden = page.items.length > 0;
  note.textContent = page.items.length ? "" : "No users yet.";
  list.replaceChildren();
  for (const user of page.items) {
    const item = el("li", null, user.user_id === state.user ? "current" : "");
    item.dataset.user = user.user_id;
    const button = el("button");
    button.type = "button";
    button.append(el("span", user.user_id, "name"));
    button.append(el("span", `${plural(user.episodes, "message", "messages")} · ${plural(user.memories, "memory", "memories")}`, "meta line"));
    if (user.last_at) button.append(el("span", `last active ${when(user.last_at).slice(0, 10)}`, "meta line"));
    button.addEventListener("click", guarded(() => {
      $("user").value = user.user_id;
      return connect();
    }));
    item.appendChild(button);
    list.appendChild(item);
  }
}

async function loadSessions() {
  const panel = $("user-panel");
  if (!state.user) {
    panel.hidden = true;
    return;
  }
  const found = await api("GET", "/sessions");
  panel.hidden = false;
  $("sessions-of").textContent = state.user;
  const list = $("sessions");
  list.replaceChildren();
  for (const session of found.items) {
    const item = el("li");
    item.dataset.session = session.session_id ?? "";
    item.append(el("div", session.session_id ?? "no session", "name"));
    item.append(el("div", `${plural(session.episodes, "message", "messages")} · ${plural(session.memories, "memory", "memories")}`, "meta"));
    const span = session.first_at === session.last_at ? when(session.first_at) : `${when(session.first_at)} – ${when(session.last_at)}`;
    if (span) item.append(el("div", span, "meta"));
    list.appendChild(item);
  }
  if (!found.items.length) list.appendChild(el("li", "No sessions.", "note"));
  $("delete-user").hidden = !found.items.length;  // nothing stored: nothing to delete
}

async function deleteUser() {
  const user = state.user;
  if (!user) return;
  const typed = window.prompt(
    `Erase user “${user}” with every message, memory and history entry? This cannot be undone.\n\nType the user id to confirm:`,
  );
  if (typed === null) return;
  if (typed.trim() !== user) {
    status(`Not deleted: “${typed}” is not “${user}”.`, "error");
    return;
  }
  const result = await call("DELETE", `/users/${encodeURIComponent(user)}?confirm=true`);
  clearDetail();
  $("results").replaceChildren();
  await reloadTimeline();
  await Promise.all([loadSessions(), loadUsers(), loadTasks()]);
  status(`Erased user ${user}: ${plural(result.erased_episodes, "message", "messages")} and ${plural(result.erased_memories, "memory", "memories")}`, "ok");
}

function clearDetail() {
  state.current = null;
  $("detail-body").hidden = true;
  $("detail-placeholder").hidden = false;
  delete $("detail").dataset.shown;
}

async function connect() {
  sessionStorage.setItem("kenning.key", $("key").value.trim());
  sessionStorage.setItem("kenning.user", $("user").value.trim());
  state.user = $("user").value.trim();
  state.episodes.clear();
  $("results").replaceChildren();
  clearDetail();
  $("export").disabled = !state.user;
  document.querySelectorAll("#users li").forEach((li) => li.classList.toggle("current", li.dataset.user === state.user));
  status(`User ${state.user}`);
  state.task = null;
  await reloadTimeline();
  await loadSessions();
  await loadTasks();
}

document.addEventListener("DOMContentLoaded", () => {
  $("key").value = sessionStorage.getItem("kenning.key") || "";
  $("user").value = sessionStorage.getItem("kenning.user") || "";
  $("connect").addEventListener("submit", guarded(async () => {
    await connect();
    await loadUsers();
  }));
  $("search-form").addEventListener("submit", guarded(search));
  $("add-form").addEventListener("submit", guarded(addMemory));
  $("export").addEventListener("click", guarded(exportUser));
  $("refresh-users").addEventListener("click", guarded(loadUsers));
  $("delete-user").addEventListener("click", guarded(deleteUser));
  $("more-messages").addEventListener("click", guarded(moreMessages));
  $("refresh-tasks").addEventListener("click", guarded(loadTasks));
  $("delete").addEventListener("click", guarded(() => change("Delete", "DELETE", "")));
  $("forget").addEventListener("click", guarded(() => change("Forget", "POST", "/forget")));
  $("undo").addEventListener("click", guarded(() => change("Undo", "POST", "/undo", false)));
  $("status-filter").addEventListener("change", guarded(reloadTimeline));
  guarded(loadUsers)();
  if ($("user").value) guarded(connect)();
});
