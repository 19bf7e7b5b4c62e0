"""Issue 16: a source can read only allow-listed secrets; errors never carry a URL's
path or query; the address guard sees IPv4 addresses hidden in IPv6 forms."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from foundation.http import address_allowed, request, url_origin
from monitoring.connectors import SourceError, connector_for
from monitoring.models import Source
from monitoring.secrets import SecretRefused, source_secret
from monitoring.tests.feedserver import Reply


@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "DATABASE_URL",
        "REDIS_URL",
        "EMAIL_HOST_PASSWORD",
        "HOME",
        "CRISISROOM_SOURCE_",
        "CRISISROOM_SOURCE_SECRET_KEY",
        "CRISISROOM_SOURCE_DATABASE_URL",
        "CRISISROOM_SOURCE_EMAIL_HOST_PASSWORD",
        "CRISISROOM_SOURCE_TOKEN_FILE",
        "crisisroom_source_token",
    ],
)
def test_a_source_cannot_read_the_servers_own_secrets(name, monkeypatch):
    monkeypatch.setenv(name, "s3cret")
    with pytest.raises(SecretRefused):
        source_secret(name)
    source = Source(kind="mastodon", key="m", url="https://m.example", config={"query": "q"})
    source.config["secret_env"] = name
    with pytest.raises(SourceError) as caught:
        connector_for("mastodon").secret(source)
    assert not caught.value.retry
    assert "s3cret" not in str(caught.value)


def test_an_allow_listed_secret_is_read_from_the_environment_or_the_secrets_folder(
    monkeypatch, tmp_path, settings
):
    monkeypatch.setenv("CRISISROOM_SOURCE_MASTODON_TOKEN", "from-env")
    assert source_secret("CRISISROOM_SOURCE_MASTODON_TOKEN") == "from-env"

    settings.SOURCES_SECRETS_DIR = str(tmp_path / "secrets")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "token").write_text("from-file\n")
    monkeypatch.setenv("CRISISROOM_SOURCE_MASTODON_TOKEN_FILE", str(tmp_path / "secrets" / "token"))
    assert source_secret("CRISISROOM_SOURCE_MASTODON_TOKEN") == "from-file"

    # A file outside the folder (here: a symlink escaping it) is refused.
    (tmp_path / "elsewhere").write_text("server key")
    monkeypatch.setenv(
        "CRISISROOM_SOURCE_MASTODON_TOKEN_FILE", str(tmp_path / "secrets" / ".." / "elsewhere")
    )
    with pytest.raises(SecretRefused, match="under"):
        source_secret("CRISISROOM_SOURCE_MASTODON_TOKEN")
    (tmp_path / "secrets" / "link").symlink_to(tmp_path / "elsewhere")
    monkeypatch.setenv("CRISISROOM_SOURCE_MASTODON_TOKEN_FILE", str(tmp_path / "secrets" / "link"))
    with pytest.raises(SecretRefused, match="under"):
        source_secret("CRISISROOM_SOURCE_MASTODON_TOKEN")


@pytest.mark.django_db
def test_the_source_form_says_which_names_are_allowed(alice):
    client = Client()
    client.force_login(alice)
    data = {
        "kind": "mastodon",
        "key": "masto",
        "name": "Masto",
        "platform": "mastodon",
        "url": "https://mastodon.example",
        "config": '{"query": "acme", "secret_env": "SECRET_KEY"}',
        "poll_interval_seconds": 300,
    }
    response = client.post(reverse("sources:new"), data)
    assert response.status_code == 400  # an invalid form is redisplayed with 400
    assert "CRISISROOM_SOURCE_" in response.content.decode()
    assert not Source.objects.filter(key="masto").exists()

    data["config"] = '{"query": "acme", "secret_env": "CRISISROOM_SOURCE_MASTODON_TOKEN"}'
    response = client.post(reverse("sources:new"), data)
    assert response.status_code == 302
    assert Source.objects.get(key="masto").config["secret_env"] == (
        "CRISISROOM_SOURCE_MASTODON_TOKEN"
    )


@pytest.mark.parametrize(
    "address",
    [
        "::127.0.0.1",  # IPv4-compatible loopback
        "::10.0.0.1",
        "::ffff:127.0.0.1",  # IPv4-mapped
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254 (cloud metadata)
        "64:ff9b:1::a00:1",  # local-use NAT64
        "2002:7f00:1::",  # 6to4 of 127.0.0.1
        "2002:a00:1::1",  # 6to4 of 10.0.0.1
        "2002:c0a8:101::",  # 6to4 of 192.168.1.1
        "::1",
        "fe80::1",
    ],
)
def test_the_guard_refuses_private_addresses_hidden_in_ipv6(address):
    assert address_allowed(address) is False


@pytest.mark.parametrize(
    "address", ["8.8.8.8", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1", "2606:4700::1"]
)
def test_the_guard_lets_public_addresses_through(address):
    assert address_allowed(address) is True


def test_an_allowed_network_admits_the_embedded_address_too(settings):
    settings.SOURCES_ALLOWED_NETWORKS = ["10.0.0.0/8", "64:ff9b::/96"]
    assert address_allowed("64:ff9b::a00:1") is True
    settings.SOURCES_ALLOWED_NETWORKS = ["64:ff9b::/96"]
    assert address_allowed("64:ff9b::a00:1") is False


def test_url_origin_keeps_scheme_host_and_port_only():
    assert (
        url_origin("https://hooks.slack.com/services/T000/B000/XXXXSECRET?x=1")
        == "https://hooks.slack.com"
    )
    assert url_origin("http://[::1]:8080/p?token=abc") == "http://[::1]:8080"
    assert url_origin("not a url") == "(bad URL)"


def test_http_errors_name_the_host_and_never_the_path_or_query(feed_server, allow_private):
    feed_server.routes["/hook/T0/SECRET"] = Reply(status=500, body="no")
    secret_url = feed_server.url("/hook/T0/SECRET") + "?token=TOPSECRET"
    response = request("GET", secret_url)
    with pytest.raises(SourceError) as caught:
        connector_for("rss").check(response)
    assert "SECRET" not in str(caught.value) and "TOPSECRET" not in str(caught.value)
    assert "127.0.0.1" in str(caught.value)

    with pytest.raises(SourceError) as refused:
        request("GET", "http://127.0.0.1:9/hook/T0/SECRET?token=TOPSECRET")
    assert "SECRET" not in str(refused.value)
