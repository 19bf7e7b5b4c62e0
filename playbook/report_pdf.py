"""A report document (playbook/report_doc.py) as a PDF, in pure Python (fpdf2): headings,
tables, drawn check boxes, the volume chart as vector drawing, a header with the
incident and brand on every page, page numbers, left-aligned text.

Chinese needs a CJK font: Debian's fonts-noto-cjk (Noto Sans CJK TC), else DejaVu,
whose missing CJK glyphs show as boxes; without either, the core Helvetica prints "?"
for anything outside Latin-1 rather than failing."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from django.utils.translation import gettext as _

from playbook.report_chart import chart_layout
from playbook.report_doc import Chart, Checks, Document, Facts, Subheading, Table, Text, labelled

CJK_FONTS = [
    # (path, index inside a collection): Noto Sans CJK TC is the 4th face.
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 3),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 0),
]
# What the core fonts cannot print, spelled in Latin-1.
LATIN1 = str.maketrans(
    {"—": "-", "–": "-", "“": '"', "”": '"', "‘": "'", "’": "'", "…": "...", "×": "x", "·": "-"}
)

CHART_HEIGHT = 62.0
# Lines of a table row on one page (the rest goes on a continuation row).
ROW_LINES = 50
INK = (30, 30, 30)
MUTED = (110, 110, 110)
RULE = (200, 200, 200)
HEAD_FILL = (235, 239, 245)
ACCENT = (40, 70, 120)
DONE = (30, 132, 73)


# Chinese has no spaces: fpdf2 breaks lines only at spaces, so a Chinese sentence after
# "第 24 " would go whole to the next line. Lines are broken here between any two CJK
# characters instead (never before closing punctuation), English still between words.
WIDE = "\u2e80-\u9fff\uf900-\ufaff\u3000-\u303f\uff00-\uffef"
TOKENS = re.compile(f"\\s+|[{WIDE}]|[^\\s{WIDE}]+")
NO_LINE_START = set("，。、：；！？）」』》〉】,.;:!?)%")


def wrap(text: str, room: float, measure: Callable[[str], float]) -> str:
    """``text`` with a newline wherever a line of ``room`` width must break: between
    words, between CJK characters, inside a word only when it alone is too wide."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        tokens: list[str] = []
        for token in TOKENS.findall(paragraph):
            if tokens and token[0] in NO_LINE_START:
                tokens[-1] += token
            else:
                tokens.append(token)
        line, used = "", 0.0
        for token in tokens:
            if token.isspace() and not line:
                continue
            size = measure(token)
            if line and not token.isspace() and used + size > room:
                lines.append(line.rstrip())
                line, used = "", 0.0
            while size > room and len(token) > 1:  # a word wider than a line
                low, high = 1, len(token) - 1  # the longest start that fits
                while low < high:
                    mid = (low + high + 1) // 2
                    low, high = (mid, high) if measure(token[:mid]) <= room else (low, mid - 1)
                cut = low
                lines.append(token[:cut])
                token = token[cut:]
                size = measure(token)
            line += token
            used += size
        lines.append(line.rstrip())
    return "\n".join(lines)


