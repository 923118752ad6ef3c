"""The web page at ``/`` in a real browser (Debian's chromium driven by Playwright).

The page talks to the real server over the same REST API; the test checks the outcome of
what the page does over HTTP. Screenshots go to ``tests/artifacts/`` (git-ignored). Without
chromium the test fails (``make setup`` installs it); ``KENNING_NO_BROWSER=1`` skips it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from serving import Keys, Server

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if os.environ.get("KENNING_NO_BROWSER") == "1":
        pytest.skip("KENNING_NO_BROWSER=1: browser test skipped on request")
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: the web page test needs Debian's chromium "
            "(`make setup` or `apt-get install -y chromium`); set KENNING_NO_BROWSER=1 to skip"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield opened
        assert not errors, errors
    finally:
        context.close()


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"web_{name}.png"), full_page=True)


def wait_shown(page: Any, memory_id: str) -> None:
    """Wait until the detail panel, graph included, shows ``memory_id`` and nothing is loading."""
    page.wait_for_selector(f"#detail[data-shown='{memory_id}'][aria-busy='false']")


def remember(client: httpx.Client, user: str, *texts: str) -> list[dict[str, Any]]:
    messages = [{"role": "user", "content": text} for text in texts]
    response = client.post(f"/v1/users/{user}/messages", json={"messages": messages})
    assert response.status_code == 201, response.text
    memories: list[dict[str, Any]] = response.json()["memories"]
    return memories


def messages_shown(page: Any) -> list[str]:
    """The timeline's message texts, top to bottom."""
    texts: list[str] = page.locator("#messages li.message .content").all_inner_texts()
    return texts


def no_sideways_scroll(page: Any) -> bool:
    fits: bool = page.evaluate(
        "document.scrollingElement.scrollWidth <= document.scrollingElement.clientWidth"
    )
    return fits


