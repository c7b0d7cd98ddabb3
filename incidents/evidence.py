"""Evidence (issue 18): files attached to an incident, append-only. Each is kept with its
SHA-256, size, media type, uploader and time, in the database or (BREACHDESK_EVIDENCE_DIR)
in a directory under its hash. A removal is a recorded act with a reason (the file stays,
marked removed); an administrator can purge the content (the record stays). Staff share a
file with some controllers (or all): an officer sees only the files shared with its
controller, of incidents it may see; anything else answers 404.

Only the kinds of files an incident team needs are taken, by their name's extension and
their first bytes: PDF, PNG, JPEG, plain text, CSV, JSON, e-mail (.eml), ZIP and the
Office formats (which are ZIP files)."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from incidents import audit
from incidents.errors import Invalid, NotFound, Problem
from incidents.i18n import gettext as _
from incidents.models import Evidence, Incident, Notice, Organisation, User, utcnow
from incidents.principal import CurrentUser
from incidents.settings import Settings

# extension: (media type, the first bytes it must start with; b"" for text)
KINDS: dict[str, tuple[str, bytes]] = {
    "pdf": ("application/pdf", b"%PDF-"),
    "png": ("image/png", b"\x89PNG\r\n\x1a\n"),
    "jpg": ("image/jpeg", b"\xff\xd8\xff"),
    "jpeg": ("image/jpeg", b"\xff\xd8\xff"),
    "txt": ("text/plain", b""),
    "log": ("text/plain", b""),
    "csv": ("text/csv", b""),
    "json": ("application/json", b""),
    "eml": ("message/rfc822", b""),
    "zip": ("application/zip", b"PK\x03\x04"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        b"PK\x03\x04",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", b"PK\x03\x04"),
}
NAME_MAX = 200
NOTE_MAX = 2000


@dataclass(frozen=True)
class EvidenceView:
    evidence: Evidence
    uploaded_by: str

    def as_json(self) -> dict[str, Any]:
        e = self.evidence
        return {
            "id": str(e.id),
            "incident": str(e.incident_id),
            "filename": e.filename,
            "media_type": e.media_type,
            "size": e.size,
            "sha256": e.sha256,
            "note": e.note,
            "shared_with": list(e.shared_with),
            "uploaded_by": self.uploaded_by,
            "uploaded_at": _iso(e.uploaded_at),
            "removed_at": _iso(e.removed_at),
            "removal_reason": e.removal_reason or None,
            "purged": e.purged_at is not None,
        }


def _iso(value: Any) -> str | None:
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def safe_name(name: str) -> str:
    """The file's own name without a path, control characters or quotes."""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[:NAME_MAX]


def check(
    settings: Settings, filename: str, data: bytes, note: str
) -> tuple[str, str, list[Problem]]:
    """The file's safe name and media type, or the problems (its size, its kind)."""
    problems: list[Problem] = []
    name = safe_name(filename)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    limit = settings.evidence_max_mb * 1_000_000
    media = ""
    if not name:
        problems.append(Problem("file", _("Choose a file.")))
    elif len(data) > limit:
        problems.append(
            Problem(
                "file",
                _("The file is larger than %(mb)s MB: the limit for evidence.")
                % {"mb": settings.evidence_max_mb},
            )
        )
    elif not data:
        problems.append(Problem("file", _("The file is empty.")))
    elif extension not in KINDS:
        problems.append(
            Problem(
                "file",
                _("Evidence can be a file of these kinds: %(kinds)s.")
                % {"kinds": ", ".join(sorted(KINDS))},
            )
        )
    else:
        media, magic = KINDS[extension]
        text_ok = not magic and b"\x00" not in data[:8192]
        if (magic and not data.startswith(magic)) or (not magic and not text_ok):
            problems.append(
                Problem(
                    "file",
                    _("The file is not what its name says (.%(ext)s): it was not taken.")
                    % {"ext": extension},
                )
            )
    if len(note) > NOTE_MAX:
        problems.append(Problem("note", _("The note has at most 2,000 characters.")))
    return name, media, problems


