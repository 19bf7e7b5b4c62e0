"""The default playbook, approval policies and message templates, seeded by a migration.

Plain functions taking the app registry so a data migration (historical models) and
tests (real models) share them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop
from django.utils.translation import gettext_noop as N_

# (number, title, owner role, needs approval, description, checklist)
STEPS: list[tuple[int, str, str, bool, str, list[str]]] = [
    (
        1,
        N_("Assemble the team"),
        "incident_lead",
        False,
        N_("Assign roster members to the crisis roles and notify them."),
        [
            N_("Assign an incident lead"),
            N_("Assign social media, PR, legal, HR and executive roles as needed"),
            N_("Notify everyone assigned"),
            N_("Open the war room and agree how often to meet"),
        ],
    ),
    (
        2,
        N_("Assess the situation"),
        "incident_lead",
        False,
        N_(
            "Scale and growth, platforms, sentiment, key voices, media coverage, "
            "facts, category and response level, misinformation."
        ),
        [
            N_("Check scale and growth rate (mentions, reach, speed)"),
            N_("Rank platforms by harm"),
            N_("Read the sentiment split and trend"),
            N_("List key voices: influencers, media, customers"),
            N_("Find the original source and verify the facts"),
            N_("Record claims in the misinformation ledger"),
            N_("Classify the crisis and choose the response level"),
        ],
    ),
    (
        3,
        N_("Coordinate the response"),
        "pr_lead",
        True,
        N_("Channels, key messages, the draft statement and expected questions."),
        [
            N_("Choose the channels"),
            N_("Agree the key messages"),
            N_("Draft the statement and its channel variants"),
            N_("Prepare answers to expected questions"),
            N_("Get the statement approved"),
        ],
    ),
    (
        4,
        N_("Respond"),
        "social_media_manager",
        True,
        N_("Publish the approved statement, pause scheduled posts, keep monitoring."),
        [
            N_("Pause scheduled posts"),
            N_("Publish the approved statement"),
            N_("Keep monitoring reactions"),
        ],
    ),
    (
        5,
        N_("Communicate with empathy and ownership"),
        "pr_lead",
        False,
        N_("Reply with empathy, own the problem, give customer service its scripts."),
        [
            N_("Give customer service the support scripts"),
            N_("Answer key voices personally"),
            N_("Correct misinformation with evidence"),
        ],
    ),
    (
        6,
        N_("Update every channel"),
        "social_media_manager",
        False,
        N_("Website, blog, social, email, ads, phone system, stores."),
        [
            N_("Update the website and blog"),
            N_("Update social profiles and pinned posts"),
            N_("Hold or change ads and email campaigns"),
            N_("Update the phone system message and stores"),
        ],
    ),
    (
        7,
        N_("Monitor and review"),
        "incident_lead",
        False,
        N_("Watch sentiment recover, then hold the post-crisis review."),
        [
            N_("Watch sentiment until it recovers"),
            N_("Resume scheduled posts"),
            N_("Hold the post-crisis review: root cause, lessons, policy changes"),
        ],
    ),
]

# Checklist lines the work itself ticks: text -> (event, detail). The others are
# judgement calls a person ticks (reading the sentiment, agreeing key messages).
BINDINGS: dict[str, tuple[str, str]] = {
    "Assign an incident lead": ("member.assigned", "incident_lead"),
    "Notify everyone assigned": ("member.assigned", ""),
    "Find the original source and verify the facts": ("assessment.saved", "facts"),
    "Record claims in the misinformation ledger": ("claim.recorded", ""),
    "Classify the crisis and choose the response level": ("assessment.saved", "classified"),
    "Draft the statement and its channel variants": ("statement.submitted", ""),
    "Get the statement approved": ("statement.approved", ""),
    "Pause scheduled posts": ("outbound.paused", ""),
    "Publish the approved statement": ("statement.published", ""),
    "Update the website and blog": ("channel.updated", "website"),
    "Update social profiles and pinned posts": ("channel.updated", "social"),
    "Hold or change ads and email campaigns": ("channel.updated", "ads"),
    "Update the phone system message and stores": ("channel.updated", "phone"),
    "Resume scheduled posts": ("outbound.resumed", ""),
    "Hold the post-crisis review: root cause, lessons, policy changes": ("review.written", ""),
}


def bind_checklists(apps: Any) -> None:
    """Bind the default checklist lines of every template to their events (a data
    migration runs this for templates made before bindings existed)."""
    for model in ("ChecklistItemTemplate", "RunChecklistItem"):
        items = apps.get_model("playbook", model).objects
        for text, (event, detail) in BINDINGS.items():
            items.filter(text=text, event="").update(event=event, event_detail=detail)


# Traditional Chinese for the default template, keyed by the English text above; the
# seed and the data migration that fills existing rows both read it.
ZH_HANT: dict[str, str] = {
    "Assemble the team": "組成團隊",
    "Assign roster members to the crisis roles and notify them.": "把名冊成員指派到各危機角色，並通知他們。",
    "Assign an incident lead": "指派事件負責人",
    "Assign social media, PR, legal, HR and executive roles as needed": "視需要指派社群、公關、法務、人資與主管角色",
    "Notify everyone assigned": "通知所有被指派的人",
    "Open the war room and agree how often to meet": "開啟作戰室，並約定開會頻率",
    "Assess the situation": "評估情勢",
    "Scale and growth, platforms, sentiment, key voices, media coverage, "
    "facts, category and response level, misinformation.": "規模與成長、平台、情緒、關鍵聲音、媒體報導、事實、類別與回應層級、錯誤資訊。",
    "Check scale and growth rate (mentions, reach, speed)": "檢查規模與成長速度（提及數、觸及、速度）",
    "Rank platforms by harm": "依傷害程度排列平台",
    "Read the sentiment split and trend": "查看情緒分布與趨勢",
    "List key voices: influencers, media, customers": "列出關鍵聲音：網紅、媒體、顧客",
    "Find the original source and verify the facts": "找出原始來源並查證事實",
    "Record claims in the misinformation ledger": "把說法記入錯誤資訊清單",
    "Classify the crisis and choose the response level": "判定危機類別並選擇回應層級",
    "Coordinate the response": "協調回應",
    "Channels, key messages, the draft statement and expected questions.": "管道、關鍵訊息、聲明草稿與預期提問。",
    "Choose the channels": "選擇管道",
    "Agree the key messages": "確定關鍵訊息",
    "Draft the statement and its channel variants": "草擬聲明及各管道版本",
    "Prepare answers to expected questions": "準備預期提問的回答",
    "Get the statement approved": "取得聲明核准",
    "Respond": "回應",
    "Publish the approved statement, pause scheduled posts, keep monitoring.": "發布已核准的聲明、暫停排程貼文、持續監測。",
    "Pause scheduled posts": "暫停排程貼文",
    "Publish the approved statement": "發布已核准的聲明",
    "Keep monitoring reactions": "持續監測反應",
    "Communicate with empathy and ownership": "以同理與擔當溝通",
    "Reply with empathy, own the problem, give customer service its scripts.": "以同理心回覆、承擔問題、把話術交給客服。",
    "Give customer service the support scripts": "把客服話術交給客服團隊",
    "Answer key voices personally": "親自回覆關鍵聲音",
    "Correct misinformation with evidence": "以證據更正錯誤資訊",
    "Update every channel": "更新所有管道",
    "Website, blog, social, email, ads, phone system, stores.": "網站、部落格、社群、電子郵件、廣告、電話系統、門市。",
    "Update the website and blog": "更新網站與部落格",
    "Update social profiles and pinned posts": "更新社群檔案與置頂貼文",
    "Hold or change ads and email campaigns": "暫停或調整廣告與電子郵件活動",
    "Update the phone system message and stores": "更新電話語音訊息與門市",
    "Monitor and review": "監測與檢討",
    "Watch sentiment recover, then hold the post-crisis review.": "觀察情緒回穩，然後舉行危機後檢討。",
    "Watch sentiment until it recovers": "持續觀察情緒直到回穩",
    "Resume scheduled posts": "恢復排程貼文",
    "Hold the post-crisis review: root cause, lessons, policy changes": "舉行危機後檢討：根本原因、教訓、政策調整",
}


POLICIES: dict[str, list[str]] = {
    "clarification": ["legal_counsel", "executive_lead"],
    "statement": ["legal_counsel", "executive_lead"],
    "full_campaign": ["legal_counsel", "executive_lead"],
}

TEMPLATES: list[tuple[str, str, str, str]] = [
    (
        "holding",
        "en",
        "Holding statement",
        "We are aware of reports about {issue}. We are looking into it urgently and will "
        "share an update by {next_update}. {contact}",
    ),
    (
        "apology",
        "en",
        "Apology",
        "We are sorry. {what_happened} was our mistake, and we understand how it affected "
        "you. Here is what we are doing now: {actions}. We will update you by {next_update}.",
    ),
    (
        "status_update",
        "en",
        "Status update",
        "Update on {issue}: {progress}. Next update by {next_update}.",
    ),
    (
        "faq",
        "en",
        "FAQ",
        "What happened? {what_happened}\nWhat are you doing about it? {actions}\n"
        "What should I do? {customer_steps}",
    ),
    (
        "holding",
        "zh-hant",
        "暫行聲明",
        "我們已注意到有關{issue}的消息，正緊急了解情況，並將於{next_update}前提供最新進展。{contact}",
    ),
    (
        "apology",
        "zh-hant",
        "致歉聲明",
        "我們深感抱歉。{what_happened}是我們的錯，我們明白這對您造成的影響。"
        "我們正在採取以下行動：{actions}。我們將於{next_update}前向您更新。",
    ),
    (
        "status_update",
        "zh-hant",
        "進度更新",
        "關於{issue}的最新進展：{progress}。下次更新時間：{next_update}前。",
    ),
    (
        "faq",
        "zh-hant",
        "常見問題",
        "發生了什麼事？{what_happened}\n你們正在怎麼處理？{actions}\n我該怎麼做？{customer_steps}",
    ),
]


def seed_playbook(apps: Any) -> None:
    CrisisRole = apps.get_model("crisisroom", "CrisisRole")
    PlaybookTemplate = apps.get_model("playbook", "PlaybookTemplate")
    StepTemplate = apps.get_model("playbook", "StepTemplate")
    ChecklistItemTemplate = apps.get_model("playbook", "ChecklistItemTemplate")
    ApprovalPolicy = apps.get_model("playbook", "ApprovalPolicy")
    MessageTemplate = apps.get_model("playbook", "MessageTemplate")

    roles = {}
    for position, slug in enumerate(
        [
            "incident_lead",
            "social_media_manager",
            "pr_lead",
            "legal_counsel",
            "hr_representative",
            "executive_lead",
        ]
    ):
        roles[slug], _ = CrisisRole.objects.get_or_create(
            slug=slug, defaults={"position": position}
        )
    if not PlaybookTemplate.objects.filter(is_default=True).exists():
        template = PlaybookTemplate.objects.create(
            name=gettext_noop("Default playbook"), is_default=True
        )
        for number, title, role, needs_approval, description, items in STEPS:
            step = StepTemplate.objects.create(
                template=template,
                number=number,
                title=title,
                description=description,
                owner_role=roles[role],
                needs_approval=needs_approval,
            )
            ChecklistItemTemplate.objects.bulk_create(
                # Bound by bind_checklists (migration 0003 adds the fields).
                ChecklistItemTemplate(step=step, position=i, text=text)
                for i, text in enumerate(items)
            )
    for level, slugs in POLICIES.items():
        policy, created = ApprovalPolicy.objects.get_or_create(response_level=level)
        if created:
            policy.required_roles.set([roles[s] for s in slugs])
    if not MessageTemplate.objects.exists():
        MessageTemplate.objects.bulk_create(
            MessageTemplate(kind=kind, lang=lang, title=title, body=body, pre_approved=False)
            for kind, lang, title, body in TEMPLATES
        )
    # Migration 0002 runs before the zh-Hant fields exist; 0004 fills them then.
    if any(f.name == "title_zh_hant" for f in StepTemplate._meta.get_fields()):
        fill_zh_hant(apps)


def fill_zh_hant(apps: Any) -> None:
    """Fill the empty zh-Hant fields of the default template's rows (and of runs copied
    from it) whose English is the shipped text; a team's own wording stays as it is."""
    for model, fields in [
        ("StepTemplate", ["title", "description"]),
        ("ChecklistItemTemplate", ["text"]),
        ("RunStep", ["title", "description"]),
        ("RunChecklistItem", ["text"]),
    ]:
        Model = apps.get_model("playbook", model)
        for field in fields:
            # one read and one bulk write per field (a query per shipped text made
            # 288 of them, each time a test or a deployment seeded)
            target = field + "_zh_hant"
            rows = list(
                Model.objects.filter(**{field + "__in": list(ZH_HANT), target: ""}).only(
                    "pk", field, target
                )
            )
            for row in rows:
                setattr(row, target, ZH_HANT[getattr(row, field)])
            if rows:
                Model.objects.bulk_update(rows, [target], batch_size=500)
    MessageTemplate = apps.get_model("playbook", "MessageTemplate")
    for kind, lang, title, body in TEMPLATES:
        if lang == "zh-hant" and not MessageTemplate.objects.filter(kind=kind, lang=lang).exists():
            MessageTemplate.objects.create(
                kind=kind, lang=lang, title=title, body=body, pre_approved=False
            )


