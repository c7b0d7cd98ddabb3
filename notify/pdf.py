"""PDF documents with WeasyPrint from our own print templates.

The HTML holds what users typed (autoescaped, but a URL in a field could still end up in
an attribute some day), so the renderer gets a URL fetcher that reads only files under
``static/`` and refuses everything else: no network, no other local file.
"""

from __future__ import annotations

import mimetypes
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint import HTML, Attachment
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher, URLFetcherResponse, URLFetchingError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = PROJECT_ROOT / "static"


class StaticOnlyFetcher(URLFetcher):
    """Serves ``file:`` URLs inside the static folder; refuses anything else."""

    def __init__(self, root: Path = STATIC_DIR) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)
        self.root = root.resolve()
        self.refused: list[str] = []

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.scheme == "file" and not parts.netloc:
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if path.is_relative_to(self.root) and path.is_file():
                kind = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    url, body=path.read_bytes(), headers={"Content-Type": kind}
                )
        self.refused.append(url[:200])
        raise URLFetchingError("only the application's own static files can be used")


@dataclass(frozen=True)
class FileAttachment:
    name: str
    data: bytes
    description: str = ""
    relationship: str = "Data"


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """One font configuration per thread (it caches the fonts it has loaded)."""
    config = getattr(_fonts, "config", None)
    if config is None:
        config = _fonts.config = FontConfiguration()
    return config


def render(
    html: str,
    *,
    attachments: Sequence[FileAttachment] = (),
    pdf_variant: str | None = None,
    fetcher: StaticOnlyFetcher | None = None,
) -> bytes:
    """The PDF of ``html`` (a whole document). Relative URLs resolve inside ``static/``.
    Blocking and CPU-bound: call it from a worker thread, never on the event loop."""
    fetcher = fetcher or StaticOnlyFetcher()
    document = HTML(string=html, base_url=STATIC_DIR.as_uri() + "/", url_fetcher=fetcher)
    files = [
        Attachment(
            string=item.data,
            name=item.name,
            description=item.description,
            relationship=item.relationship,
            url_fetcher=fetcher,
        )
        for item in attachments
    ]
    options: dict[str, object] = {"pdf_tags": True, "custom_metadata": True}
    if pdf_variant:
        options["pdf_variant"] = pdf_variant
    result = document.write_pdf(font_config=_font_config(), attachments=files, **options)
    assert result is not None
    return result
