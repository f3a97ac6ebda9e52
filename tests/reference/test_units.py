"""Pure modules of the reference server, without sockets."""

from __future__ import annotations

import pytest

from harness.reference.server import protocol
from harness.reference.server.clientip import resolve_client_ip
from harness.reference.server.config import ConfigError, ServerConfig, load_config
from harness.reference.server.ids import is_canonical_ulid, new_ulid
from harness.reference.server.markdown import tokenize
from harness.reference.server.ratelimit import Governor, SlidingWindow
from harness.reference.server.sniff import sniff

G = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_ulids_are_canonical_and_monotonic() -> None:
    ids = [new_ulid() for _ in range(2000)]
    assert all(is_canonical_ulid(i) for i in ids) and ids == sorted(ids) and len(set(ids)) == len(ids)


@pytest.mark.parametrize("source,expected", [
    ("", []),
    ("hello *world*", [{"type": "paragraph_start"}, {"type": "text", "text": "hello "}, {"type": "emphasis_start"},
                       {"type": "text", "text": "world"}, {"type": "emphasis_end"}, {"type": "paragraph_end"}]),
    ("# Title", [{"type": "heading_start", "level": 1}, {"type": "text", "text": "Title"}, {"type": "heading_end"}]),
    ("1. a", [{"type": "list_start", "ordered": True}, {"type": "list_item_start"}, {"type": "text", "text": "a"},
              {"type": "list_item_end"}, {"type": "list_end"}]),
    ("```Rust \nfn x() {}\n```", [{"type": "fenced_code", "language": "rust", "code": "fn x() {}\n"}]),
    ("```not valid!\nx\n```", [{"type": "fenced_code", "language": None, "code": "x\n"}]),
    ("    indented", [{"type": "fenced_code", "language": None, "code": "indented\n"}]),
    ("`code` a  \nb\nc", [{"type": "paragraph_start"}, {"type": "code", "code": "code"}, {"type": "text", "text": " a"},
                         {"type": "hard_break"}, {"type": "text", "text": "b"}, {"type": "soft_break"},
                         {"type": "text", "text": "c"}, {"type": "paragraph_end"}]),
    ("[x](javascript:alert(1)) <b>raw</b>", [{"type": "paragraph_start"}, {"type": "text", "text": "x raw"},
                                             {"type": "paragraph_end"}]),
    ("[site](HTTPS://example.org)", [{"type": "paragraph_start"}, {"type": "link_start", "href": "HTTPS://example.org"},
                                     {"type": "text", "text": "site"}, {"type": "link_end"}, {"type": "paragraph_end"}]),
    ("see https://a.example/x).", [{"type": "paragraph_start"}, {"type": "text", "text": "see "},
                                   {"type": "link_start", "href": "https://a.example/x"},
                                   {"type": "text", "text": "https://a.example/x"}, {"type": "link_end"},
                                   {"type": "text", "text": ")."}, {"type": "paragraph_end"}]),
])
def test_markdown_tokens(source: str, expected: list) -> None:
    assert tokenize(source) == expected


def test_markdown_caps() -> None:
    assert len(tokenize("a\n\n" * 3000)) == 4096
    blocks = "".join(f"```\n{i}\n```\n\n" for i in range(70))
    assert len([t for t in tokenize(blocks) if t["type"] == "fenced_code"]) == 64
    assert len(tokenize("x" * 5000)[1]["text"].encode()) == 4096


@pytest.mark.parametrize("data,mime", [
    (b"\x89PNG", "image/png"), (b"\xff\xd8\xff\xe0", "image/jpeg"), (b"GIF89a", "image/gif"),
    (b"RIFF\0\0\0\0WEBPVP8 ", "image/webp"), (b"\0\0\0\x1cftypavif", "image/avif"), (b"%PDF-1.7", "application/pdf"),
    (b"PK\x03\x04rest", "application/zip"), (b"OggS", "audio/ogg"), (b"hello", None), (b"<svg/>", None),
])
def test_sniff(data: bytes, mime: str | None) -> None:
    assert sniff(data) == mime


def test_sliding_window_evicts_strictly_older_entries() -> None:
    clock = Clock()
    window = SlidingWindow(2, 10, clock)
    assert window.allow("k") and window.allow("k") and not window.allow("k")
    clock.now += 10  # exactly the window: not yet evicted
    assert not window.allow("k")
    clock.now += 0.001
    assert window.allow("k") and window.allow("other")


