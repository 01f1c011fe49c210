"""Print HTML to PDF with Debian's Chromium (headless print-to-PDF), bounded in time: the DPI's
continuity capsule and the drills' RETEX report print through here."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from sandbox.errors import ServiceError

CHROMIUM = "chromium"
TIMEOUT_S = 60


def print_html(html: str) -> bytes:
    """The PDF of `html`; a French 503 when Chromium is missing or does not answer in time."""
    binary = shutil.which(CHROMIUM)
    if binary is None:
        raise ServiceError(503, "Export PDF indisponible : Chromium n'est pas installé sur le "
                                "serveur du bac à sable ; utilisez le format HTML et imprimez-le.")
    with tempfile.TemporaryDirectory(prefix="santelab-pdf-") as folder:
        source, target = Path(folder, "document.html"), Path(folder, "document.pdf")
        source.write_text(html, encoding="utf-8")
        try:
            subprocess.run([binary, "--headless", "--no-sandbox", "--disable-gpu",
                            f"--user-data-dir={folder}/profile", "--no-pdf-header-footer",
                            f"--print-to-pdf={target}", source.as_uri()],
                           capture_output=True, timeout=TIMEOUT_S, check=False)
        except subprocess.TimeoutExpired as exc:
            raise ServiceError(503, "Export PDF trop long : réessayez ou utilisez le format "
                                    "HTML.") from exc
        if not target.exists():
            raise ServiceError(503, "Export PDF impossible : Chromium n'a pas produit le "
                                    "document ; utilisez le format HTML.")
        return target.read_bytes()
