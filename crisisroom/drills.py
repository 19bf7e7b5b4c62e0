"""Fire drills: scenarios from crisisroom/scenarios/*.json replayed through the real
ingest path, so detection, alerts, the playbook and the war room all run for real.

A drill is stateless between ticks: each tick delivers the scenario events whose
time has come (scenario seconds in (cursor, elapsed × speed]) and moves the cursor in
the same transaction, so a tick that dies delivers again and dedupe absorbs it; two
tickers (beat and `run_drill`) serialise on the drill's row.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language, gettext_noop
from django.utils.translation import gettext as _

from crisisroom.choices import ACTIVE_STATUSES, TimelineKind
from crisisroom.models import Drill, Incident, SurpriseDrill, User
from crisisroom.services.timeline import timeline_add
from foundation.permissions import can_work_incidents, require
from monitoring.choices import TermKind
from monitoring.ingest import mentions_ingest
from monitoring.models import Brand, DetectorState, Mention, Rollup, Signal, WatchTerm
from monitoring.services import brand_get_or_create

# The shipped scenarios, or a folder of the organisation's own (with schema.json).
SCENARIO_DIR = Path(settings.DRILL_SCENARIO_DIR or Path(__file__).resolve().parent / "scenarios")
BATCH = 500


class ScenarioError(ValueError):
    """A scenario file that cannot be played; the message says where and why."""


@dataclass(frozen=True)
class DrillEvent:
    offset: float  # scenario seconds from the start; negative for the baseline
    item: dict[str, Any]  # a mention in the API's format, without published_at
    curveball: int | None = None  # index into the scenario's curveballs


@dataclass
class Plan:
    baseline: list[DrillEvent] = field(default_factory=list)
    live: list[DrillEvent] = field(default_factory=list)


@lru_cache(maxsize=1)
def _schema() -> dict:
    return json.loads((SCENARIO_DIR / "schema.json").read_text(encoding="utf-8"))


def scenario_validate(data: Any) -> dict:
    """Schema, then what a schema cannot say: times inside the drill, known authors."""
    try:
        jsonschema.validate(data, _schema())
    except jsonschema.ValidationError as exc:
        where = "/".join(str(p) for p in exc.absolute_path) or "(top)"
        raise ScenarioError(f"{where}: {exc.message}") from exc
    duration = data["duration_minutes"]
    handles = {a["handle"] for a in data["authors"]["named"]}
    for i, phase in enumerate(data["phases"]):
        if not phase["start_minute"] < phase["end_minute"] <= duration:
            raise ScenarioError(f"phases/{i}: needs start < end ≤ duration_minutes ({duration})")
    posts = [(f"posts/{i}", p) for i, p in enumerate(data["posts"])]
    posts += [(f"curveballs/{i}/post", c["post"]) for i, c in enumerate(data["curveballs"])]
    for where, post in posts:
        if post["author"] not in handles:
            raise ScenarioError(f"{where}: author {post['author']!r} is not in authors.named")
        if post["minute"] > duration:
            raise ScenarioError(
                f"{where}: minute {post['minute']} is after the drill ends ({duration})"
            )
    if data["authors"]["crowd"]["followers_min"] > data["authors"]["crowd"]["followers_max"]:
        raise ScenarioError("authors/crowd: followers_min is above followers_max")
    return data


def _scenario_path(scenario_id: str) -> Path:
    path = SCENARIO_DIR / f"{scenario_id}.json"
    if not path.is_file() or path.name == "schema.json":
        raise ScenarioError(f"no scenario {scenario_id!r}; `run_drill --list` shows them")
    return path


@lru_cache(maxsize=32)
def _load_validated(path: str, mtime_ns: int, size: int) -> dict:
    """A scenario file parsed and validated once per process and version of the file."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"{Path(path).name} is not valid JSON: {exc}") from exc
    return scenario_validate(data)


def scenario_load(scenario_id: str) -> dict:
    """The validated scenario. Cached and shared between callers: do not modify it."""
    path = _scenario_path(scenario_id)
    stat = path.stat()
    return _load_validated(str(path), stat.st_mtime_ns, stat.st_size)


