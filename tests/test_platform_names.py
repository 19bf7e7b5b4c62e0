"""The drill scenarios and the sources name platforms alike, so the explorer's
platform filter finds a drill's PTT storm and a polled PTT board under one name."""

from __future__ import annotations

import json
from pathlib import Path

from monitoring.connectors import CONNECTORS

SCENARIOS = Path(__file__).resolve().parent.parent / "crisisroom" / "scenarios"
# Platforms the scenarios use that no connector polls (yet): mentions reach them
# through the inbound API or a file import, under these same names.
WITHOUT_CONNECTOR = {"x", "blog"}


def _scenario_platforms() -> set[str]:
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "platforms" and isinstance(value, dict):
                    found.update(value)
                elif key == "platform" and isinstance(value, str):
                    found.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in SCENARIOS.glob("*.json"):
        if path.name != "schema.json":
            walk(json.loads(path.read_text(encoding="utf-8")))
    return found


def test_every_scenario_platform_is_a_source_platform_or_a_known_unpolled_one():
    polled = {c.platform for c in CONNECTORS.values() if c.platform}
    used = _scenario_platforms()
    assert used, "no platforms found in the scenarios"
    assert used - polled - WITHOUT_CONNECTOR == set()
    # The Taiwan and Hong Kong networks the scenarios play on are all listened to.
    assert {"ptt", "dcard", "facebook", "instagram", "threads", "youtube", "news"} <= polled & used
