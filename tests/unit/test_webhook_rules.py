"""The webhook rules without HTTP: what is retried and when, which URLs and addresses are refused."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta

import pytest

from incidenthub.webhooks import policy, urls

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("status", "again"),
    [
        (None, True),
        (500, True),
        (503, True),
        (429, True),
        (408, True),
        (400, False),
        (404, False),
        (410, False),
        (301, False),
    ],
)
def test_what_is_tried_again(status: int | None, again: bool) -> None:
    assert policy.retryable(status) is again


def test_retry_after_in_seconds_or_as_a_date() -> None:
    assert policy.retry_after_seconds("120", NOW) == 120
    assert policy.retry_after_seconds("Thu, 26 Nov 2026 09:01:00 GMT", NOW) == 60
    assert policy.retry_after_seconds("soon", NOW) is None and policy.retry_after_seconds(None, NOW) is None


def test_backoff_doubles_with_jitter_up_to_the_cap_and_stops_after_the_window() -> None:
    schedule = policy.Schedule(base=5, cap=3600, window=86400)
    for attempts, ceiling in [(1, 5), (2, 10), (3, 20), (12, 3600), (40, 3600)]:
        delays = [schedule.delay(attempts) for _ in range(50)]
        assert all(ceiling / 2 <= d <= ceiling for d in delays), (attempts, delays)
    assert schedule.delay(1, retry_after=90) == 90  # never sooner than Retry-After asks
    assert schedule.next_attempt(3, NOW, NOW) is not None
    assert schedule.next_attempt(30, NOW - timedelta(hours=23, minutes=59), NOW) is None  # past the day


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.com/",
        "file:///etc/passwd",
        "http:///nohost",
        "http://user:pw@8.8.8.8/",
        "http://8.8.8.8:99999/",
        "javascript:alert(1)",
    ],
)
def test_only_plain_http_and_https_urls(url: str) -> None:
    with pytest.raises(urls.UrlRefused):
        urls.resolve(url, ())


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.0.0.1",
        "172.16.5.4",
        "192.168.1.1",
        "169.254.169.254",
        "0.0.0.0",  # noqa: S104 - an address refused, not bound
        "224.0.0.251",
        "240.0.0.1",
        "::1",
        "fe80::1",
        "::ffff:127.0.0.1",
        "fc00::1",
        "100.64.0.1",
    ],
)
def test_internal_addresses_are_refused_unless_allowed(address: str) -> None:
    ip = ipaddress.ip_address(address)
    with pytest.raises(urls.UrlRefused):
        urls.check_address(ip, ())
    urls.check_address(ip, urls.allowed_networks("0.0.0.0/0,::/0"))


def test_public_addresses_pass_and_the_setting_is_read() -> None:
    urls.check_address(ipaddress.ip_address("93.184.215.14"), ())
    assert urls.allowed_networks(" 10.20.0.0/16 , 127.0.0.0/8,") == (
        ipaddress.ip_network("10.20.0.0/16"),
        ipaddress.ip_network("127.0.0.0/8"),
    )
    with pytest.raises(ValueError, match="not-a-cidr"):
        urls.allowed_networks("not-a-cidr")


def test_the_delivery_connects_to_the_address_checked() -> None:
    target = urls.resolve("https://[::ffff:5db8:d70e]:8443/hook?x=1", ())
    assert urls.pinned(target) == "https://[::ffff:5db8:d70e]:8443/hook?x=1"
    target = urls.Target("http://receiver.example/hook", ipaddress.ip_address("93.184.215.14"), "receiver.example", 80)
    assert urls.pinned(target) == "http://93.184.215.14/hook"
