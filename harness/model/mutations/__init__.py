"""The mutation catalogue: one small class per mutation kind, grouped by domain.

``ROWS`` maps every row id of the mutation → event table to its class.
"""
from __future__ import annotations

from harness.model.mutations.base import (
    GATEWAY_SENT, NO_BODY, EventPrediction, GatewayCall, Mutation, RestCall, RestResult, Verdict,
)
from harness.model.mutations.friends import AcceptFriendRequest, DeleteFriendRequest, RemoveFriend, SendFriendRequest
from harness.model.mutations.ip_bans import IpBanUser, RemoveIpBan
from harness.model.mutations.members import AddMember, BanMember, JoinGuild, KickMember, UpdateMemberRole
from harness.model.mutations.messages import (
    AddReaction, CreateMessage, DeleteMessage, EditMessage, GatewayMessage, RemoveReaction,
)
from harness.model.mutations.overrides import SetLegacyOverride, SetPermissionOverride
from harness.model.mutations.profile import PNG_1X1, UpdateProfile, UploadAvatar, UploadBanner
from harness.model.mutations.roles import AssignRole, CreateRole, DeleteRole, ReorderRoles, UnassignRole, UpdateRole
from harness.model.mutations.setup import CreateGuild, LoadRoles, Login, Register, SetDefaultJoinRole, WhoAmI
from harness.model.mutations.workspace import CreateChannel, UpdateWorkspace

ROWS: dict[str, type[Mutation]] = {
    cls.row: cls
    for cls in (
        CreateMessage, GatewayMessage, EditMessage, DeleteMessage, AddReaction, RemoveReaction,
        CreateChannel, UpdateWorkspace,
        AddMember, JoinGuild, UpdateMemberRole, KickMember, BanMember,
        CreateRole, UpdateRole, DeleteRole, ReorderRoles, AssignRole, UnassignRole,
        SetLegacyOverride, SetPermissionOverride,
        IpBanUser, RemoveIpBan,
        UpdateProfile, UploadAvatar, UploadBanner,
        SendFriendRequest, AcceptFriendRequest, DeleteFriendRequest, RemoveFriend,
        Register, Login, WhoAmI, CreateGuild, LoadRoles, SetDefaultJoinRole,
    )
}

__all__ = [
    "ROWS", "GATEWAY_SENT", "NO_BODY", "EventPrediction", "GatewayCall", "Mutation", "RestCall", "RestResult",
    "Verdict", "PNG_1X1",
    *(cls.__name__ for cls in ROWS.values()),
]
