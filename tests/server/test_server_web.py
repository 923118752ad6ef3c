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


def test_page_searches_shows_history_and_deletes(open_server: Server, page: Any) -> None:
    http = open_server.client()
    made = remember(
        http,
        "ana",
        "My sister Lucia got married in Lisbon last May.",
        "I adopted a beagle named Toby.",
        "I started a new job at the bakery on Monday.",
        "<script>alert('x')</script> is not markup here",
        "Lucia sent us the wedding photos.",
    )
    sister = next(m for m in made if "Lucia" in m["text"])
    updated = "My sister Lucia got married in Porto last May."
    response = http.patch(f"/v1/users/ana/memories/{sister['id']}", json={"text": updated})
    assert response.status_code == 200, response.text

    page.goto(open_server.url + "/")
    page.fill("#user", "ana")
    page.click("#connect button")
    page.wait_for_selector("#memories li >> nth=4")
    page.wait_for_selector("#episodes li >> nth=4")
    assert page.locator("#episodes li").count() == 5
    # Text is shown as text: the stored "<script>" is not markup.
    assert page.locator("#memories .open", has_text="<script>alert").count() >= 1
    assert page.locator("main script").count() == 0
    shot(page, "timeline")

    page.fill("#query", "sister married Porto")
    page.click("#search-form button")
    hit = page.locator("#results .hit").first
    hit.wait_for()
    assert "Porto" in hit.locator(".open").inner_text()
    assert "score" in hit.locator(".meta").inner_text()
    signals = hit.locator("table.signals tr")
    assert signals.count() >= 2
    names = signals.locator("td:first-child").all_inner_texts()
    assert "bm25" in names, names
    shot(page, "search")

    hit.locator(".open").click()
    wait_shown(page, sister["id"])
    history = page.locator("#history li").all_inner_texts()
    assert [entry.split()[0] for entry in history] == ["add", "update"], history
    assert any("before: My sister Lucia got married in Lisbon" in e for e in history), history
    assert any(f"after: {updated}" in e for e in history), history
    assert "Lisbon" in page.locator("#provenance").inner_text()  # the episode's text
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
    shot(page, "detail")
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
    assert page.locator("#memories .open", has_text="Porto").count() == 0
    assert page.locator("#results .open", has_text="Porto").count() == 0
    shot(page, "deleted")

    response = http.get(f"/v1/users/ana/memories/{sister['id']}")
    assert response.json()["status"] == "deleted"
    listed = http.get("/v1/users/ana/memories").json()["items"]
    assert sister["id"] not in {m["id"] for m in listed}


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
    page.wait_for_selector("#memories li")
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
    assert page.locator("#memories .open", has_text="Toby").count() == 1  # the session only
    page.select_option("#status-filter", "active,superseded,archived")
    page.wait_for_selector("#memories li.status-archived")
    assert "archived" in page.locator("#memories li.status-archived").first.inner_text()

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
