"""``GET /v1/export`` and ``POST /v1/import``: the export format (docs/api.md, "Export and
import") over HTTP.

The whole store needs an admin key; one user's data (``?user_id=``) a key bound to that
user. An import may touch only the users its key may: the file's header lists them (with
``?user_id=``, only that user's records are imported).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse
from starlette.concurrency import run_in_threadpool

from kenning.models import ModelMismatch
from kenning.server._auth import Caller
from kenning.server._errors import ApiError
from kenning.server._routes import _ERRORS, _json, _memory
from kenning.server.keys import Principal
from kenning.store.export import ImportReport
from kenning.store.export_format import decode_header, parse_line

transfer = APIRouter(prefix="/v1", tags=["export and import"], responses=_ERRORS)

OptionalUser = Annotated[
    str | None, Query(description="Only this user's data (default: the whole store, admin).")
]
JSONL = "application/x-ndjson"


def _check(caller: Principal, users: tuple[str, ...] | list[str]) -> None:
    refused = [user for user in users if not caller.may_touch(user)]
    if refused:
        raise ApiError(403, f"this API key may not access user {refused[0]!r}", field="user_id")


@transfer.get(
    "/export",
    summary="The store (admin) or one user's data as an export file (JSON Lines, streamed)",
    response_class=StreamingResponse,
    responses={200: {"content": {JSONL: {}}, "description": "The export, one record a line"}},
)
def export_file(
    request: Request, caller: Caller, user_id: OptionalUser = None
) -> StreamingResponse:
    if user_id is None and not caller.admin:
        raise ApiError(403, "exporting the whole store needs an admin API key (or ?user_id=)")
    _check(caller, [] if user_id is None else [user_id])
    export = _memory(request).export_lines(user_id=user_id)  # NotFound (404) before streaming

    def lines() -> Iterator[bytes]:
        for line in export:
            yield (line + "\n").encode()

    name = f"kenning-{user_id or 'store'}.jsonl".replace('"', "")
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return StreamingResponse(lines(), media_type=JSONL, headers=headers)


@transfer.post(
    "/import",
    summary="Add what an export file (the JSON Lines body) holds and the store lacks",
    response_model=ImportReport,
)
async def import_file(
    request: Request,
    caller: Caller,
    user_id: Annotated[str | None, Query(description="Only this user's records.")] = None,
    model_mismatch: Annotated[
        ModelMismatch, Query(description="Vectors of another embedding model: embed or refuse.")
    ] = ModelMismatch.REEMBED,
) -> JSONResponse:
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "the body is not UTF-8 text", field="body") from exc
    lines = text.splitlines()
    header = decode_header(parse_line(lines[0] if lines else "", 1))
    _check(caller, [user_id] if user_id is not None else list(header.users))
    memory = _memory(request)
    report: ImportReport = await run_in_threadpool(
        memory.import_, lines, user_id=user_id, model_mismatch=model_mismatch
    )
    return _json(report)
