"""Everything a request handler may need, built once per server process."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .auth import PasswordHasher, TokenSigner
from .clientip import Network
from .config import ServerConfig
from .connections import Registry
from .emitter import Emitter
from .faults import FaultSet
from .metrics import Metrics
from .permissions import GuildAuthz
from .ratelimit import Governor, SlidingWindow
from .store import Store


@dataclass
class Limiters:
    governor: Governor
    auth_routes: SlidingWindow
    join_ip: SlidingWindow
    join_user: SlidingWindow
    media_token: SlidingWindow
    media_publish: SlidingWindow

    @classmethod
    def from_config(cls, config: ServerConfig) -> "Limiters":
        return cls(
            governor=Governor(config.rate_limit_requests_per_minute, config.rate_limit_replenish_secs),
            auth_routes=SlidingWindow(config.auth_route_requests_per_minute, config.auth_route_window_secs),
            join_ip=SlidingWindow(config.directory_join_requests_per_minute_per_ip, 60.0),
            join_user=SlidingWindow(config.directory_join_requests_per_minute_per_user, 60.0),
            media_token=SlidingWindow(config.media_token_requests_per_minute, 60.0),
            media_publish=SlidingWindow(config.media_publish_requests_per_minute, 60.0),
        )


@dataclass
class AppState:
    config: ServerConfig
    store: Store
    files: Path  # attachment root: attachments/, avatars/, banners/
    faults: FaultSet
    metrics: Metrics = field(default_factory=Metrics)
    registry: Registry = field(default_factory=Registry)
    signer: TokenSigner = field(init=False)
    hasher: PasswordHasher = field(init=False)
    limiters: Limiters = field(init=False)
    emitter: Emitter = field(init=False)
    trusted_networks: list[Network] = field(init=False)  # parsed once, read by every request

    def __post_init__(self) -> None:
        self.signer = TokenSigner(self.config.access_token_ttl_secs)
        self.hasher = PasswordHasher(self.config.scrypt_n, self.config.scrypt_r, self.config.scrypt_p)
        self.limiters = Limiters.from_config(self.config)
        self.emitter = Emitter(self.store, self.registry, self.metrics, self.faults, self.config, self.authz)
        self.trusted_networks = self.config.trusted_networks()
        for sub in ("attachments", "avatars", "banners"):
            (self.files / sub).mkdir(parents=True, exist_ok=True)

    def authz(self, guild_id: str) -> GuildAuthz:
        return GuildAuthz(self.store, guild_id, self.config.server_owner_user_id)
