"""The live path end to end across real processes: API → PostgreSQL → Celery worker
(detection, alert) → SMTP; and Daphne → Redis channel layer → websocket client."""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from http.cookiejar import CookieJar

import pytest
from django.test import Client
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from crisisroom.models import Incident, OnCallEntry
from crisisroom.services.users import api_token_create
from monitoring.models import Brand, WatchTerm

pytestmark = pytest.mark.flow


def post_json(url: str, token: str, body: object) -> dict:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def mention(n: int, text: str) -> dict:
    return {
        "source": "twitter",
        "external_id": f"flow-{n}",
        "text": text,
        "published_at": datetime.now(UTC).isoformat(),
        "author": f"author{n}",
        "author_followers": 1000 * n,
        "url": f"https://example.com/{n}",
    }


def wait_for(check, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError("timed out")


def test_mentions_through_the_api_open_an_incident_page_on_call_and_reach_the_war_room(
    live_stack, smtp_server, alice, bob
):
    OnCallEntry.objects.create(user=alice)
    brand = Brand.objects.create(name="Acme Coffee", slug="acme-coffee")
    WatchTerm.objects.create(brand=brand, query="Acme Coffee")
    token = api_token_create(user=bob)
    storm = [
        "Boycott Acme Coffee! They deleted all our reward points. Terrible.",
        "Acme Coffee is a scam, I am done, boycott them",
        "Class action lawsuit against Acme Coffee, this is awful",
        "Never again Acme Coffee, disgusting scam",
    ]
    result = post_json(
        f"{live_stack.base_url}/api/v1/mentions",
        token,
        [mention(i, t) for i, t in enumerate(storm)],
    )
    assert result == {"accepted": 4, "duplicates": 0, "rejected": []}

    incident = wait_for(lambda: Incident.objects.filter(brand=brand).first())
    messages = smtp_server.inbox.wait_for(1, timeout=30)
    assert len(messages) == 1, live_stack.log_tail()
    alert = messages[0]
    assert alert["To"] == "alice@example.com"
    assert "Acme Coffee" in alert["Subject"]
    parts = {
        part.get_content_type(): part.get_payload(decode=True).decode()
        for part in alert.walk()
        if not part.is_multipart()
    }
    assert f"{live_stack.base_url}/incidents/{incident.pk}/" in parts["text/plain"]
    assert "Trigger phrase" in parts["text/plain"]
    assert "<html>" in parts["text/html"]
    acknowledge_by_the_link_in(parts["text/plain"], live_stack.base_url, incident)

    client = Client()
    client.force_login(bob)
    headers = {
        "Cookie": f"sessionid={client.cookies['sessionid'].value}",
        "Origin": live_stack.base_url,
    }
    ws_url = live_stack.base_url.replace("http://", "ws://") + f"/ws/incidents/{incident.pk}/"
    with connect(ws_url, additional_headers=headers, open_timeout=10) as socket:
        assert json.loads(socket.recv(timeout=10))["type"] == "hello"
        later = [
            mention(10, "Acme Coffee still has not answered anyone"),
            mention(11, "Acme Coffee, where are my points?"),
        ]
        assert post_json(f"{live_stack.base_url}/api/v1/mentions", token, later)["accepted"] == 2
        received: list[str] = []
        deadline = time.monotonic() + 20
        while len(received) < 2 and time.monotonic() < deadline:
            message = json.loads(socket.recv(timeout=20))
            if message["type"] == "mentions.new":
                received += [m["text"] for m in message["mentions"]]
                assert "Acme Coffee" in message["html"]
        assert sorted(received) == sorted(m["text"] for m in later)
    # Still exactly one alert: the later mentions joined the open incident. Give a
    # second alert (were one sent) five seconds to arrive.
    assert len(smtp_server.inbox.wait_for(2, timeout=5)) == 1
    assert Incident.objects.filter(brand=brand).count() == 1


def acknowledge_by_the_link_in(text: str, base_url: str, incident: Incident) -> None:
    """Follow the alert's one-click link as a phone would: open it, tap the button."""
    [link] = re.findall(rf"{re.escape(base_url)}/alerts/ack/\S+/", text)
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(link, timeout=30) as page:
        html = page.read().decode()
    incident.refresh_from_db()
    assert incident.status == "open"  # opening the link alone changes nothing
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token}).encode()
    with opener.open(urllib.request.Request(link, data=form, method="POST"), timeout=30) as page:
        assert page.status == 200
    incident.refresh_from_db()
    assert incident.status == "acknowledged"
    assert incident.timeline.get(kind="acknowledged").actor.username == "alice"