# Statement channels: (code, English, 繁體中文, limit, counting, connector).
# Limits as the networks state them for a post (late 2026); admins change them as data.
# Facebook: 63,206 characters. Instagram: a 2,200-character caption. Threads: 500.
# LINE: 500 characters in a text message of the Official Account Manager (the
# Messaging API takes 5,000). YouTube community posts, PTT articles and Dcard posts
# have no published hard limit: None, and PTT counts full-width characters as 2 (the
# board's 80-column lines).
CHANNELS: list[tuple[str, str, str, int | None, str, str]] = [
    ("x", "X", "X", 280, "x_weighted", ""),
    ("mastodon", "Mastodon", "Mastodon", 500, "urls_23", "mastodon"),
    ("bluesky", "Bluesky", "Bluesky", 300, "graphemes", "bluesky"),
    ("facebook", "Facebook", "Facebook", 63206, "characters", ""),
    ("instagram", "Instagram", "Instagram", 2200, "characters", ""),
    ("threads", "Threads", "Threads", 500, "characters", ""),
    ("line", "LINE", "LINE", 500, "characters", ""),
    ("youtube", "YouTube (community post)", "YouTube（社群貼文）", None, "characters", ""),
    ("ptt", "PTT", "PTT 批踢踢", None, "width", ""),
    ("dcard", "Dcard", "Dcard", None, "characters", ""),
    ("email", "Email", "電子郵件", None, "characters", ""),
    ("website", "Website", "官方網站", None, "characters", ""),
    ("phone", "Phone message", "電話語音訊息", None, "characters", ""),
]