def scenarios_list() -> list[dict]:
    language = "zh-hant" if (get_language() or "").startswith("zh") else "en"
    found = []
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        if path.name == "schema.json":
            continue
        data = scenario_load(path.stem)
        found.append(
            {
                "id": data["id"],
                "title": data["title"][language],
                "summary": data["summary"][language],
                "brand": data["brand"]["name"],
                "duration_minutes": data["duration_minutes"],
            }
        )
    return found


def _weighted(rng: random.Random, weights: dict[str, float]) -> str:
    names = sorted(weights)
    return rng.choices(names, weights=[weights[n] for n in names])[0]


def scenario_plan(data: dict, *, run: str, seed: int = 0) -> Plan:
    """Every mention of a scenario, deterministic for a seed; ``run`` makes ids unique per drill."""
    rng = random.Random(f"{data['id']}:{seed}")
    brand = data["brand"]["name"]
    crowd = data["authors"]["crowd"]
    named = {a["handle"]: a for a in data["authors"]["named"]}
    plan = Plan()
    serial = 0

    def crowd_item(texts: list[dict], platforms: dict[str, float]) -> dict:
        nonlocal serial
        serial += 1
        text = rng.choice(texts)
        author = rng.randrange(crowd["count"])
        return {
            "source": _weighted(rng, platforms),
            "external_id": f"{run}-{serial}",
            "text": text["text"].replace("{brand}", brand),
            "lang": text["lang"],
            "author": f"user{author:04d}",
            "author_followers": rng.randint(crowd["followers_min"], crowd["followers_max"]),
        }

    def named_item(post: dict, kind: str) -> dict:
        nonlocal serial
        serial += 1
        author = named[post["author"]]
        item = {
            "source": author["platform"],
            "external_id": f"{run}-{kind}-{serial}",
            "text": post["text"].replace("{brand}", brand),
            "lang": post["lang"],
            "author": author["handle"],
            "author_followers": author["followers"],
        }
        if post.get("url"):
            item["url"] = post["url"]
        return item

    baseline = data["baseline"]
    for hour in range(int(baseline["days"] * 24)):
        for _n in range(_poisson(rng, baseline["per_hour"])):
            offset = -(hour * 3600 + rng.uniform(60, 3600))
            plan.baseline.append(
                DrillEvent(offset, crowd_item(baseline["texts"], baseline["platforms"]))
            )
    for phase in data["phases"]:
        for minute in range(int(phase["start_minute"]), int(phase["end_minute"])):
            for _n in range(_poisson(rng, phase["per_minute"])):
                offset = (minute + rng.random()) * 60
                plan.live.append(DrillEvent(offset, crowd_item(phase["texts"], phase["platforms"])))
    for post in data["posts"]:
        plan.live.append(DrillEvent(post["minute"] * 60, named_item(post, "post")))
    for index, curveball in enumerate(data["curveballs"]):
        plan.live.append(
            DrillEvent(curveball["minute"] * 60, named_item(curveball["post"], "curveball"), index)
        )
    plan.baseline.sort(key=lambda e: e.offset)
    plan.live.sort(key=lambda e: e.offset)
    return plan


@lru_cache(maxsize=16)
def _plan_for(scenario_id: str, run: str, seed: int) -> Plan:
    """A running drill's plan, made once per process: every tick reads it."""
    return scenario_plan(scenario_load(scenario_id), run=run, seed=seed)