def test_a_socket_without_a_session_is_refused_by_the_real_server(live_stack, bob):
    brand = Brand.objects.create(name="Acme", slug="acme")
    incident = Incident.objects.create(brand=brand, title="x", started_at=datetime.now(UTC))
    ws_url = live_stack.base_url.replace("http://", "ws://") + f"/ws/incidents/{incident.pk}/"
    with pytest.raises(InvalidStatus) as refused:
        connect(ws_url, additional_headers={"Origin": live_stack.base_url}, open_timeout=10)
    assert refused.value.response.status_code == 403


def test_a_drill_at_high_speed_runs_through_the_real_worker_to_an_alert(
    live_stack, smtp_server, bob
):
    """`run_drill` replays a shipped scenario through the real ingest path; the worker's
    detection opens a drill incident and pages on-call over SMTP."""
    import signal
    import subprocess
    import sys

    from crisisroom.models import Drill
    from tests.conftest import ROOT

    OnCallEntry.objects.create(user=bob)
    process = subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "run_drill",
            "policy-backlash",
            "--speed",
            "120",
            "--tick",
            "0.5",
        ],
        cwd=ROOT,
        env=live_stack.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        incident = wait_for(lambda: Incident.objects.filter(is_drill=True).first(), timeout=60)
        assert incident.title.startswith("[Drill]")
        messages = smtp_server.inbox.wait_for(1, timeout=30)
        assert messages and "[Drill]" in messages[0]["Subject"], live_stack.log_tail()
        assert not Incident.objects.filter(is_drill=False).exists()
        _publish_from_the_drill(incident, bob)
    finally:
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=30)[0]
    assert "stopped" in output or "finished" in output, output
    assert Drill.objects.get().status in {"stopped", "finished"}


def _publish_from_the_drill(incident, lead) -> None:  # type: ignore[no-untyped-def]
    """An approved statement of a drill goes to the sandbox: the Mastodon-format server
    configured as the brand's account receives nothing."""
    from crisisroom.models import CrisisRole
    from crisisroom.services.users import user_add
    from playbook.models import Publication, PublishTarget
    from playbook.seed import seed_playbook_now
    from playbook.services import publishing, statements, team
    from playbook.tests.fakesocial import serve

    seed_playbook_now()
    legal, _ = user_add(username="lee", org_role="responder", crisis_roles=["legal_counsel"])
    boss, _ = user_add(username="exa", org_role="responder", crisis_roles=["executive_lead"])
    lead.crisis_roles.add(*CrisisRole.objects.filter(slug="incident_lead"))
    social, server = serve()
    try:
        target = PublishTarget.objects.create(
            name="brand", kind="mastodon", base_url=social.url, secret=social.token
        )
        team.team_member_add(incident=incident, user=lead, crisis_role="incident_lead", by=lead)
        team.team_member_add(incident=incident, user=legal, crisis_role="legal_counsel", by=lead)
        team.team_member_add(incident=incident, user=boss, crisis_role="executive_lead", by=lead)
        statement = statements.statement_create(
            incident=incident, by=lead, body="We hear you. Points are back today."
        )
        statements.statement_submit(statement=statement, by=lead)
        statements.statement_approve(statement=statement, by=legal)
        statements.statement_approve(statement=statement, by=boss)
        publishing.statement_publish(statement=statement, by=lead, targets=[target])
        assert list(
            Publication.objects.filter(statement=statement).values_list("state", flat=True)
        ) == ["sandbox"]
        assert social.requests == []
    finally:
        server.shutdown()
