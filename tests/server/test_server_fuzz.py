"""Fuzzing the REST API from its own OpenAPI with schemathesis: no request may yield a 5xx,
and no request that breaks the schema may be accepted (``negative_data_rejection``).

Every operation of ``/openapi.json`` gets a bounded number of generated requests (valid ones
and ones that break the schema), sent over HTTP to the real server; each answer must be
below 500, have a documented status and content type, match the response schema the OpenAPI
gives for its status, and, when an error, be the JSON error of docs/server.md. Runs are derandomized (the
same requests every time) so CI is deterministic.

- Open server (no keys): every parameter varies, ``user_id`` included (any user is allowed),
  so odd path segments reach the handlers too.
- Keyed server: the ``Authorization`` header carries a key bound to ``ana`` and ``user_id``
  is pinned to ``ana`` (a free one would only meet 403s); ``memory_id`` and ``episode_id``
  are pinned to a real memory/episode of hers half of the time, so update, forget, undo and
  history run on real data and not only on 404s; ``task_id`` and ``step_id`` likewise to a
  task of hers, its subgoal or its step.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

import hypothesis.strategies as st
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from serving import Server, ServerFactory

from kenning.server import ApiKeys
from kenning.tasks import TaskMemory

MAX_EXAMPLES = int(os.environ.get("FUZZ_N", "40"))
"""Generated requests per operation (about 15 s for the whole API on 2 cores)."""

_FUZZ = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=not os.environ.get("FUZZ_RANDOM"),
    database=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=list(HealthCheck),
)


def _json_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every error is ``{"error": {"type", "message", "field"}}`` (docs/server.md)."""
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"}, body
        assert set(body["error"]) == {"type", "message", "field"}, body
    return None


def _fuzz(
    server: Server,
    *,
    headers: dict[str, str] | None = None,
    pinned: list[dict[str, str]] | None = None,
) -> dict[str, set[int]]:
    """Fuzz every operation; the statuses each one answered, by operation label."""
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json", timeout=30)
    seen: dict[str, set[int]] = defaultdict(set)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 16, [op.label for op in operations]
    for operation in operations:
        names = {p.name for p in operation.path_parameters}
        choices = [{k: v for k, v in pins.items() if k in names} for pins in (pinned or [{}])]
        strategy = st.one_of(
            [
                operation.as_strategy(mode, path_parameters=pins or None)
                for pins in choices
                for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
            ]
        )

        @_FUZZ
        @given(case=strategy)
        def run(case: schemathesis.Case) -> None:
            response = case.call_and_validate(
                base_url=server.url,
                headers=headers,
                checks=[
                    not_a_server_error,
                    negative_data_rejection,
                    _json_error,
                    response_schema_conformance,
                    status_code_conformance,
                    content_type_conformance,
                ],
                timeout=30,
            )
            seen[case.operation.label].add(response.status_code)

        run()
    return seen


def test_fuzz_open_server_never_answers_5xx(open_server: Server) -> None:
    seen = _fuzz(open_server)
    assert all(max(statuses) < 500 for statuses in seen.values()), seen
    # Generated requests got past the schema checks into the handlers, not only 422s.
    assert {200, 201} & set().union(*seen.values()), seen


def test_fuzz_keyed_server_never_answers_5xx(make_server: ServerFactory) -> None:
    made: dict[str, str] = {}

    def setup(keys: ApiKeys) -> None:
        made["ana"] = keys.create(users=["ana"])

    server = make_server(setup, server_rate_limit=100_000)
    memory = server.memory
    added = memory.add(["I live in Berlin", "I like tea"], user_id="ana")
    fact = memory.add_fact("Ana's cat is Miso", user_id="ana", key="ana.cat")
    memory.update(fact.id, "Ana's cat is called Miso", user_id="ana")
    tasks = TaskMemory(memory)
    task = tasks.start("Fuzz the task routes", user_id="ana")
    subgoal = tasks.open_subgoal(task.id, "a subgoal", user_id="ana")
    step = tasks.record(task.id, "a step", user_id="ana")
    pins = {"user_id": "ana", "memory_id": fact.id, "episode_id": added.episodes[0].id}
    task_pins = {"user_id": "ana", "task_id": task.id}
    seen = _fuzz(
        server,
        headers={"Authorization": f"Bearer {made['ana']}"},
        pinned=[
            pins,
            {"user_id": "ana"},
            {**task_pins, "step_id": subgoal.id},
            {**task_pins, "step_id": step.id},
        ],
    )
    assert all(max(statuses) < 500 for statuses in seen.values()), seen
    # The key was accepted: every route under /v1/users/ana answered past authentication.
    for label, statuses in seen.items():
        if "{user_id}" in label:
            assert statuses - {401, 403}, (label, statuses)
