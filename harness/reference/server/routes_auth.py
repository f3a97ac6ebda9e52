"""Auth, profile and user routes (REST.md §6)."""

from __future__ import annotations

import hashlib
import time

from aiohttp import web

from . import payloads
from .auth import new_refresh_token, token_hash, valid_password, valid_username
from .context import Ctx, no_content, ok, stored_file
from .errors import invalid_request, not_found, payload_too_large, unauthorized
from .guards import require_ulid_param
from .ids import canonical_ulid, is_ulid, new_ulid, now_unix
from .markdown import tokenize
from .router import Router
from .schemas import Login, Lookup, ProfilePatch, RefreshBody, Register
from .sniff import PROFILE_IMAGE_TYPES, mime_essence, sniff
from .store import Row

REFRESH_REPLAY_GRACE_SECS = 3600


def _issue(ctx: Ctx, user: Row, session_id: str, refresh: str) -> web.Response:
    access = ctx.state.signer.issue(user["user_id"], user["username"])
    return ok({"access_token": access, "refresh_token": refresh, "expires_in_secs": ctx.state.config.access_token_ttl_secs})


async def register_user(ctx: Ctx) -> web.Response:
    body = await ctx.json(Register)
    ctx.auth_route_limit("register")
    if not valid_username(body.username) or not valid_password(body.password):
        raise invalid_request()
    # An existing username changes nothing and answers the same (no account enumeration).
    ctx.state.store.create_user(body.username, ctx.state.hasher.hash(body.password))
    return ok({"accepted": True})


async def login(ctx: Ctx) -> web.Response:
    body = await ctx.json(Login)
    ctx.auth_route_limit("login")
    state, config = ctx.state, ctx.state.config
    if not valid_username(body.username) or not valid_password(body.password):
        raise unauthorized()
    user = state.store.user_by_name(body.username)
    if user is None:
        state.hasher.dummy_verify(body.password)
        raise unauthorized()
    if user["locked_until"] > time.time():
        raise unauthorized()
    if not state.hasher.verify(body.password, user["password_hash"]):
        failed = user["failed_logins"] + 1
        if failed >= config.login_lockout_threshold:
            state.store.set_login_state(user["user_id"], 0, time.time() + config.login_lockout_secs)
        else:
            state.store.set_login_state(user["user_id"], failed, 0)
        raise unauthorized()
    state.store.set_login_state(user["user_id"], 0, 0)
    session_id = new_ulid()
    refresh = new_refresh_token(session_id)
    state.store.create_session(session_id, user["user_id"], token_hash(refresh), now_unix() + config.refresh_session_ttl_secs)
    return _issue(ctx, user, session_id, refresh)


def _check_refresh_shape(token: str) -> None:
    if not token or len(token.encode("utf-8")) > 512:
        raise unauthorized()


async def refresh(ctx: Ctx) -> web.Response:
    body = await ctx.json(RefreshBody)
    ctx.auth_route_limit("refresh")
    _check_refresh_shape(body.refresh_token)
    store, config = ctx.state.store, ctx.state.config
    presented = token_hash(body.refresh_token)
    replayed = store.used_token_session(presented)
    if replayed is not None:
        store.revoke_session(replayed)  # replay of a rotated token revokes the whole session
        raise unauthorized()
    session = store.session(body.refresh_token.split(".", 1)[0])
    if (
        session is None
        or session["revoked"]
        or session["expires_at"] <= now_unix()
        or session["token_hash"] != presented
    ):
        raise unauthorized()
    user = store.user(session["user_id"])
    if user is None:
        raise unauthorized()
    new_token = new_refresh_token(session["session_id"])
    expires = now_unix() + config.refresh_session_ttl_secs
    store.rotate_session(session["session_id"], presented, token_hash(new_token), expires, expires + REFRESH_REPLAY_GRACE_SECS)
    return _issue(ctx, user, session["session_id"], new_token)


async def logout(ctx: Ctx) -> web.Response:
    body = await ctx.json(RefreshBody)
    _check_refresh_shape(body.refresh_token)
    store = ctx.state.store
    session = store.session(body.refresh_token.split(".", 1)[0])
    if session is None or session["token_hash"] != token_hash(body.refresh_token):
        raise unauthorized()
    store.revoke_session(session["session_id"])
    return no_content()


async def me(ctx: Ctx) -> web.Response:
    return ok(payloads.profile(ctx.auth()))


def _valid_about(text: str) -> bool:
    return len(text.encode("utf-8")) <= 2048 and "\x00" not in text


