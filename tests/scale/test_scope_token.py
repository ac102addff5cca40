"""Signed region-scope tokens for the tile routes."""
from __future__ import annotations

import pytest

from geo.scope_token import allows, sign_scope, verify_scope


def test_a_token_carries_its_prefix():
    assert verify_scope(sign_scope("s3cret", "511725"), "s3cret") == "511725"
    assert verify_scope(sign_scope("s3cret", ""), "s3cret") == ""


def test_forged_expired_or_malformed_tokens_grant_nothing():
    token = sign_scope("s3cret", "5117", now=1_000_000, ttl_s=60)
    assert verify_scope(token, "other") is None
    assert verify_scope(token, "s3cret", now=1_000_061) is None
    assert verify_scope(token, "s3cret", now=1_000_030) == "5117"
    body, mac = token.split(".")
    assert verify_scope(body + "x." + mac, "s3cret") is None
    assert verify_scope("", "s3cret") is None and verify_scope(None, "s3cret") is None
    assert verify_scope("a.b.c", "s3cret") is None and verify_scope("%%%.x", "s3cret") is None


@pytest.mark.parametrize("prefix", ["51x", "1234567890123", "51 17"])
def test_bad_prefixes_are_refused(prefix):
    with pytest.raises(ValueError):
        sign_scope("s3cret", prefix)


def test_empty_secret_is_refused():
    with pytest.raises(ValueError):
        sign_scope("", "51")
    assert verify_scope(sign_scope("a", "51"), "") is None


def test_scope_containment():
    assert allows("5117", "511725") and allows("", "51") and not allows("511725", "5117")