def test_governor_is_burst_then_one_per_period() -> None:
    clock = Clock()
    governor = Governor(3, 60, clock)
    assert [governor.allow("k")[0] for _ in range(4)] == [True, True, True, False]
    clock.now += 59
    assert governor.allow("k")[0] is False
    clock.now += 1
    assert governor.allow("k")[0] is True and governor.allow("k")[0] is False
    clock.now += 600
    assert [governor.allow("k")[0] for _ in range(4)] == [True, True, True, False]


def test_limiters_forget_idle_keys_so_memory_stays_bounded() -> None:
    clock = Clock()
    window, governor = SlidingWindow(2, 10, clock), Governor(3, 60, clock)
    for n in range(100):
        window.allow(f"ip:{n}")
        governor.allow(f"ip:{n}")
    governor.allow("busy")
    governor.allow("busy")
    assert window.tracked_keys() == 100 and governor.tracked_keys() == 101
    clock.now += 10.5
    window.allow("late")
    assert window.tracked_keys() == 1
    clock.now += 50  # 60.5 s after the burst: one token back, not yet a full bucket for "busy"
    governor.allow("late")
    assert governor.tracked_keys() == 2  # "busy" still owes a token; "late" just spent one
    assert governor.allow("busy") == (True, 0.0) and governor.allow("busy")[0] is True
    assert governor.allow("busy")[0] is False, "forgetting idle keys never hands out extra tokens"


def test_envelope_and_command_parsing() -> None:
    env = protocol.parse_envelope(b'{"v":1,"t":"subscribe","d":{"guild_id":"%s","channel_id":"%s","x":{"a":1,"a":2}}}' % (
        G.encode(), G.encode()))
    assert env is not None and env.t == "subscribe"  # extra members inside d are not an envelope concern
    assert protocol.parse_subscribe(env.d) is None
    assert protocol.parse_subscribe([G, G]) == protocol.Subscribe(G, G)  # positional form (§13.5)
    command = protocol.parse_message_create({"guild_id": G, "channel_id": G, "content": "", "attachment_ids": [G, G.lower(), G]})
    assert command is not None and command.attachment_ids == [G, G.lower()]
    assert protocol.parse_message_create({"guild_id": G, "channel_id": G, "content": "x", "attachment_ids": None}) is not None
    assert protocol.parse_envelope(b'{"v":1,"t":"' + b"a" * 65 + b'","d":1}') is None


def test_client_ip_resolution() -> None:
    trusted = ServerConfig(trusted_proxy_cidrs=["10.0.0.0/8"]).trusted_networks()
    assert resolve_client_ip("127.0.0.1", {"X-Forwarded-For": "1.2.3.4"}, trusted) == "127.0.0.1"
    assert resolve_client_ip("10.1.1.1", {"X-Forwarded-For": "1.2.3.4, 10.1.1.1"}, trusted) == "1.2.3.4"
    assert resolve_client_ip("10.1.1.1", {"CF-Connecting-IP": "5.6.7.8", "X-Forwarded-For": "1.2.3.4"}, trusted) == "5.6.7.8"
    assert resolve_client_ip("10.1.1.1", {"X-Forwarded-For": "1.2.3.4:80"}, trusted) is None
    assert resolve_client_ip("10.1.1.1", {}, trusted) is None