def _bold_of(path: str) -> str:
    for regular, bold in (("-Regular", "-Bold"), ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")):
        if regular in path:
            candidate = path.replace(regular, bold)
            if Path(candidate).exists():
                return candidate
    return path


def _rgb(color: str) -> tuple[int, int, int]:
    color = color.lstrip("#")
    return int(color[0:2], 16), int(color[2:4], 16), int(color[4:6], 16)


def document_pdf(doc: Document, fonts: list[tuple[str, int]] = CJK_FONTS) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    class ReportPDF(FPDF):
        def header(self) -> None:
            self.set_font(family, "", 8)
            self.set_text_color(*MUTED)
            self.cell(0, 5, fitted(doc.header, self.epw), new_x="LMARGIN", new_y="NEXT", align="L")
            self.set_draw_color(*RULE)
            self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
            self.ln(4)
            self.set_text_color(*INK)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font(family, "", 8)
            self.set_text_color(*MUTED)
            label = _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"}
            self.cell(0, 5, clean(label), align="C")
            self.set_text_color(*INK)

    pdf = ReportPDF(format="A4")
    pdf.set_margins(16, 14, 16)
    pdf.set_auto_page_break(auto=True, margin=18)
    pdf.set_title(doc.title)
    pdf.set_creator("Crisis Room")
    pdf.set_lang("zh-Hant" if doc.language.startswith("zh") else "en")
    family, unicode_font = "helvetica", False
    for path, index in fonts:
        if Path(path).exists():
            pdf.add_font("body", "", path, collection_font_number=index)
            pdf.add_font("body", "B", _bold_of(path), collection_font_number=index)
            family, unicode_font = "body", True
            break

    def clean(text: str) -> str:
        text = str(text)  # labels of choices are lazy
        if unicode_font:
            return text
        return text.translate(LATIN1).encode("latin-1", "replace").decode("latin-1")

    def fitted(text: str, room: float) -> str:
        """One line of ``text``, shortened with an ellipsis to fit ``room``."""
        text = clean(text)
        if pdf.get_string_width(text) <= room:
            return text
        ellipsis = clean("…")
        while text and pdf.get_string_width(text + ellipsis) > room:
            text = text[:-1]
        return text + ellipsis

    def para(room: float, height: float, text: str) -> None:
        """Left-aligned lines (never justified), broken the way Chinese breaks."""
        text = wrap(clean(text), room - 0.5, pdf.get_string_width)
        pdf.multi_cell(room, height, text, align="L", new_x="LMARGIN", new_y="NEXT")

    width = pdf.w - pdf.l_margin - pdf.r_margin
    pdf.add_page()
    pdf.set_font(family, "B", 17)
    pdf.set_text_color(*ACCENT)
    para(width, 8, doc.title)
    pdf.set_text_color(*INK)
    pdf.ln(1)
    pdf.set_font(family, "", 9)
    for label, value in doc.meta:
        para(width, 5, labelled(label, value))

    def heading(text: str, room: float = 36) -> None:
        # A heading keeps its first block on the same page.
        if pdf.will_page_break(room):
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font(family, "B", 13)
        pdf.set_text_color(*ACCENT)
        para(width, 7, text)
        pdf.set_draw_color(*ACCENT)
        pdf.line(pdf.l_margin, pdf.get_y(), pdf.l_margin + width, pdf.get_y())
        pdf.set_text_color(*INK)
        pdf.ln(2)

    def table(headers: list[str], rows: list[list[str]], widths: tuple[int, ...]) -> None:
        pdf.set_font(family, "", 8.5)
        pdf.set_draw_color(*RULE)
        pdf.set_fill_color(255, 255, 255)
        style = FontFace(family=family, emphasis="BOLD", fill_color=HEAD_FILL)
        with pdf.table(
            width=width,
            col_widths=widths or None,
            text_align="LEFT",
            headings_style=style,
            line_height=4.4,
            padding=1.2,
            borders_layout="HORIZONTAL_LINES",
            first_row_as_headings=True,
        ) as grid:
            grid.row([clean(h) for h in headers])
            for row in rows:
                for part in split_row([clean(c) for c in row], widths):
                    grid.row(part)
        pdf.ln(3)

    def split_row(cells: list[str], widths: tuple[int, ...]) -> list[list[str]]:
        """A row whose text is taller than a page (fpdf2 cannot break a row) as several
        rows of at most ROW_LINES lines each: nothing is cut."""
        shares = widths or (1,) * len(cells)
        rooms = [width * share / sum(shares) - 2.4 for share in shares]
        cells = [
            wrap(text, room - 0.5, pdf.get_string_width)
            for text, room in zip(cells, rooms, strict=False)
        ]
        columns = [text.split("\n") for text in cells]
        if max(len(lines) for lines in columns) <= ROW_LINES:
            return [cells]
        parts = max(len(lines) for lines in columns) // ROW_LINES + 1
        return [
            ["\n".join(lines[i * ROW_LINES : (i + 1) * ROW_LINES]) for lines in columns]
            for i in range(parts)
            if any(lines[i * ROW_LINES : (i + 1) * ROW_LINES] for lines in columns)
        ]

    def checkbox(x: float, y: float, done: bool) -> None:
        size = 3.4
        pdf.set_line_width(0.3)
        pdf.set_draw_color(*(DONE if done else MUTED))
        pdf.rect(x, y, size, size)
        if done:
            pdf.set_line_width(0.6)
            pdf.line(x + 0.6, y + size * 0.55, x + size * 0.42, y + size - 0.6)
            pdf.line(x + size * 0.42, y + size - 0.6, x + size - 0.4, y + 0.5)
        pdf.set_line_width(0.2)
        pdf.set_draw_color(*INK)

    def checks(items: list[tuple[bool, str, str]]) -> None:
        for done, text, note in items:
            pdf.set_font(family, "", 9.5)
            if pdf.will_page_break(6):
                pdf.add_page()
            y = pdf.get_y()
            checkbox(pdf.l_margin + 1, y + 0.9, done)
            pdf.set_x(pdf.l_margin + 6)
            para(width - 6, 5, text)
            if note:
                pdf.set_font(family, "", 8)
                pdf.set_text_color(*MUTED)
                pdf.set_x(pdf.l_margin + 6)
                para(width - 6, 4, note)
                pdf.set_text_color(*INK)
            pdf.ln(0.8)
        pdf.ln(2)

    def chart(block: Chart) -> None:
        height = CHART_HEIGHT
        if pdf.will_page_break(height + 4):
            pdf.add_page()
        x0, y0 = pdf.l_margin, pdf.get_y()
        text = 3.4

        def measure(label: str, size: float) -> float:
            pdf.set_font(family, "", size / 0.3528)
            return pdf.get_string_width(clean(label))

        for shape in chart_layout(block.data, width, height, text, measure):
            rgb = _rgb(shape.color)
            if shape.kind == "rect":
                (x, y), (w, h) = shape.points
                pdf.set_fill_color(*rgb)
                pdf.rect(x0 + x, y0 + y, w, h, style="F")
            elif shape.kind in {"line", "polyline"}:
                pdf.set_draw_color(*rgb)
                pdf.set_line_width(shape.size * 0.25)
                if shape.dashed:
                    pdf.set_dash_pattern(dash=1.2, gap=0.8)
                points = [(x0 + x, y0 + y) for x, y in shape.points]
                pdf.polyline(points)
                pdf.set_dash_pattern()
            else:
                (x, y) = shape.points[0]
                size = text * shape.size
                pdf.set_font(family, "", size / 0.3528)
                pdf.set_text_color(*rgb)
                label = clean(shape.text)
                w = pdf.get_string_width(label)
                shift = {"start": 0, "middle": w / 2, "end": w}[shape.anchor]
                pdf.text(x0 + x - shift, y0 + y, label)
        pdf.set_text_color(*INK)
        pdf.set_draw_color(*INK)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_line_width(0.2)
        pdf.set_y(y0 + height + 3)

    def first_room(block: object) -> float:
        """How tall the start of a block is: the chart, or a table's heading and first row."""
        if isinstance(block, Chart):
            return CHART_HEIGHT
        if isinstance(block, Table | Facts) and block.rows:
            pdf.set_font(family, "", 8.5)
            widths = block.widths if isinstance(block, Table) else (45, 55)
            first = split_row([clean(c) for c in block.rows[0]], widths)[0]
            lines = max(text.count("\n") + 1 for text in first)
            return 10 + lines * 4.4
        return 12

    for section in doc.sections:
        heading(section.title, 24 + first_room(section.blocks[0] if section.blocks else None))
        for block in section.blocks:
            if isinstance(block, Facts):
                table(list(block.headers or ("", "")), [list(r) for r in block.rows], (45, 55))
            elif isinstance(block, Table):
                table(block.headers, block.rows, block.widths)
            elif isinstance(block, Checks):
                checks(block.items)
            elif isinstance(block, Subheading):
                if pdf.will_page_break(14):
                    pdf.add_page()
                pdf.set_font(family, "B", 10.5)
                para(width, 6, block.text)
                pdf.ln(0.5)
            elif isinstance(block, Text):
                if block.label:
                    pdf.set_font(family, "B", 9.5)
                    para(width, 5, block.label)
                pdf.set_font(family, "", 9.5)
                para(width, 5, block.text)
                pdf.ln(2)
            elif isinstance(block, Chart):
                chart(block)
    return bytes(pdf.output())