# A public update every N minutes while the incident is active, per response level.
CADENCES = {"clarification": 120, "statement": 60, "full_campaign": 30}


def seed_channels(apps: Any) -> None:
    """The channels and cadences; then every channel code a statement already uses
    gets a row too (a code from before channels were data is never left dangling)."""
    Channel = apps.get_model("playbook", "Channel")
    UpdateCadence = apps.get_model("playbook", "UpdateCadence")
    Statement = apps.get_model("playbook", "Statement")
    StatementVariant = apps.get_model("playbook", "StatementVariant")
    for position, (code, en, zh, limit, counting, connector) in enumerate(CHANNELS):
        Channel.objects.get_or_create(
            code=code,
            defaults={
                "name_en": en,
                "name_zh_hant": zh,
                "limit": limit,
                "counting": counting,
                "connector": connector,
                "position": position,
            },
        )
    used = set(StatementVariant.objects.values_list("channel", flat=True))
    for channels in Statement.objects.values_list("channels", flat=True):
        used.update(c for c in channels or [] if isinstance(c, str))
    known = set(Channel.objects.values_list("code", flat=True))
    for code in sorted(used - known):
        Channel.objects.create(
            code=code[:20], name_en=code, name_zh_hant=code, position=100, active=False
        )
    for level, minutes in CADENCES.items():
        UpdateCadence.objects.get_or_create(response_level=level, defaults={"minutes": minutes})


