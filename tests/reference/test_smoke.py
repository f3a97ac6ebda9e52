"""The vertical slice end to end: REST and gateway on one port."""

from .helpers import Api, is_ulid


async def test_health_and_api_prefix(api: Api) -> None:
    assert (await api.ok("GET", "/health")) == {"status": "ok"}
    assert (await api.ok("GET", "/api/health")) == {"status": "ok"}


async def test_message_roundtrip_over_gateway(server, api: Api) -> None:
    alice = await api.user()
    guild_id = await api.guild(alice)
    channel_id = await api.channel(alice, guild_id)
    gw = await server.gw(alice)
    frames = await gw.subscribe(guild_id, channel_id)
    assert [f.t for f in frames] == ["presence_sync", "presence_update", "subscribed", "voice_participant_sync"]
    sent = await api.message(alice, guild_id, channel_id, "hello *world*")
    got = await gw.expect("message_create")
    assert got == sent and is_ulid(got["message_id"])
    await gw.quiet()