def test_config_sources(tmp_path) -> None:
    path = tmp_path / "c.json"
    path.write_text('{"gateway_outbound_queue": 8, "faults": ["web.gear_missing"]}')
    config = load_config(str(path), {"faults": ["web.edit_not_applied"], "port": 0},
                         environ={"FILAMENT_TRUSTED_PROXY_CIDRS": "10.0.0.0/8, 127.0.0.1", "FILAMENT_SERVER_OWNER_USER_ID": " "})
    assert (config.gateway_outbound_queue, config.port, config.trusted_proxy_cidrs, config.server_owner_user_id) == (
        8, 0, ["10.0.0.0/8", "127.0.0.1"], None)
    assert config.faults == ["web.gear_missing", "web.edit_not_applied"]
    for environ in ({"FILAMENT_TRUSTED_PROXY_CIDRS": "not-a-cidr"}, {"FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "0"}):
        with pytest.raises(ConfigError):
            load_config(None, {}, environ=environ)


def test_fanout_oversized_full_and_closed(tmp_path) -> None:
    """GATEWAY.md §11.28 without sockets: oversized counted once before any enqueue; full and closed
    connections are counted and pruned; full ones are marked slow."""
    from harness.reference.server.connections import Connection, Registry
    from harness.reference.server.emitter import Emitter
    from harness.reference.server.faults import FaultSet
    from harness.reference.server.metrics import Metrics
    from harness.reference.server.permissions import GuildAuthz
    from harness.reference.server.store import Store

    store = Store(str(tmp_path / "u.sqlite3"))
    registry, metrics = Registry(), Metrics()
    emitter = Emitter(store, registry, metrics, FaultSet(), ServerConfig(max_gateway_event_bytes=120),
                      lambda guild_id: GuildAuthz(store, guild_id, None))
    ok, full, closed = (Connection(u, None, 1) for u in ("A" * 26, "B" * 26, "C" * 26))
    for conn in (ok, full, closed):
        registry.register(conn)
    full.try_enqueue("x")
    closed.close_queue()
    assert emitter.users([c.user_id for c in (ok, full, closed)], "friend_remove", {"user_id": "x" * 200}) == 0
    assert metrics.value("filament_gateway_events_dropped_total", "user", "friend_remove", "oversized_outbound") == 1
    assert not ok.queue
    assert emitter.users([c.user_id for c in (ok, full, closed)], "friend_remove", {"user_id": "small"}) == 1
    assert metrics.value("filament_gateway_events_dropped_total", "user", "friend_remove", "full_queue") == 1
    assert metrics.value("filament_gateway_events_dropped_total", "user", "friend_remove", "closed") == 1
    assert metrics.value("filament_gateway_events_emitted_total", "user", "friend_remove") == 1
    assert full.slow_consumer and not closed.slow_consumer
    assert registry.user_connections([c.user_id for c in (ok, full, closed)]) == [ok]  # both pruned
    store.close()


def test_contract_event_catalogue() -> None:
    """GATEWAY.md §11.29: the server's event set is the manifest's; every non-voice type has an emitter."""
    from pathlib import Path

    from harness.reference.server.faults import EVENT_TYPES

    manifest = {
        "ready", "subscribed", "presence_sync", "presence_update", "voice_participant_sync", "message_create",
        "message_update", "message_delete", "message_reaction", "channel_create", "workspace_update",
        "workspace_member_add", "workspace_member_update", "workspace_member_remove", "workspace_member_ban",
        "workspace_role_create", "workspace_role_update", "workspace_role_delete", "workspace_role_reorder",
        "workspace_role_assignment_add", "workspace_role_assignment_remove", "workspace_channel_role_override_update",
        "workspace_channel_permission_override_update", "workspace_ip_ban_sync", "profile_update",
        "profile_avatar_update", "profile_banner_update", "friend_request_create", "friend_request_update",
        "friend_request_delete", "friend_remove", "voice_participant_join", "voice_participant_leave",
        "voice_participant_update", "voice_stream_publish", "voice_stream_unpublish",
    }
    assert set(EVENT_TYPES) == manifest and len(manifest) == 36
    source = "\n".join(p.read_text() for p in (Path(__file__).resolve().parents[2] / "harness/reference/server").glob("*.py")
                       if p.name != "faults.py")
    emitted = [t for t in manifest if not t.startswith("voice_") or t == "voice_participant_sync"]
    profile_images = ("profile_avatar_update", "profile_banner_update")  # built as f"profile_{kind}_update"
    missing = [t for t in emitted if f'"{t}"' not in source and not (t in profile_images and 'f"profile_{kind}_update"' in source)]
    assert missing == []


def test_serve_reference_relaxes_the_harness_tripped_limits_under_every_other_source(tmp_path) -> None:
    from harness.reference.cli import HARNESS_FRIENDLY_LIMITS
    from harness.targets.reference import HARNESS_REFERENCE_CONFIG

    assert HARNESS_FRIENDLY_LIMITS == dict(HARNESS_REFERENCE_CONFIG), "serve-reference and the target agree"
    relaxed = load_config(None, {}, environ={}, base=HARNESS_FRIENDLY_LIMITS)
    assert relaxed.auth_route_requests_per_minute == 1_000_000
    assert load_config(None, {}, environ={}).auth_route_requests_per_minute == 60, "Filament's own limit"
    path = tmp_path / "c.json"
    path.write_text('{"auth_route_requests_per_minute": 7}')
    assert load_config(str(path), {}, environ={}, base=HARNESS_FRIENDLY_LIMITS).auth_route_requests_per_minute == 7
    env = {"FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE": "9"}
    assert load_config(None, {}, environ=env, base=HARNESS_FRIENDLY_LIMITS).auth_route_requests_per_minute == 9
