"""Demo data a newcomer can click through, loaded through the real ingest path."""

from __future__ import annotations

import random
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from crisisroom.models import OnCallEntry, User
from crisisroom.services.on_call import on_call_add
from crisisroom.services.users import api_token_create, user_add
from foundation.roles import OrgRole
from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, WatchTerm
from monitoring.services import brand_detect

BRAND = {"slug": "acme-coffee", "name": "Acme Coffee"}
TERMS = [
    ("name", "Acme Coffee"),
    ("name", "Acme咖啡"),
    ("hashtag", "#AcmeCoffee"),
    ("handle", "@acmecoffee"),
]
CALM = [
    "Loving the new seasonal latte at Acme Coffee this morning",
    "Acme Coffee on 5th street is so cosy, great place to work",
    "Picked up beans from Acme Coffee, smooth and nutty",
    "#AcmeCoffee flat white is the best in town",
    "今天在Acme咖啡買了拿鐵，很好喝",
    "Acme咖啡的店員好親切，推薦大家去",
    "Waiting in line at Acme Coffee, pretty busy today",
    "Does Acme Coffee have oat milk? asking for a friend",
]
STORM = [
    "Boycott Acme Coffee! They changed the loyalty policy overnight and deleted everyone's points",
    "I'm done with Acme Coffee. Stealing our reward points is a scam #BoycottAcme",
    "Acme Coffee wiped 3 years of my points without warning. Terrible. boycott",
    "抵制Acme咖啡！一夜之間把會員點數全部清零，太過分了",
    "Acme咖啡 這是詐騙吧？點數說沒就沒",
    "Class action lawsuit against Acme Coffee incoming? This is awful customer treatment",
]


@transaction.atomic
def demo_users() -> tuple[User, str, str]:
    password = secrets.token_urlsafe(9)
    admin, _ = user_add(
        username="admin",
        org_role=OrgRole.ADMIN,
        crisis_roles=["incident_lead", "executive_lead"],
        email="admin@example.com",
        password=password,
    )
    admin.is_superuser = True
    admin.is_staff = True
    admin.save(update_fields=["is_superuser", "is_staff"])
    if not OnCallEntry.objects.filter(user=admin).exists():
        on_call_add(user=admin)  # at the end of the list: places are unique
    feeder, _ = user_add(username="demo-feed", org_role=OrgRole.RESPONDER)
    return admin, password, api_token_create(user=feeder, name="demo")


def demo_brand() -> Brand:
    brand, _ = Brand.objects.get_or_create(slug=BRAND["slug"], defaults={"name": BRAND["name"]})
    for kind, query in TERMS:
        WatchTerm.objects.get_or_create(brand=brand, kind=kind, query=query)
    return brand


def demo_mentions(*, seed: int = 7) -> int:
    """Two calm days, then a storm in the last hour; detection then opens an incident."""
    rng = random.Random(seed)
    now = timezone.now()
    items = []
    for i in range(400):
        at = now - timedelta(hours=48) + timedelta(seconds=rng.randint(0, 47 * 3600))
        items.append(
            {
                "source": rng.choice(["twitter", "mastodon", "threads"]),
                "external_id": f"demo-calm-{i}",
                "text": rng.choice(CALM),
                "published_at": at.isoformat(),
                "author": f"user{rng.randint(1, 300)}",
                "author_followers": rng.randint(10, 3000),
            }
        )
    for i in range(40):
        at = now - timedelta(minutes=rng.randint(1, 50))
        items.append(
            {
                "source": rng.choice(["twitter", "threads", "ptt"]),
                "external_id": f"demo-storm-{i}",
                "text": rng.choice(STORM),
                "published_at": at.isoformat(),
                "author": rng.choice(["coffeefan", "angrybarista", "newsdesk_tw", "loyal_customer"])
                + str(i),
                "author_followers": rng.choice([120, 800, 5400, 250000]),
                "url": f"https://example.com/post/{i}",
            }
        )
    accepted = 0
    for start in range(0, len(items), 500):
        accepted += mentions_ingest(items=items[start : start + 500], source_kind="import").accepted
    return accepted


def load_demo() -> dict:
    admin, password, token = demo_users()
    brand = demo_brand()
    accepted = demo_mentions()
    brand_detect(brand_id=brand.pk)
    return {"username": admin.username, "password": password, "token": token, "mentions": accepted}