def test_page_searches_shows_history_and_deletes(open_server: Server, page: Any) -> None:
    http = open_server.client()
    said = [
        "My sister Lucia got married in Lisbon last May.",
        "I adopted a beagle named Toby.",
        "I started a new job at the bakery on Monday.",
        "<script>alert('x')</script> is not markup here",
        "Lucia sent us the wedding photos.",
    ]
    made = remember(http, "ana", *said)
    sister = next(m for m in made if "Lucia" in m["text"])
    updated = "My sister Lucia got married in Porto last May."
    # A long token in the metadata: the history shows the change's raw JSON.
    token = "https://example.org/" + "x" * 180
    response = http.patch(
        f"/v1/users/ana/memories/{sister['id']}", json={"text": updated, "metadata": {"src": token}}
    )
    assert response.status_code == 200, response.text

    page.goto(open_server.url + "/")
    page.fill("#user", "ana")
    page.click("#connect button")
    page.wait_for_selector("#messages li.message >> nth=4")
    # One row per message, newest first; the memories derived from each are folded under it.
    assert messages_shown(page) == list(reversed(said))
    assert page.locator("#messages li.message").count() == 5
    first = page.locator("#messages li.message").first
    assert "Lucia sent us the wedding photos." in first.locator(".derived").text_content()
    assert not first.locator(".derived").is_visible()  # folded
    # Text is shown as text: the stored "<script>" is not markup.
    assert page.locator("#messages .content", has_text="<script>alert").count() == 1
    assert page.locator("main script").count() == 0
    first.locator("summary").click()
    assert first.locator(".derived .open").first.is_visible()
    assert page.locator("#users li[data-user='ana']").count() == 1
    shot(page, "timeline")

    page.fill("#query", "sister married Porto")
    page.click("#search-form button")
    hit = page.locator("#results .hit").first
    hit.wait_for()
    assert "Porto" in hit.locator(".open").inner_text()
    assert "score" in hit.locator(".meta").inner_text()
    names = hit.locator("table.signals tr td:first-child").all_inner_texts()
    assert "bm25" in names, names
    shot(page, "search")

    hit.locator(".open").click()
    wait_shown(page, sister["id"])
    history = page.locator("#history li").all_inner_texts()
    assert [entry.split()[0] for entry in history] == ["add", "update"], history
    assert any("before: My sister Lucia got married in Lisbon" in e for e in history), history
    assert any(f"after: {updated}" in e for e in history), history
    assert "Lisbon" in page.locator("#provenance").inner_text()  # the episode's text
    # The raw change, opened, wraps inside the panel: the page never scrolls sideways.
    page.locator("#history details.raw summary").last.click()
    assert token[:40] in page.locator("#history pre").last.inner_text()
    assert no_sideways_scroll(page)
    # The entity graph: Lucia leads to the photos message, drawn as a node one can open.
    page.wait_for_selector("#graph-list .entity-row")
    rows = page.locator("#graph-list .entity-row").all_inner_texts()
    assert any(row.startswith("Lucia: mentioned by") for row in rows), rows
    graph = http.get(f"/v1/users/ana/memories/{sister['id']}/graph").json()
    photos = next(m for m in graph["neighbours"] if "photos" in m["text"])
    node = page.locator(f"#graph .memory[data-id='{photos['id']}']")
    assert node.count() == 1
    assert page.locator("#graph .memory.centre").get_attribute("data-id") == sister["id"]
    assert page.locator("#graph .entity").count() == len(graph["entities"])
    # Graph labels are drawn at least as large as small text (13 px on screen).
    label = page.locator("#graph .entity text").first.bounding_box()
    assert label is not None and label["height"] >= 15, label
    shot(page, "detail")
    page.locator("#graph").scroll_into_view_if_needed()  # the panel scrolls on its own
    page.screenshot(path=str(ARTIFACTS / "web_graph.png"))
    node.dispatch_event("click")
    wait_shown(page, photos["id"])
    assert "wedding photos" in page.locator("#detail-text").inner_text()
    # The graph is the photos message's now: its sister node leads back.
    assert page.locator("#graph .memory.centre").get_attribute("data-id") == photos["id"]
    page.locator(f"#graph .memory[data-id='{sister['id']}']").dispatch_event("click")
    wait_shown(page, sister["id"])
    assert page.locator("#history li").count() == 2
    # Two clicks faster than the answers: the panel shows the last one, detail and graph alike.
    page.locator(f"#graph .memory[data-id='{photos['id']}']").dispatch_event("click")
    hit.locator(".open").dispatch_event("click")
    wait_shown(page, sister["id"])
    assert page.locator("#detail-id").inner_text() == sister["id"]
    assert page.locator("#graph .memory.centre").get_attribute("data-id") == sister["id"]

    dialogs: list[str] = []

    def accept(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept()

    page.on("dialog", accept)
    page.click("#delete")
    page.wait_for_selector("#fields .status-deleted")
    assert dialogs and "Porto" in dialogs[0]
    assert page.locator("#messages .derived .open", has_text="Porto").count() == 0
    assert page.locator("#results .open", has_text="Porto").count() == 0
    shot(page, "deleted")

    response = http.get(f"/v1/users/ana/memories/{sister['id']}")
    assert response.json()["status"] == "deleted"
    listed = http.get("/v1/users/ana/memories").json()["items"]
    assert sister["id"] not in {m["id"] for m in listed}


def test_the_detail_of_a_lower_result_opens_in_view(open_server: Server, page: Any) -> None:
    http = open_server.client()
    pets = ["dog", "cat", "parrot", "hamster", "tortoise", "rabbit", "goldfish", "ferret"]
    remember(http, "ana", *(f"My neighbour's {pet} loves the garden in spring." for pet in pets))
    page.goto(open_server.url + "/")
    page.fill("#user", "ana")
    page.click("#connect button")
    page.wait_for_selector("#messages li.message >> nth=7")
    page.fill("#query", "neighbour garden spring")
    page.click("#search-form button")
    page.wait_for_selector("#results .hit >> nth=7")
    last = page.locator("#results .hit .open").last
    last.scroll_into_view_if_needed()
    assert page.evaluate("window.scrollY") > 300  # the page did scroll down to it
    memory_id = last.get_attribute("data-id")
    last.click()
    wait_shown(page, memory_id)
    box = page.locator("#detail").bounding_box()
    height = page.viewport_size["height"]
    assert box is not None and 0 <= box["y"] < height / 2, box
    text = page.locator("#detail-text").bounding_box()
    assert text is not None and text["y"] >= 0 and text["y"] + text["height"] <= height, text
    assert no_sideways_scroll(page)
    page.screenshot(path=str(ARTIFACTS / "web_lower_result.png"))  # the viewport, as seen


def test_an_unknown_user_is_told_it_has_no_memories(open_server: Server, page: Any) -> None:
    remember(open_server.client(), "ana", "I adopted a beagle named Toby.")
    page.goto(open_server.url + "/")
    page.fill("#user", "nobody")
    page.click("#connect button")
    page.wait_for_selector("#empty:not([hidden])")
    assert "No memories for this user (nobody)" in page.locator("#empty").inner_text()
    assert page.locator("#messages li").count() == 0
    page.fill("#user", "ana")  # a user with memories: no such message
    page.click("#connect button")
    page.wait_for_selector("#messages li.message")
    assert page.locator("#empty").is_hidden()
    page.fill("#user", "nobody")
    page.click("#connect button")
    page.wait_for_selector("#empty:not([hidden])")
    page.fill("#query", "beagle")
    page.click("#search-form button")
    page.wait_for_selector("#results .empty")
    assert page.locator("#results").inner_text() == "No matching memories."
    shot(page, "empty")


def test_a_memory_added_on_the_page_is_found(open_server: Server, page: Any) -> None:
    http = open_server.client()
    remember(http, "ana", "I adopted a beagle named Toby.")
    page.goto(open_server.url + "/")
    page.fill("#user", "ana")
    page.click("#connect button")
    page.wait_for_selector("#messages li.message")
    page.fill("#add-text", "My favourite tea is smoky lapsang souchong.")
    page.fill("#add-session", "tea-talk")
    page.click("#add-form button")
    page.wait_for_selector("#status.ok")
    assert "Remembered" in page.locator("#status").inner_text()
    assert messages_shown(page)[0] == "My favourite tea is smoky lapsang souchong."
    assert page.locator("#sessions li[data-session='tea-talk']").count() == 1
    assert page.locator("#add-text").input_value() == ""
    page.fill("#query", "favourite tea")
    page.click("#search-form button")
    hit = page.locator("#results .hit").first
    hit.wait_for()
    assert "lapsang souchong" in hit.locator(".open").inner_text()
    shot(page, "added")

    found = http.post("/v1/users/ana/search", json={"query": "lapsang souchong"}).json()
    top = found["hits"][0]["memory"]
    assert "lapsang" in top["text"] and top["session_id"] == "tea-talk"


def test_the_users_panel_lists_sessions_and_deletes_a_user(open_server: Server, page: Any) -> None:
    http = open_server.client()
    for session, texts in {
        "breakfast": ["I had porridge with blueberries.", "The coffee was too strong."],
        "travel": ["We fly to Lisbon on Friday."],
    }.items():
        response = http.post(
            "/v1/users/ana/messages", json={"messages": texts, "session_id": session}
        )
        assert response.status_code == 201, response.text
    remember(http, "bob", "Bob keeps bees on the roof.")

    page.goto(open_server.url + "/")
    page.wait_for_selector("#users li[data-user='bob']")
    rows = page.locator("#users li").all_inner_texts()
    assert [row.split()[0] for row in rows] == ["ana", "bob"]
    assert "3 messages" in rows[0] and "1 message" in rows[1]
    page.locator("#users li[data-user='ana'] button").click()
    page.wait_for_selector("#sessions li[data-session='breakfast']")
    assert page.locator("#user").input_value() == "ana"
    sessions = {
        s.get_attribute("data-session"): s.inner_text() for s in page.locator("#sessions li").all()
    }
    assert set(sessions) == {"breakfast", "travel"}
    assert "2 messages" in sessions["breakfast"] and "1 message" in sessions["travel"]
    page.wait_for_selector("#messages li.message >> nth=2")
    assert page.locator("#users li.current").get_attribute("data-user") == "ana"
    shot(page, "users")

    answers = iter(["ana's typo", "ana"])  # a wrong id deletes nothing; the right one does
    dialogs: list[str] = []

    def answer(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.accept(next(answers))

    page.on("dialog", answer)
    page.click("#delete-user")
    page.wait_for_selector("#status.error")
    assert "Not deleted" in page.locator("#status").inner_text()
    assert http.get("/v1/users/ana/sessions").json()["items"]  # still there
    page.click("#delete-user")
    page.wait_for_selector("#status.ok")
    assert "Erased user ana: 3 messages" in page.locator("#status").inner_text()
    assert "cannot be undone" in dialogs[0]
    page.wait_for_selector("#empty:not([hidden])")
    assert page.locator("#users li[data-user='ana']").count() == 0
    assert page.locator("#users li[data-user='bob']").count() == 1
    shot(page, "user_deleted")

    assert [u["user_id"] for u in http.get("/v1/users").json()["items"]] == ["bob"]
    assert http.post("/v1/users/ana/search", json={"query": "porridge"}).json()["hits"] == []
    assert http.get("/v1/users/ana/sessions").json()["items"] == []


def test_the_export_button_downloads_the_user(open_server: Server, page: Any) -> None:
    http = open_server.client()
    if "/v1/export" not in http.get("/openapi.json").json()["paths"]:
        pytest.fail("GET /v1/export does not exist yet")
    remember(http, "ana", "I adopted a beagle named Toby.")
    page.goto(open_server.url + "/")
    page.fill("#user", "ana")
    page.click("#connect button")
    page.wait_for_selector("#messages li.message")
    with page.expect_download() as download:
        page.click("#export")
    saved = download.value.path()
    assert saved is not None
    body = Path(saved).read_text(encoding="utf-8")
    assert "I adopted a beagle named Toby." in body
    assert "ana" in download.value.suggested_filename


def test_page_with_api_key(keyed: tuple[Server, Keys], page: Any) -> None:
    server, keys = keyed
    made = remember(server.client(keys.ana), "ana", "Toby the beagle loves the beach.")

    page.goto(server.url + "/")
    page.fill("#user", "ana")
    page.fill("#query", "beagle")
    page.click("#search-form button")  # no key yet: the API's 401 is shown
    page.wait_for_selector("#status.error")
    assert "unauthorized" in page.locator("#status").inner_text()

    page.fill("#key", keys.ana)
    page.click("#connect button")
    page.wait_for_selector("#messages li.message")
    # A key bound to ana may not list every user; it sees its own sessions.
    page.wait_for_selector("#users-note:not([hidden])")
    assert "admin API key" in page.locator("#users-note").inner_text()
    assert page.locator("#sessions li").count() == 1
    page.click("#search-form button")
    page.wait_for_selector("#results .hit")
    assert "Toby" in page.locator("#results .hit").first.inner_text()
    assert page.evaluate("sessionStorage.getItem('kenning.key')") == keys.ana

    page.on("dialog", lambda dialog: dialog.accept())
    page.locator("#results .open").first.click()
    page.wait_for_selector("#history li")
    page.click("#forget")
    page.wait_for_selector("#fields .status-archived")
    shot(page, "keyed_forgotten")
    item = server.client(keys.ana).get(f"/v1/users/ana/memories/{made[0]['id']}").json()
    assert item["status"] == "archived"
    folded = page.locator("#messages li.message .derived li")
    assert folded.count() == 1  # the session only
    assert "session" in folded.first.text_content()
    page.select_option("#status-filter", "active,superseded,archived")
    archived = page.locator("#messages .derived li.status-archived")
    archived.first.wait_for(state="attached")  # folded: in the page, not shown
    assert "turn · archived" in archived.first.text_content()

    page.click("#undo")  # no confirmation: an undo is itself undoable
    page.wait_for_selector("#fields .status-active")
    item = server.client(keys.ana).get(f"/v1/users/ana/memories/{made[0]['id']}").json()
    assert item["status"] == "active"
    assert page.locator("#history li").all_inner_texts()[-1].startswith("restore")

    page.fill("#user", "bob")  # a key bound to ana only: bob's data is refused
    page.click("#connect button")
    page.wait_for_selector("#status.error")
    assert "forbidden" in page.locator("#status").inner_text()


def test_page_is_served_with_its_files(open_server: Server) -> None:
    http = open_server.client()
    index = http.get("/")
    assert index.status_code == 200 and "text/html" in index.headers["content-type"]
    for name in ("app.js", "style.css"):
        assert f"/web/{name}" in index.text
        assert http.get(f"/web/{name}").status_code == 200
    assert http.get("/web/missing.js").status_code == 404
    assert "/" not in http.get("/openapi.json").json()["paths"]


def _made(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    made: dict[str, Any] = response.json()
    return made


def test_the_tasks_panel_shows_a_task_as_a_tree(open_server: Server, page: Any) -> None:
    http = open_server.client()
    base = "/v1/users/ana/tasks"
    _made(http.post(base, json={"goal": "Water the plants"}))
    task = _made(http.post(base, json={"goal": "Plan a trip to Lisbon", "agent_id": "planner"}))
    t = f"{base}/{task['id']}"

    def subgoal(text: str) -> str:
        return str(_made(http.post(f"{t}/subgoals", json={"text": text}))["id"])

    def record(text: str, **fields: Any) -> str:
        return str(_made(http.post(f"{t}/steps", json={"text": text, **fields}))["id"])

    ferries = subgoal("Find ferries")
    search = record(
        "search 'ferry timetables'",
        kind="tool_call",
        data={"tool": "search", "result": "14 results, first Porto-Lisbon 08:15"},
    )
    record("the 08:15 ferry is cheapest", kind="observation")
    _made(http.post(f"{t}/steps/{ferries}/close", json={"outcome": "take the 08:15 ferry"}))
    flights = subgoal("Find a direct flight")
    record("search flights Porto-Lisbon")
    _made(
        http.post(
            f"{t}/steps/{flights}/close",
            json={"outcome": "no direct flight that day", "failed": True},
        )
    )
    hotel = subgoal("Book a hotel")
    budget = record("set budget=120")
    hotels = record("filter hotels under 120", depends_on=[budget])
    reviews = subgoal("Check reviews")
    read = record("read the reviews of Hotel Sol", kind="note", depends_on=[hotels])
    revision = _made(
        http.post(
            f"{t}/steps/{budget}/revise",
            json={"text": "set budget=150", "reason": "the budget went up"},
        )
    )
    new_budget = revision["step"]["id"]

    page.goto(open_server.url + "/")
    page.fill("#user", "ana")
    page.click("#connect button")
    page.wait_for_selector(f"#tasks li[data-task='{task['id']}']")
    rows = page.locator("#tasks li").all_inner_texts()
    assert len(rows) == 2 and "Plan a trip to Lisbon" in rows[0], rows  # newest first
    assert "agent planner" in rows[0] and "11 steps" in rows[0], rows
    assert page.locator("#task-view").is_hidden()
    page.locator(f"#tasks li[data-task='{task['id']}'] button").click()
    page.wait_for_selector(f"#task-tree[data-shown='{task['id']}']")
    assert page.locator("#task-goal").inner_text() == "Plan a trip to Lisbon"

    def step(step_id: str) -> Any:
        return page.locator(f"#task-tree li[data-step='{step_id}']")

    def badge(step_id: str) -> str:
        text: str = step(step_id).locator(":scope > .step-row .badge").inner_text()
        return text

    # Subgoals at the top, the rest nested under the subgoal it was recorded in.
    top = page.locator("#task-tree > li").evaluate_all("nodes => nodes.map(n => n.dataset.step)")
    assert top == [ferries, flights, hotel], top
    assert step(hotel).locator(f"li[data-step='{reviews}']").count() == 1
    assert step(reviews).locator(f"li[data-step='{read}']").count() == 1
    assert step(hotel).locator(f":scope > ol > li[data-step='{new_budget}']").count() == 0
    assert step(reviews).locator(f":scope > ol > li[data-step='{new_budget}']").count() == 1
    assert step(ferries).locator(f"li[data-step='{read}']").count() == 0
    assert step(hotel).locator(":scope > .step-row .number").inner_text() == "#6"
    # A status badge on every step.
    badges = {
        ferries: "done",
        search: "recorded",
        flights: "failed",
        hotel: "open",
        budget: "revised",
        hotels: "recorded",
        reviews: "open",
        read: "recorded",
        new_budget: "recorded",
    }
    assert {s: badge(s) for s in badges} == badges
    assert "revises #7" in step(new_budget).inner_text()
    # The revision flagged its dependents stale, with the reason; nothing else is flagged.
    stale = page.locator("#task-tree li.stale").evaluate_all(
        "nodes => nodes.map(n => n.dataset.step)"
    )
    assert stale == [hotels, read], stale
    note = step(hotels).locator(":scope > .stale-note")
    assert note.inner_text() == "Stale: #7 was revised by #11: the budget went up"
    assert note.is_visible()
    assert step(budget).locator(".stale-note").count() == 0
    # Finished subgoals are collapsed to their summary; a click shows their steps.
    assert "take the 08:15 ferry" in step(ferries).locator(":scope > .summary").inner_text()
    assert "no direct flight that day" in step(flights).locator(":scope > .summary").inner_text()
    assert step(flights).locator(":scope > .expand").inner_text() == "Show 1 step (#5)"
    assert step(search).is_hidden()
    toggle = step(ferries).locator(":scope > .expand")
    assert toggle.inner_text() == "Show 2 steps (#2\u2013#3)"
    page.locator("#tasks-section").screenshot(path=str(ARTIFACTS / "web_tasks_collapsed.png"))
    toggle.click()
    assert step(search).is_visible()
    assert "14 results, first Porto-Lisbon 08:15" in step(search).inner_text()
    assert toggle.get_attribute("aria-expanded") == "true"
    assert step(hotel).locator(":scope > .expand").count() == 0  # open: shown in full
    assert no_sideways_scroll(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#tasks-section").screenshot(path=str(ARTIFACTS / "web_tasks.png"))
    shot(page, "tasks_page")
    toggle.click()
    assert step(search).is_hidden()
