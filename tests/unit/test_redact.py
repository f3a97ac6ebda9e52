"""Redaction: known secrets, token shapes, secret keys, URLs, bytes, dataclasses, logging."""
from __future__ import annotations

import io
import json
import logging

import pytest

from harness.history import ReceivedFrame
from harness.redact import Redactor, install_log_redaction, placeholder

PASETO = "v4.local." + "A" * 40 + "_-" + "b" * 60
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMUgifQ.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
REFRESH = "01HZY3Q8J5K6M7N8P9R0S1T2V3" + "." + "x" * 20 + "-_" + "Y" * 21
PASSWORD = "correct horse battery"
OPAQUE_ACCESS = "opaque-access-token-0123456789abcdef"


@pytest.fixture
def redactor() -> Redactor:
    r = Redactor()
    r.add_password(PASSWORD)
    r.add_access_token(OPAQUE_ACCESS)
    return r


def assert_clean(text: str) -> None:
    for secret in (PASETO, JWT, REFRESH, PASSWORD, OPAQUE_ACCESS):
        assert secret not in text, f"secret leaked in {text!r}"


def test_known_secrets_are_replaced_with_their_kind(redactor: Redactor) -> None:
    out = redactor.redact_text(f"user logged in with {PASSWORD} and got {OPAQUE_ACCESS}")
    assert out == f"user logged in with {placeholder('password')} and got {placeholder('access_token')}"


def test_token_shapes_are_redacted_without_registration() -> None:
    r = Redactor()
    text = f"a={PASETO} b={JWT} c={REFRESH} end"
    out = r.redact_text(text)
    assert_clean(out)
    assert placeholder("paseto") in out
    assert placeholder("jwt") in out
    assert placeholder("refresh_token") in out
    assert out.endswith(" end")


def test_prefixed_signed_tokens_are_redacted() -> None:
    token = "fat1.eyJzdWIiOiIwMU04Q1FNR1BBQ1FOTlRKNTJUN0hDWTVRMyJ9.OJrZcFeLUy6oiL2yGBn_pm-KTQeXD_OlWn10TGjRnCg"
    out = Redactor().redact_text(f"token {token} end")
    assert out == f"token {placeholder('signed_token')} end"


def test_ulid_alone_is_not_a_secret() -> None:
    r = Redactor()
    text = "message 01HZY3Q8J5K6M7N8P9R0S1T2V3 in channel 01HZY3Q8J5K6M7N8P9R0S1T2V4"
    assert r.redact_text(text) == text


def test_urls_hide_access_token_query_values(redactor: Redactor) -> None:
    url = "ws://127.0.0.1:4000/gateway/ws?x=1&access_token=whatever-value-here&y=2"
    out = redactor.redact_url(url)
    assert "whatever-value-here" not in out
    assert out.startswith("ws://127.0.0.1:4000/gateway/ws?x=1&access_token=«redacted:access_token»")
    assert out.endswith("&y=2")
    assert "hunter2secret" not in redactor.redact_url("postgres://filament:hunter2secret@db/filament")


def test_nested_structures_by_key_and_value(redactor: Redactor) -> None:
    value = {
        "username": "alice_1",
        "password": "something-unregistered",
        "nested": [{"access_token": "tok-unregistered-123", "note": f"bearer {OPAQUE_ACCESS}"}],
        "Authorization": "Bearer abcdefghijkl",
        "tuple": ("ok", PASETO),
        "count": 3,
        "none": None,
    }
    out = redactor.redact(value)
    dumped = json.dumps(out)
    assert "something-unregistered" not in dumped
    assert "tok-unregistered-123" not in dumped
    assert "abcdefghijkl" not in dumped
    assert_clean(dumped)
    assert out["username"] == "alice_1" and out["count"] == 3 and out["none"] is None
    assert out["password"] == placeholder("password")
    # the input is not modified
    assert value["password"] == "something-unregistered"


