"""H2 of docs/real-server.md: a page's reaction to an event must not be ordered before the mutation
that caused it. A kicked page switches workspace as soon as its ``workspace_member_remove`` arrives; the
kick's REST answer can come back *after* that (a busy server answers late). The model used to apply the
page's switch first and then compute the kick's audience without the page's old socket, so the removal
the server rightly sent to that socket counted as a leak. Here the kick's answer is held back 1 s by a
proxy in front of the reference target, which made it happen every time."""
from __future__ import annotations

import asyncio
import re

from aiohttp import web

from harness.targets.proxy import TamperingProxy
from harness.targets.reference import ReferenceTarget
from scenarios.browser import BROWSER_SCENARIOS
from tests.support.browser_runs import run_with_browsers

KICK = re.compile(r"^(/api)?/guilds/[^/]+/members/[^/]+/kick$")
HELD_BACK_S = 1.0


class SlowKickAnswers(TamperingProxy):
    """The reference target, with the answer to every kick held back after the server acted on it."""

    async def _proxy_http(self, request: web.Request) -> web.StreamResponse:
        response = await super()._proxy_http(request)
        if request.method == "POST" and KICK.match(request.path):
            await asyncio.sleep(HELD_BACK_S)
        return response


async def test_a_kicked_pages_switch_is_ordered_after_the_kick_whose_answer_came_late(tmp_path):
    [spec] = [s for s in BROWSER_SCENARIOS if s.id == "browser.member.kick_self"]
    async with SlowKickAnswers(ReferenceTarget(), owns_inner=True) as target:
        [result] = await run_with_browsers(target, [spec], tmp_path)
    assert result.status == "passed", result.error or [f.message for f in result.failures]
    kick = next(a for a in result.steps if a.kind == "mutation" and a.name == "member.kick")
    after = [(a.kind, a.client) for a in result.steps if a.step > kick.step]
    # the page's reaction (its old socket closed, a new one opened) is recorded after the kick
    assert ("disconnect", "b_member") in after and ("connect", "b_member") in after, after