def _poisson(rng: random.Random, mean: float) -> int:
    # Knuth's method for small means, a rounded normal for large ones.
    if mean > 30:
        return max(0, round(rng.gauss(mean, mean**0.5)))
    limit, k, p = pow(2.718281828459045, -mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def _ingest(events: list[DrillEvent], start: datetime, speed: float) -> int:
    accepted = 0
    for i in range(0, len(events), BATCH):
        items = [
            {
                **e.item,
                "published_at": (
                    start + timedelta(seconds=e.offset / speed if e.offset > 0 else e.offset)
                ).isoformat(),
            }
            for e in events[i : i + BATCH]
        ]
        accepted += mentions_ingest(items=items, source_kind="drill").accepted
    return accepted


def _brand_for(data: dict) -> Brand:
    spec = data["brand"]
    brand = brand_get_or_create(slug=spec["slug"], name=spec["name"])
    for term in spec["terms"]:
        WatchTerm.objects.get_or_create(brand=brand, kind=TermKind.NAME, query=term)
    # A drill starts from a clean slate: the last run's mentions would be history.
    Mention.objects.filter(brand=brand).delete()
    Rollup.objects.filter(brand=brand).delete()
    Signal.objects.filter(brand=brand).delete()
    DetectorState.objects.filter(brand=brand).delete()
    return brand


def drill_start(
    *,
    scenario_id: str,
    speed: float = 1.0,
    user: User | None = None,
    seed: int = 0,
    under_way: float = 0.0,
) -> Drill:
    """Start a drill: backfill the scenario's quiet days, then let ticks play the storm.

    ``under_way`` (scenario minutes) starts it already that far in: the first tick
    delivers those minutes at once, as if they had just happened."""
    if user is not None:
        require(can_work_incidents(user), "Only responders and admins start drills.")
    if not 0.1 <= speed <= 600:
        raise ScenarioError("speed must be between 0.1 and 600")
    data = scenario_load(scenario_id)
    with transaction.atomic():
        if Drill.objects.filter(
            brand__slug=data["brand"]["slug"], status=Drill.Status.RUNNING
        ).exists():
            raise ScenarioError(_("This scenario is already running; stop it first."))
        brand = _brand_for(data)
        started_at = timezone.now() - timedelta(seconds=max(0.0, under_way) * 60 / speed)
        drill = Drill.objects.create(
            scenario=scenario_id,
            brand=brand,
            speed=speed,
            seed=seed,
            started_by=user,
            started_at=started_at,
        )
    plan = scenario_plan(data, run=f"d{drill.pk}", seed=seed)
    _ingest(plan.baseline, drill.started_at, speed)
    return drill


def drill_incident(drill: Drill) -> Incident | None:
    """The incident the drill's signals opened or joined (select_related it for lists)."""
    return drill.incident


def drill_tick(*, drill_id: int, now: datetime | None = None) -> int:
    """Deliver what has come due; note curveballs on the drill's incident. Returns mentions stored."""
    now = now or timezone.now()
    with transaction.atomic():
        drill = Drill.objects.select_for_update().filter(pk=drill_id).first()
        if drill is None or drill.status != Drill.Status.RUNNING:
            return 0
        data = scenario_load(drill.scenario)
        elapsed = max(0.0, (now - drill.started_at).total_seconds() * drill.speed)
        plan = _plan_for(drill.scenario, f"d{drill.pk}", drill.seed)
        due = [e for e in plan.live if drill.cursor < e.offset <= elapsed]
        stored = _ingest(due, drill.started_at, drill.speed)
        drill.cursor = elapsed
        drill.delivered += stored
        drill.refresh_from_db(fields=["incident"])  # detection may have just set it
        incident = drill_incident(drill)
        if incident is not None and incident.status in ACTIVE_STATUSES:
            for event in plan.live:
                index = event.curveball
                if index is None or event.offset > elapsed or index in drill.curveballs_noted:
                    continue
                curveball = data["curveballs"][index]
                timeline_add(
                    incident=incident,
                    kind=TimelineKind.CURVEBALL,
                    key=gettext_noop("Curveball: %(title)s"),
                    params={"title": {"lang": dict(curveball["title"])}},
                    data={"drill": drill.pk, "curveball": index, "kind": curveball["kind"]},
                )
                drill.curveballs_noted = [*drill.curveballs_noted, index]
        if elapsed >= data["duration_minutes"] * 60:
            drill.status = Drill.Status.FINISHED
            drill.finished_at = now
        drill.save(
            update_fields=["cursor", "delivered", "curveballs_noted", "status", "finished_at"]
        )
    return stored


def drill_stop(*, drill: Drill, user: User | None = None) -> Drill:
    if user is not None:
        require(can_work_incidents(user), "Only responders and admins stop drills.")
    Drill.objects.filter(pk=drill.pk, status=Drill.Status.RUNNING).update(
        status=Drill.Status.STOPPED, finished_at=timezone.now()
    )
    drill.refresh_from_db()
    return drill


# --- Surprise drills: scheduled inside a window, started without warning -------------------

SURPRISE_MAX_WINDOW = timedelta(days=31)


def surprise_start_at(*, window_start: datetime, window_end: datetime, seed: int) -> datetime:
    """The moment inside the window a surprise drill starts: random, but the same for a seed
    (so a test can know it), to the second."""
    span = int((window_end - window_start).total_seconds())
    return window_start + timedelta(seconds=random.Random(seed).randint(0, max(0, span)))


def surprise_drill_schedule(
    *,
    scenario_id: str,
    speed: float,
    window_start: datetime,
    window_end: datetime,
    user: User | None = None,
    seed: int | None = None,
    now: datetime | None = None,
) -> SurpriseDrill:
    """Schedule a drill to start at a random moment of [window_start, window_end]. The
    moment is stored but shown only in the admin data, never on the drills page."""
    if user is not None:
        require(can_work_incidents(user), "Only responders and admins schedule drills.")
    now = now or timezone.now()
    scenario_load(scenario_id)  # a scenario that cannot play is refused now, not at the start
    if not 0.1 <= speed <= 600:
        raise ScenarioError(_("The speed must be between ×0.1 and ×600."))
    if window_end <= window_start:
        raise ScenarioError(_("The window must end after it starts."))
    if window_end <= now:
        raise ScenarioError(_("The window is already over."))
    if window_end - window_start > SURPRISE_MAX_WINDOW:
        raise ScenarioError(_("A surprise drill's window is at most 31 days."))
    seed = random.SystemRandom().randrange(2**62) if seed is None else seed
    start = max(window_start, now)
    return SurpriseDrill.objects.create(
        scenario=scenario_id,
        speed=speed,
        window_start=window_start,
        window_end=window_end,
        seed=seed,
        starts_at=surprise_start_at(window_start=start, window_end=window_end, seed=seed),
        created_by=user,
    )


def surprise_drill_cancel(*, surprise: SurpriseDrill, user: User) -> SurpriseDrill:
    require(can_work_incidents(user), "Only responders and admins cancel drills.")
    SurpriseDrill.objects.filter(pk=surprise.pk, status=SurpriseDrill.Status.SCHEDULED).update(
        status=SurpriseDrill.Status.CANCELLED
    )
    surprise.refresh_from_db()
    return surprise


def surprise_drills_start_due(*, now: datetime | None = None) -> list[Drill]:
    """Start every scheduled surprise drill whose moment has come (the drill tick calls
    this). Each row is taken with skip_locked, so two tickers start it once."""
    now = now or timezone.now()
    started = []
    while True:
        with transaction.atomic():
            surprise = (
                SurpriseDrill.objects.select_for_update(skip_locked=True)
                .filter(status=SurpriseDrill.Status.SCHEDULED, starts_at__lte=now)
                .order_by("starts_at", "pk")
                .first()
            )
            if surprise is None:
                return started
            try:
                with transaction.atomic():
                    drill = drill_start(
                        scenario_id=surprise.scenario,
                        speed=surprise.speed,
                        seed=surprise.seed % 2**31,
                    )
            except ScenarioError as exc:
                surprise.status, surprise.error = SurpriseDrill.Status.FAILED, str(exc)[:300]
                surprise.save(update_fields=["status", "error"])
                continue
            drill.started_by = surprise.created_by
            drill.save(update_fields=["started_by"])
            surprise.status, surprise.drill = SurpriseDrill.Status.STARTED, drill
            surprise.save(update_fields=["status", "drill"])
            started.append(drill)
