"""Evidence in the API (issue 18): staff upload a file (multipart: ``file``, ``note``,
``shared_with`` as controller slugs separated by commas, ``*`` for all); staff and the
officers it is shared with list and download them; the JSON carries ``sha256``."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from litestar import get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath
from litestar.response import Response

from incidents.auth import staff_only
from incidents.controllers.api_common import error_responses
from incidents.controllers.common import Config, Db, IncidentId, MultiPart, Principal, in_thread
from incidents.errors import Invalid, NotFound, Problem
from incidents.settings import EVIDENCE_MAX_MB
from incidents.usecases import evidence as cases

EVIDENCE = "/api/v1/incidents/{incident_id:uuid}/evidence"
BODY_MAX = EVIDENCE_MAX_MB * 1_000_000 + 1_000_000  # the largest file allowed, and its form


async def read_upload(data: dict[str, Any], limit_mb: int) -> tuple[str, bytes]:
    """The uploaded ``file``'s name and bytes, read at most one byte past the limit (the
    check refuses it as too large)."""
    upload = data.get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise Invalid([Problem("file", "Choose a file.")])
    return upload.filename, await upload.read(limit_mb * 1_000_000 + 1)


@post(EVIDENCE, name="api_evidence_add", tags=["evidence"], guards=[staff_only], status_code=201,
      request_max_body_size=BODY_MAX, responses=error_responses(401, 403, 404, 422))  # fmt: skip
async def add_evidence(
    engine: Db, user: Principal, settings: Config, incident_id: IncidentId, data: MultiPart
) -> dict[str, Any]:
    """Attach a file: 201 with its ``sha256``, size and media type."""
    filename, content = await read_upload(data, settings.evidence_max_mb)
    shared = str(data.get("shared_with") or "").split(",")
    note = str(data.get("note") or "")

    def store() -> dict[str, Any]:
        view = cases.add(
            engine, settings, user, incident_id, filename=filename, data=content, note=note,
            shared_with=shared,
        )  # fmt: skip
        return view.as_json()

    return await anyio.to_thread.run_sync(store)


@get(EVIDENCE, name="api_evidence", tags=["evidence"], responses=error_responses(401, 404))
@in_thread
def list_evidence(engine: Db, user: Principal, incident_id: IncidentId) -> list[dict[str, Any]]:
    """The incident's files this token may see, with their hashes."""
    return [view.as_json() for view in cases.listing(engine, user, incident_id)]


@get(EVIDENCE + "/{evidence_id:uuid}", name="api_evidence_file", tags=["evidence"],
     responses=error_responses(401, 404))  # fmt: skip
@in_thread
def download_evidence(
    engine: Db, user: Principal, settings: Config, incident_id: IncidentId,
    evidence_id: FromPath[uuid.UUID],
) -> Response[bytes]:  # fmt: skip
    """The file as uploaded (404 when purged, or not shared with this token's controller)."""
    return file_response(*cases.download(engine, settings, user, incident_id, evidence_id))


def file_response(view: Any, content: bytes | None) -> Response[bytes]:
    if content is None:
        raise NotFound()
    e = view.evidence
    return Response(
        content,
        media_type=e.media_type,
        headers={
            "content-disposition": "attachment; filename=\"{}\"; filename*=UTF-8''{}".format(
                e.filename.encode("ascii", "replace").decode().replace("?", "_"),
                quote(e.filename),
            ),
            "x-evidence-sha256": e.sha256,
        },
    )


handlers = [add_evidence, list_evidence, download_evidence]