def seed_playbook_now() -> None:
    """For tests whose transactional flush removed the migration's rows."""
    from django.apps import apps

    seed_playbook(apps)
    bind_checklists(apps)
    seed_channels(apps)
    seed_targets(apps)


# Response targets per response level (minutes): acknowledge, holding statement,
# the zh-Hant statement after the English one, a public update every.
TARGET_MINUTES = {
    "clarification": {
        "acknowledge": 15,
        "holding_statement": 60,
        "zh_hant_statement": 60,
        "updates": 120,
    },
    "statement": {
        "acknowledge": 10,
        "holding_statement": 30,
        "zh_hant_statement": 30,
        "updates": 60,
    },
    "full_campaign": {
        "acknowledge": 5,
        "holding_statement": 20,
        "zh_hant_statement": 20,
        "updates": 30,
    },
}
# kind → (name en, name zh-Hant, action en, action zh-Hant); {n} is the target's minutes.
TARGET_TEXTS = {
    "acknowledge": (
        "Acknowledge the alert",
        "確認警報",
        "Acknowledge the alert within {n} min: the on-call person keeps alerts on the phone and a back-up is paged when they miss it.",
        "在 {n} 分鐘內確認警報：值班人員隨身接收警報，漏接時自動通知後備人員。",
    ),
    "holding_statement": (
        "Publish a holding statement",
        "發布初步聲明",
        "Keep a pre-approved holding statement ready so the first one goes out within {n} min.",
        "預先核准一份初步聲明範本，讓第一份聲明在 {n} 分鐘內發出。",
    ),
    "zh_hant_statement": (
        "Publish the Traditional Chinese statement after the English one",
        "英文聲明後發布繁體中文聲明",
        "Write the Traditional Chinese version alongside the English one so it follows within {n} min.",
        "與英文版同時撰寫繁體中文版，讓它在 {n} 分鐘內跟上。",
    ),
    "updates": (
        "Publish a public update",
        "發布公開更新",
        "Name who writes the next update as soon as one goes out, so the public hears from you every {n} min.",
        "每次發布後立即指定下一則更新的撰寫人，讓公眾每 {n} 分鐘得到消息。",
    ),
}


def seed_targets(apps: Any) -> None:
    """The default response targets, in both languages (kept when an admin edited them)."""
    ResponseTarget = apps.get_model("playbook", "ResponseTarget")
    for level, kinds in TARGET_MINUTES.items():
        for kind, minutes in kinds.items():
            en, zh, action_en, action_zh = TARGET_TEXTS[kind]
            ResponseTarget.objects.get_or_create(
                response_level=level,
                kind=kind,
                defaults={
                    "minutes": minutes,
                    "label_en": en,
                    "label_zh_hant": zh,
                    "action_en": action_en,
                    "action_zh_hant": action_zh,
                },
            )
