"""The stand-alone verification in README.md ("Verifying a blacklist release"), run exactly as
printed: it accepts real releases served by the API (saved as files, which urllib reads like the
HTTP answers) and rejects a changed character, a wrong signature and a broken chain."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.exceptions import InvalidSignature
from sqlmodel.ext.asyncio.session import AsyncSession

from service.blacklist.config import get_blacklist_settings
from tests.factories import Keys, make_listing, remove_listing

API = "/api/v1"
README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture(autouse=True)
def signing_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    path = tmp_path / "release-signing-key.pem"
    monkeypatch.setenv("QCS_BLACKLIST_SIGNING_KEY_FILE", str(path))
    get_blacklist_settings.cache_clear()
    yield path
    get_blacklist_settings.cache_clear()


def readme_snippet() -> str:
    section = README.read_text(encoding="utf-8").split("## Verifying a blacklist release", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.DOTALL)
    assert match is not None, "README section has no python block"
    return match.group(1)


def load_verifier() -> Callable[..., dict[str, Any]]:
    namespace: dict[str, Any] = {"__name__": "readme_snippet"}
    exec(compile(readme_snippet(), str(README), "exec"), namespace)  # noqa: S102
    verify: Callable[..., dict[str, Any]] = namespace["verify_release"]
    return verify


class SavedApi:
    """The API's answers saved as files under `root`, laid out like the URL paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "releases").mkdir(parents=True)

    @property
    def url(self) -> str:
        return self.root.as_uri()

    def save(self, path: str, body: dict[str, Any]) -> None:
        (self.root / path.lstrip("/")).write_text(json.dumps(body), encoding="utf-8")

    def load(self, path: str) -> dict[str, Any]:
        body: dict[str, Any] = json.loads((self.root / path.lstrip("/")).read_text("utf-8"))
        return body


@pytest.fixture
async def saved(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession, tmp_path: Path
) -> SavedApi:
    """Releases 1 and 2 of a real list, fetched through the API and saved."""
    admin = await keys.admin()
    listing = await make_listing(session)
    assert (await client.post(f"{API}/releases", headers=admin)).status_code == 201
    await remove_listing(session, listing, on=date(2026, 9, 1))
    await make_listing(session)
    assert (await client.post(f"{API}/releases", headers=admin)).status_code == 201

    api = SavedApi(tmp_path / "api")
    for path in ("/releases/public-key", "/releases/1", "/releases/2"):
        response = await client.get(f"{API}{path}", headers=admin)
        assert response.status_code == 200, response.text
        api.save(path, response.json())
    return api


def test_the_snippet_accepts_genuine_releases(saved: SavedApi) -> None:
    verify = load_verifier()
    assert verify(1, api=saved.url, key="unused")["number"] == 1
    second = verify(2, api=saved.url, key="unused")
    assert (len(second["active"]), len(second["additions"]), len(second["removals"])) == (1, 1, 1)


def test_the_snippet_rejects_a_changed_character(saved: SavedApi) -> None:
    release = saved.load("/releases/2")
    changed = release["canonical"].replace("企业", "企夜", 1)
    assert changed != release["canonical"]
    release["canonical"] = changed
    saved.save("/releases/2", release)
    with pytest.raises(InvalidSignature):
        load_verifier()(2, api=saved.url, key="unused")


def test_the_snippet_rejects_a_wrong_signature(saved: SavedApi) -> None:
    release = saved.load("/releases/2")
    release["signature"] = saved.load("/releases/1")["signature"]
    saved.save("/releases/2", release)
    with pytest.raises(InvalidSignature):
        load_verifier()(2, api=saved.url, key="unused")


def test_the_snippet_rejects_a_broken_chain(saved: SavedApi) -> None:
    # Release 1 altered after release 2 was signed over its hash.
    previous = saved.load("/releases/1")
    changed = previous["canonical"].replace('"removals":[]', '"removals":[{}]')
    assert changed != previous["canonical"]
    previous["canonical"] = changed
    saved.save("/releases/1", previous)
    with pytest.raises(ValueError, match="does not chain"):
        load_verifier()(2, api=saved.url, key="unused")


def test_the_snippet_rejects_a_genuine_release_served_under_another_number(
    saved: SavedApi,
) -> None:
    saved.save("/releases/2", saved.load("/releases/1"))
    with pytest.raises(ValueError, match="does not chain"):
        load_verifier()(2, api=saved.url, key="unused")
