"""Feed and post HTML to plain text (the standard library's HTML parser, not a regex)."""

from __future__ import annotations

import pytest

from monitoring.connectors.base import html_to_text


@pytest.mark.parametrize(
    ("fragment", "text"),
    [
        ("<p>Acme <b>Coffee</b> &amp; tea</p><p>second</p>", "Acme Coffee & tea\nsecond"),
        ('<p>hi</p><script>var x = "<b>"; alert(1)</script>ok', "hi\nok"),
        ("<style>p { color: red }</style>Boycott Acme", "Boycott Acme"),
        ('<a title="1>2" href="https://x.test">link</a>', "link"),
        ("<!-- editor's note > draft -->Recall announced", "Recall announced"),
        ("a < b and c > d", "a < b and c > d"),  # plain text (Reddit, HN) keeps its signs
        ("line<br>break<br/>x", "line\nbreak\nx"),
        ("<p>unclosed <b>bold", "unclosed bold"),
        ("我們很抱歉&nbsp;！&#x1F620;", "我們很抱歉\xa0！\U0001f620"),
        ("", ""),
    ],
)
def test_it_keeps_the_text_people_read_and_nothing_else(fragment, text):
    assert html_to_text(fragment) == text
