"""The shipped playbook's zh-Hant text is filled where the English is the shipped text
and the Chinese is empty; a team's own wording stays as it is."""

from __future__ import annotations

from django.apps import apps

from playbook.models import ChecklistItemTemplate, StepTemplate
from playbook.seed import ZH_HANT, fill_zh_hant


def test_fill_zh_hant_fills_shipped_text_and_keeps_a_teams_own(db):
    steps = list(StepTemplate.objects.filter(template__is_default=True).order_by("number"))
    assert steps and all(s.title_zh_hant == ZH_HANT[s.title] for s in steps)
    first, second, third = steps[:3]
    StepTemplate.objects.filter(pk=first.pk).update(title_zh_hant="")  # to be filled again
    StepTemplate.objects.filter(pk=second.pk).update(title="Our own words", title_zh_hant="")
    StepTemplate.objects.filter(pk=third.pk).update(title_zh_hant="我們自己的說法")
    ChecklistItemTemplate.objects.filter(step=first).update(text_zh_hant="")

    fill_zh_hant(apps)

    first.refresh_from_db(), second.refresh_from_db(), third.refresh_from_db()
    assert first.title_zh_hant == ZH_HANT[first.title]
    assert second.title_zh_hant == ""  # not a shipped text: nothing to translate it with
    assert third.title_zh_hant == "我們自己的說法"
    items = list(ChecklistItemTemplate.objects.filter(step=first))
    assert items and all(i.text_zh_hant == ZH_HANT[i.text] for i in items)
