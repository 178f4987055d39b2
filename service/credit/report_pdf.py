"""The printable credit report (企业质量信用报告): the file, the grade and its explanation, as a PDF
with the Chinese font embedded, so it prints and reads the same on any machine. The same report
goes to the enterprise and to regulators, so it never carries the internal risk class.

The report is laid out as a list of blocks first; the font is then subset to exactly the
characters of those blocks (see `cjk_font`) and the blocks are drawn. Rendering is CPU work
(≈0.5 s), so it runs in a worker thread."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path

import anyio
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import utcnow
from models.credit import CreditEventRead, EventStatus, ScoreRead
from models.enterprise import Enterprise
from service.auth import Principal
from service.credit import cjk_font, file

FONT = "NotoSansSC"
# Only the regular weight is embedded: table headings are shaded rather than bold.
_HEADINGS = FontFace(emphasis="", fill_color=(230, 230, 230))
_GRADE_NOTE = {"score": "按评分确定等级", "listed": "列入严重违法失信名单，等级为 D"}
_SEVERITY = {"heavier": "较重", "other": "一般", "serious": "严重", "general": "一般"}


@dataclass(frozen=True)
class Line:
    text: str
    size: float = 10
    height: float = 6


@dataclass(frozen=True)
class Table:
    widths: tuple[int, ...]
    rows: list[tuple[str, ...]]  # the first row is the heading
    size: float = 9


Block = Line | Table


def _explanation(score: ScoreRead) -> list[Block]:
    blocks: list[Block] = [Line("评分说明", size=13, height=9)]
    if not score.explanation:
        return [*blocks, Line("公示期内无计分事项。")]
    rows: list[tuple[str, ...]] = [("日期", "事项", "规则", "分值")]
    for c in score.explanation:
        note = f"（{c.note}）" if c.note else ""
        rows.append((c.occurred_on.isoformat(), c.label + note, c.rule, f"{c.points:+d}"))
    total = f"合计 {score.score - score.base:+d} 分（基础分 {score.base}）。"
    return [*blocks, Table((26, 60, 60, 18), rows), Line(total, size=9)]


def _status(event: CreditEventRead) -> str:
    if event.status is EventStatus.CORRECTED:
        return "已更正"
    return "公示中" if event.published else "已过公示期"


def _file(events: list[CreditEventRead]) -> list[Block]:
    blocks: list[Block] = [Line("信用档案", size=13, height=9)]
    if not events:
        return [*blocks, Line("暂无记录。")]
    rows: list[tuple[str, ...]] = [("日期", "事项", "来源部门", "文号/编号", "公示截止", "状态")]
    for e in events:
        rows.append(
            (
                e.occurred_on.isoformat(),
                e.label + (f"（{_SEVERITY.get(e.severity, e.severity)}）" if e.severity else ""),
                e.department_code,
                e.reference,
                e.publish_until.isoformat(),
                _status(e),
            )
        )
    return [*blocks, Table((22, 34, 30, 52, 22, 20), rows, size=8)]


def layout(
    enterprise: Enterprise,
    score: ScoreRead,
    events: list[CreditEventRead],
    *,
    as_of: date,
    generated_at: datetime,
) -> list[Block]:
    """What the report says, in order."""
    note = _GRADE_NOTE.get(score.grade_reason, score.grade_reason)
    blocks: list[Block] = [
        Line("企业质量信用报告", size=18, height=12),
        Line(f"企业名称：{enterprise.name}"),
        Line(f"统一社会信用代码：{enterprise.uscc}"),
        Line(f"所在地区：{enterprise.region_code}"),
        Line(f"信用状况截至：{as_of.isoformat()}"),
        Line(f"信用等级：{score.grade.value}    信用评分：{score.score}", size=14, height=10),
        Line(f"{note}；评分模型 {score.model_version}"),
        Line(f"是否列入严重违法失信名单：{'是' if score.listed else '否'}"),
    ]
    if score.valid_from is not None:
        blocks.append(Line(f"本评分自 {score.valid_from.isoformat()} 起有效。"))
    blocks += _explanation(score) + _file(events)
    footer = (
        f"生成时间：{generated_at.isoformat(timespec='seconds')}。"
        "等级 A ≥ 90，B 75–89，C 60–74，D < 60；列入黑名单的企业为 D。"
    )
    return [*blocks, Line(footer, size=8, height=5)]


def _texts(blocks: list[Block]) -> list[str]:
    texts = []
    for block in blocks:
        texts += [block.text] if isinstance(block, Line) else [c for r in block.rows for c in r]
    return texts


def _draw(pdf: FPDF, block: Block) -> None:
    pdf.set_font(FONT, size=block.size)
    if isinstance(block, Line):
        pdf.multi_cell(0, block.height, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        return
    with pdf.table(col_widths=block.widths, text_align="LEFT", headings_style=_HEADINGS) as t:
        for row in block.rows:
            t.row(row)


def render(blocks: list[Block], *, title: str) -> bytes:
    """The blocks as PDF bytes, with a font subset to their characters embedded."""
    with tempfile.TemporaryDirectory(prefix="qcs-report-") as scratch:
        font = cjk_font.subset_font(_texts(blocks), Path(scratch) / "font.ttf")
        pdf = FPDF(format="A4")
        pdf.set_title(title)
        pdf.set_creator("质量抽查与信用黑名单服务")
        pdf.add_font(FONT, "", str(font))
        pdf.set_auto_page_break(auto=True, margin=15)
        pdf.add_page()
        for block in blocks:
            _draw(pdf, block)
        return bytes(pdf.output())


async def credit_report(
    session: AsyncSession, principal: Principal, uscc: str, *, as_of: date | None, today: date
) -> tuple[str, bytes]:
    """The report of the enterprise (an enterprise key: its own only) as (USCC, PDF bytes)."""
    enterprise, score, events, day = await file.score_only(
        session, principal, uscc, as_of=as_of, today=today
    )
    blocks = layout(enterprise, score, events, as_of=day, generated_at=utcnow())
    pdf = await anyio.to_thread.run_sync(
        partial(render, blocks, title=f"企业质量信用报告 {enterprise.name}")
    )
    return enterprise.uscc, pdf
