"""The pure parts of webhook delivery: Standard Webhooks signing, the backoff schedule, and which
addresses may receive webhooks."""

from __future__ import annotations

import base64
import ipaddress
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from service.webhooks import addresses, signing
from service.webhooks.delivery import backoff


def test_the_signature_matches_the_standard_webhooks_example() -> None:
    # The example of the Standard Webhooks specification.
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    signed = signing.signature(
        secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, b'{"test": 2432232314}'
    )
    assert signed == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def test_a_new_secret_carries_32_random_bytes() -> None:
    one, two = signing.new_secret(), signing.new_secret()
    assert one.startswith("whsec_")
    assert one != two
    assert len(base64.b64decode(one.removeprefix("whsec_"))) == 32


def test_the_body_is_canonical_json_of_type_timestamp_and_data() -> None:
    at = datetime(2026, 4, 1, 8, 0, tzinfo=UTC)
    body = signing.body("listing.listed", at, {"seq": 3, "b": "列入"})
    assert (
        body
        == (
            '{"data":{"b":"列入","seq":3},"timestamp":"2026-04-01T08:00:00+00:00",'
            '"type":"listing.listed"}'
        ).encode()
    )


def test_backoff_doubles_from_five_seconds_up_to_an_hour_with_jitter() -> None:
    assert [backoff(n, 0.0).total_seconds() for n in (1, 2, 3, 4)] == [5, 10, 20, 40]
    assert backoff(1, 0.999) >= timedelta(seconds=4)
    assert backoff(20, 0.0) == timedelta(hours=1)
    assert backoff(20, 0.999) <= timedelta(hours=1)


@pytest.mark.parametrize(
    ("url", "allow_loopback"),
    [
        ("https://127.0.0.1/", False),
        ("https://localhost/", False),
        ("https://[::1]/", False),
        ("https://10.0.0.1/", True),
        ("https://[fe80::1]/", True),
        ("https://224.0.0.1/", True),  # multicast
        ("http://1.1.1.1/", True),  # plain http only to loopback, and only in test mode
        ("https://user:pw@1.1.1.1/", True),
        ("https://no-such-host.invalid/", True),
        ("not a url", True),
    ],
)
async def test_addresses_that_may_not_receive_webhooks(url: str, allow_loopback: bool) -> None:
    with pytest.raises(addresses.AddressNotAllowed):
        await addresses.check(url, allow_loopback=allow_loopback)


async def test_loopback_is_allowed_in_test_mode_and_public_addresses_always() -> None:
    assert (await addresses.check("http://127.0.0.1:8080/x", allow_loopback=True)).address
    public = await addresses.check("https://1.1.1.1/hook", allow_loopback=False)
    assert str(public.address) == "1.1.1.1"


def test_a_resolved_name_is_pinned_with_its_host_header_and_tls_name() -> None:
    target = addresses.Target(
        url=httpx.URL("https://hooks.example.gov.cn:8443/in?x=1"),
        address=ipaddress.ip_address("203.0.113.7"),
    )
    url, headers, extensions = addresses.pinned(target)
    assert str(url) == "https://203.0.113.7:8443/in?x=1"
    assert headers == {"host": "hooks.example.gov.cn:8443"}
    assert extensions == {"sni_hostname": "hooks.example.gov.cn"}
    literal = addresses.Target(url=httpx.URL("https://203.0.113.7/"), address=target.address)
    assert addresses.pinned(literal) == (literal.url, {}, {})
