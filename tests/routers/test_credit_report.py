"""The printable credit report: a PDF with the Chinese font embedded, for the enterprise (its
own) and regulators. The test reads the PDF back and finds the enterprise name and the grade."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import httpx
import pytest
from pypdf import PdfReader
from pypdf.generic import DictionaryObject
from sqlmodel.ext.asyncio.session import AsyncSession

from models.system import Role
from tests.factories import Keys, assert_problem, make_enterprise, make_task

API = "/api/v1"
NAME = "郑州市质量信用报告测试电器有限公司"


@pytest.fixture(autouse=True)
def fixed_today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("service.clock.today", lambda: date(2026, 6, 1))


def text_of(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    # Text extraction may space out CJK glyphs; compare without whitespace.
    return "".join("".join(page.extract_text() for page in reader.pages).split())


def dictionary(value: Any) -> DictionaryObject:
    resolved = value.get_object()
    assert isinstance(resolved, DictionaryObject)
    return resolved


def embedded_fonts(pdf: bytes) -> list[str]:
    """The names of the fonts whose program is inside the file."""
    names = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in dictionary(dictionary(page["/Resources"])["/Font"]).values():
            for descendant in dictionary(font).get("/DescendantFonts", []):
                descriptor = dictionary(dictionary(descendant)["/FontDescriptor"])
                if any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                    names.append(str(descriptor["/FontName"]))
    return names


async def test_the_enterprise_and_regulators_get_the_report_with_name_and_grade(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    enterprise = await make_enterprise(session, name=NAME)
    regulator = await keys.headers(Role.REGULATOR, department="scjg-410100")
    posted = await client.post(
        f"{API}/enterprises/{enterprise.uscc}/credit-events",
        json={
            "type": "administrative_penalty",
            "occurred_on": "2026-05-20",
            "reference": "郑市监罚〔2026〕88号",
            "severity": "heavier",
            "penalty_kind": "heavy_fine",
        },
        headers=regulator,
    )
    assert posted.status_code == 201, posted.text
    own = await keys.headers(Role.ENTERPRISE, uscc=enterprise.uscc)

    for headers in (own, regulator):
        response = await client.get(
            f"{API}/enterprises/{enterprise.uscc}/credit-report", headers=headers
        )
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/pdf"
        assert response.content.startswith(b"%PDF-")
        text = text_of(response.content)
        assert NAME in text
        assert "信用等级：B" in text  # 100 − 25
        assert "信用评分：75" in text
        assert "郑市监罚〔2026〕88号" in text
        assert "风险" not in text  # the internal risk class is never printed
        assert [n for n in embedded_fonts(response.content) if "NotoSansSC" in n]


async def test_the_report_is_refused_to_others(
    client: httpx.AsyncClient, keys: Keys, session: AsyncSession
) -> None:
    enterprise = await make_enterprise(session, name=NAME)
    stranger = await keys.headers(Role.ENTERPRISE, uscc=(await make_enterprise(session)).uscc)
    path = f"{API}/enterprises/{enterprise.uscc}/credit-report"
    assert_problem(await client.get(path, headers=stranger), 404, "enterprise.not_found")
    agency = await keys.headers(Role.AGENCY, agency=(await make_task(session)).agency.id)
    assert_problem(await client.get(path, headers=agency), 403, "auth.role_forbidden")
    assert_problem(await client.get(path), 401, "auth.missing")