async def patch_profile(ctx: Ctx) -> web.Response:
    body = await ctx.json(ProfilePatch)
    ctx.auth_route_limit("profile_update")
    user = ctx.auth()
    if body.username is None and body.about_markdown is None:
        raise invalid_request()
    if body.username is not None and not valid_username(body.username):
        raise invalid_request()
    if body.about_markdown is not None and not _valid_about(body.about_markdown):
        raise invalid_request()
    store = ctx.state.store
    if not store.update_profile(user["user_id"], body.username, body.about_markdown):
        raise invalid_request()  # username taken by another account
    updated = store.user(user["user_id"])
    fields: dict[str, object] = {}
    if body.username is not None:
        fields["username"] = body.username
    if body.about_markdown is not None:
        fields["about_markdown"] = updated["about_markdown"]
        fields["about_markdown_tokens"] = tokenize(updated["about_markdown"])
    ctx.state.emitter.profile(
        user["user_id"],
        "profile_update",
        {"updated_at_unix": now_unix(), "updated_fields": fields, "user_id": user["user_id"]},
    )
    return ok(payloads.profile(updated))


async def get_profile(ctx: Ctx) -> web.Response:
    ctx.auth()
    user = ctx.state.store.user(require_ulid_param(ctx.params["user_id"]))
    if user is None:
        raise not_found()
    return ok(payloads.profile(user))


def _image_response(ctx: Ctx, kind: str) -> web.StreamResponse:
    user = ctx.state.store.user(require_ulid_param(ctx.params["user_id"]))
    if user is None or not user[f"{kind}_version"] or not user[f"{kind}_mime"]:
        raise not_found()
    return stored_file(ctx.state.files / f"{kind}s" / user["user_id"], user[f"{kind}_mime"], "public, max-age=300",
                       etag=user[f"{kind}_sha256"])


async def get_avatar(ctx: Ctx) -> web.StreamResponse:
    return _image_response(ctx, "avatar")


async def get_banner(ctx: Ctx) -> web.StreamResponse:
    return _image_response(ctx, "banner")


async def lookup(ctx: Ctx) -> web.Response:
    body = await ctx.json(Lookup)
    ctx.auth()
    if not 1 <= len(body.user_ids) <= 64 or not all(is_ulid(u) for u in body.user_ids):
        raise invalid_request()
    ids = list(dict.fromkeys(canonical_ulid(u) for u in body.user_ids))
    rows = ctx.state.store.users_by_ids(ids)
    users = [
        {"user_id": uid, "username": rows[uid]["username"], "avatar_version": rows[uid]["avatar_version"]}
        for uid in ids
        if uid in rows
    ]
    return ok({"users": users})


async def _upload_image(ctx: Ctx, kind: str, limit: int) -> web.Response:
    ctx.auth_route_limit(f"profile_{kind}_upload")
    user = ctx.auth()
    declared = ctx.request.headers.get("Content-Type")
    essence = None
    if declared is not None:
        essence = mime_essence(declared)
        if essence is None:
            raise invalid_request()
    data = await ctx.read_body(limit)
    if data is None:
        raise payload_too_large()
    if not data:
        raise invalid_request()
    detected = sniff(data)
    if detected not in PROFILE_IMAGE_TYPES or (essence is not None and essence != detected):
        raise invalid_request()
    store = ctx.state.store
    current = store.user(user["user_id"])
    version = max(current[f"{kind}_version"] + 1, now_unix())
    (ctx.state.files / f"{kind}s" / user["user_id"]).write_bytes(data)
    store.set_profile_image(user["user_id"], kind, detected, hashlib.sha256(data).hexdigest(), version)
    ctx.state.emitter.profile(
        user["user_id"],
        f"profile_{kind}_update",
        {f"{kind}_version": version, "updated_at_unix": now_unix(), "user_id": user["user_id"]},
    )
    return ok(payloads.profile(store.user(user["user_id"])))


async def upload_avatar(ctx: Ctx) -> web.Response:
    return await _upload_image(ctx, "avatar", ctx.state.config.avatar_max_bytes)


async def upload_banner(ctx: Ctx) -> web.Response:
    return await _upload_image(ctx, "banner", ctx.state.config.banner_max_bytes)


def register(router: Router) -> None:
    router.add("POST", "/auth/register", register_user)
    router.add("POST", "/auth/login", login)
    router.add("POST", "/auth/refresh", refresh)
    router.add("POST", "/auth/logout", logout)
    router.add("GET", "/auth/me", me)
    router.add("PATCH", "/users/me/profile", patch_profile)
    router.add("GET", "/users/{user_id}/profile", get_profile)
    router.add("GET", "/users/{user_id}/avatar", get_avatar)
    router.add("GET", "/users/{user_id}/banner", get_banner)
    router.add("POST", "/users/lookup", lookup)
    router.add("POST", "/users/me/profile/avatar", upload_avatar)
    router.add("POST", "/users/me/profile/banner", upload_banner)