def store(
    session: Session,
    settings: Settings,
    user: CurrentUser,
    incident: Incident,
    *,
    filename: str,
    data: bytes,
    note: str = "",
    shared_with: Iterable[str] = (),
) -> Evidence:
    """Keep the file with its hash; audited. Refused (Invalid) when too large, empty, of a
    kind not allowed or not what its name says, or shared with an unknown controller."""
    shared = sorted({s.strip().lower() for s in shared_with if s and s.strip()})
    name, media, problems = check(settings, filename, data, note)
    known = set(
        session.exec(
            select(Organisation.slug)
            .join(Notice, col(Notice.controller_id) == col(Organisation.id))
            .where(col(Notice.incident_id) == incident.id, col(Notice.removed_at).is_(None))
        ).all()
    )
    strangers = [s for s in shared if s != "*" and s not in known]
    if strangers:
        problems.append(
            Problem(
                "shared_with",
                _("Share only with controllers of this incident: %(slugs)s is not one.")
                % {"slugs": ", ".join(strangers)},
            )
        )
    if problems:
        raise Invalid(problems)
    digest = hashlib.sha256(data).hexdigest()
    evidence = Evidence(
        incident_id=incident.id,
        filename=name,
        media_type=media,
        size=len(data),
        sha256=digest,
        note=note,
        shared_with=shared,
        uploaded_by_id=user.id,
        uploaded_at=utcnow(),
    )
    if settings.evidence_dir is not None:
        folder = Path(settings.evidence_dir)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / digest
        if not target.exists():
            partial = folder / f".{digest}.{uuid.uuid4().hex}"
            partial.write_bytes(data)
            partial.replace(target)  # whole or not at all
        evidence.stored_path = digest
    else:
        evidence.content = data
    session.add(evidence)
    session.flush()
    audit.on_incident(
        session, user, "evidence.added", incident.id, evidence=str(evidence.id), sha256=digest
    )
    return evidence


def content(settings: Settings, evidence: Evidence) -> bytes | None:
    """The file's bytes (None: purged)."""
    if evidence.purged_at is not None:
        return None
    if evidence.stored_path:
        if settings.evidence_dir is None:
            return None
        path = Path(settings.evidence_dir) / evidence.stored_path
        return path.read_bytes() if path.exists() else None
    return evidence.content


def visible(session: Session, user: CurrentUser, incident: Incident) -> list[EvidenceView]:
    """The incident's evidence this principal may see: staff all; an officer what is
    shared with its controller (the incident itself visible to it)."""
    query = (
        select(Evidence, User)
        .join(User, col(User.id) == col(Evidence.uploaded_by_id))
        .where(col(Evidence.incident_id) == incident.id)
        .order_by(col(Evidence.uploaded_at))
    )
    views = [EvidenceView(e, u.name) for e, u in session.exec(query).all()]
    if user.is_staff:
        return views
    return [v for v in views if _shared_with(v.evidence, user)]


def _shared_with(evidence: Evidence, user: CurrentUser) -> bool:
    return "*" in evidence.shared_with or user.organisation_slug in evidence.shared_with


def find(
    session: Session, user: CurrentUser, incident: Incident, evidence_id: uuid.UUID
) -> EvidenceView:
    for view in visible(session, user, incident):
        if view.evidence.id == evidence_id:
            return view
    raise NotFound()


def remove(
    session: Session, user: CurrentUser, incident: Incident, evidence_id: uuid.UUID, reason: str
) -> Evidence:
    """Mark the file removed, with the reason; it stays on record (append-only)."""
    evidence = find(session, user, incident, evidence_id).evidence
    reason = reason.strip()
    if not 1 <= len(reason) <= NOTE_MAX:
        raise Invalid(
            [Problem("reason", _("Say why the file is removed (1 to 2,000 characters)."))]
        )
    if evidence.removed_at is None:
        evidence.removed_at, evidence.removed_by_id = utcnow(), user.id
        evidence.removal_reason = reason
        session.add(evidence)
        audit.on_incident(session, user, "evidence.removed", incident.id, evidence=str(evidence_id))
    return evidence


def purge(
    session: Session,
    settings: Settings,
    user: CurrentUser,
    incident: Incident,
    evidence_id: uuid.UUID,
) -> Evidence:
    """An administrator deletes the content; the record (name, hash, who, when) stays."""
    evidence = find(session, user, incident, evidence_id).evidence
    if evidence.purged_at is None:
        evidence.content = None
        if evidence.stored_path and settings.evidence_dir is not None:
            others = session.exec(
                select(Evidence.id).where(
                    col(Evidence.stored_path) == evidence.stored_path,
                    col(Evidence.id) != evidence.id,
                    col(Evidence.purged_at).is_(None),
                )
            ).first()
            if others is None:  # the same file kept for another record stays
                (Path(settings.evidence_dir) / evidence.stored_path).unlink(missing_ok=True)
        evidence.purged_at, evidence.purged_by_id = utcnow(), user.id
        session.add(evidence)
        audit.on_incident(session, user, "evidence.purged", incident.id, evidence=str(evidence_id))
    return evidence