def test_json_text_and_bytes(redactor: Redactor) -> None:
    raw = json.dumps({"username": "bob", "password": "unregistered-pw-1", "refresh_token": "r" * 30})
    out = redactor.redact_text(raw)
    assert "unregistered-pw-1" not in out and "r" * 30 not in out
    assert json.loads(out)["username"] == "bob"
    data = f"header: Authorization: Bearer {OPAQUE_ACCESS}\r\n".encode()
    red = redactor.redact_bytes(data)
    assert isinstance(red, bytes) and OPAQUE_ACCESS.encode() not in red


def test_json_escaped_and_url_encoded_spellings() -> None:
    r = Redactor()
    tricky = 'p@ss "quoted" \\ and/slash'
    r.add_password(tricky)
    assert_clean_of = lambda s: tricky not in s and json.dumps(tricky)[1:-1] not in s  # noqa: E731
    assert assert_clean_of(r.redact_text(json.dumps({"pw": tricky})))
    from urllib.parse import quote

    assert quote(tricky, safe="") not in r.redact_text("q=" + quote(tricky, safe=""))


def test_dataclass_frames_are_redacted(redactor: Redactor) -> None:
    raw = json.dumps({"v": 1, "t": "x", "d": {"leak": OPAQUE_ACCESS}})
    frame = ReceivedFrame("a/ws0", 0, 1.0, raw, "x", {"leak": OPAQUE_ACCESS}, None)
    out = redactor.redact(frame)
    assert isinstance(out, ReceivedFrame)
    assert OPAQUE_ACCESS not in out.raw and OPAQUE_ACCESS not in json.dumps(out.data)
    assert out.seq == 0 and out.conn == "a/ws0"


def test_short_secrets_are_ignored() -> None:
    r = Redactor()
    r.add_password("abc")
    assert r.redact_text("abcabc") == "abcabc"


def test_log_records_are_redacted_when_created_even_for_handlers_added_later(redactor: Redactor) -> None:
    before = logging.getLogRecordFactory()
    restore = install_log_redaction(redactor)
    logger = logging.getLogger("test_redact.logger")
    logger.propagate = False
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)  # added after the redaction was installed (like pytest's capture)
    logger.addHandler(handler)
    try:
        logger.warning("login %s with %s", "alice", PASSWORD)
        try:
            raise RuntimeError(f"bad token {OPAQUE_ACCESS}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        restore()
        logger.removeHandler(handler)
    text = stream.getvalue()
    assert "alice" in text and "failed" in text
    assert PASSWORD not in text and OPAQUE_ACCESS not in text
    assert placeholder("password") in text
    assert logging.getLogRecordFactory() is before, "restore() puts the previous factory back"


def test_redaction_is_not_a_no_op() -> None:
    """Guard: an artefact writer that skipped redaction would leave the secret in place."""
    r = Redactor()
    r.add_access_token(OPAQUE_ACCESS)
    artefact = {"frames": [f'{{"v":1,"t":"ready","d":{{"token":"{OPAQUE_ACCESS}"}}}}']}

    def write(value: object, *, redact: bool) -> str:
        return json.dumps(r.redact(value) if redact else value)

    assert OPAQUE_ACCESS not in write(artefact, redact=True)
    assert OPAQUE_ACCESS in write(artefact, redact=False)  # the check above would fail without redaction
    assert r.find(write(artefact, redact=False))
    assert not r.find(write(artefact, redact=True))


def test_secret_keys_inside_json_encoded_strings() -> None:
    r = Redactor()
    inner = json.dumps({"v": 1, "t": "x", "d": {"password": "nobody-registered-this"}})
    outer = json.dumps({"raw": inner})
    out = r.redact_text(outer)
    assert "nobody-registered-this" not in out
    assert json.loads(json.loads(out)["raw"])["d"]["password"] == placeholder("password")
    assert r.find(outer) == ["password"]
    assert r.find(out) == []


def test_url_userinfo_passwords_anywhere_in_text() -> None:
    text = "running ./server --db postgres://filament:s3cr3t-pw@db:5432/filament --flag"
    out = Redactor().redact_text(text)
    assert "s3cr3t-pw" not in out
    assert "postgres://filament:«redacted:password»@db:5432/filament --flag" in out

