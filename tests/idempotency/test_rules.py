"""Pure rules: which header values are keys, what a fingerprint covers, what a stored record means."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from app.idempotency.models import IdempotencyStatus
from app.idempotency.rules import Decision, decide, fingerprint, parse_key, retry_after

NOW = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ('"8e03978e"', "8e03978e"),  # the draft's Structured Field string form
        ('"say \\"hi\\" \\\\"', 'say "hi" \\'),  # with its escapes
        ("a b", "a b"),
        ("x" * 255, "x" * 255),
        ('"', '"'),
    ],
)
def test_valid_keys(raw, key):
    assert parse_key(raw) == key


@pytest.mark.parametrize("raw", ["", '""', "x" * 256, "tab\there", "新年", "\x7f", "é"])
def test_invalid_keys(raw):
    assert parse_key(raw) is None


def test_fingerprint_covers_method_target_and_body():
    base = fingerprint("POST", "/a", b"{}")
    assert base == fingerprint("post", "/a", b"{}")
    assert (
        len(
            {
                base,
                fingerprint("PUT", "/a", b"{}"),
                fingerprint("POST", "/b", b"{}"),
                fingerprint("POST", "/a", b"{ }"),
                fingerprint("POST", "/a?x=1", b"{}"),
            }
        )
        == 5
    )
    # Parts are length-prefixed, so moving bytes between them changes the hash.
    assert fingerprint("POST", "/ab", b"c") != fingerprint("POST", "/a", b"bc")


def record(status=IdempotencyStatus.completed, fp="f", lease=-1, expires=60):
    return SimpleNamespace(
        status=status,
        request_fingerprint=fp,
        locked_until=NOW + timedelta(seconds=lease),
        expires_at=NOW + timedelta(seconds=expires),
    )


@pytest.mark.parametrize(
    ("rec", "decision"),
    [
        (record(), Decision.replay),
        (record(fp="other"), Decision.reused),
        (record(IdempotencyStatus.in_flight, lease=5), Decision.in_flight),
        (record(IdempotencyStatus.in_flight, lease=0), Decision.take_over),  # lease ends exactly now
        (record(IdempotencyStatus.in_flight, lease=-5), Decision.take_over),
        (record(IdempotencyStatus.in_flight, fp="other", lease=-5), Decision.reused),
        (record(expires=0), Decision.take_over),  # expired: as if absent
        (record(fp="other", expires=-1), Decision.take_over),
    ],
)
def test_decide(rec, decision):
    assert decide(rec, "f", NOW) == decision


def test_retry_after_rounds_up_to_whole_seconds():
    assert retry_after(NOW + timedelta(seconds=2.1), NOW) == 3
    assert retry_after(NOW + timedelta(milliseconds=10), NOW) == 1
    assert retry_after(NOW - timedelta(seconds=1), NOW) == 1
