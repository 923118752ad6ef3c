"""API keys of the REST server: created, listed, revoked and checked against the store.

No web framework here, so ``kenning keys ...`` works without starting a server. A key is
``egk_`` + 32 random bytes (urlsafe base64); the store keeps only its SHA-256. A fast,
unsalted hash is right for such high-entropy tokens: nobody can guess 256 random bits,
so there is nothing for a slow password hash (bcrypt, argon2) to protect against, and a
lookup by hash costs one indexed query per request.
"""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from kenning.errors import NotFound, ValidationError
from kenning.models import ApiKey
from kenning.store import Store
from kenning.write.messages import require_id

TOKEN_PREFIX = "egk_"
# last_used_at is written at most this often per key: not one durable write per request.
_TOUCH_SECONDS = 60.0


def hash_token(token: str) -> str:
    """Hex SHA-256 of a secret token (what the store keeps)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a request acts for: a key's id and the scopes it may touch."""

    key_id: str | None  # None: no keys configured (local access)
    name: str
    users: frozenset[str]
    admin: bool

    def may_touch(self, user_id: str) -> bool:
        return self.admin or user_id in self.users


LOCAL = Principal(key_id=None, name="local", users=frozenset(), admin=True)


class ApiKeys:
    """The keys in a store, and the check every authenticated request goes through."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._lock = threading.Lock()
        self._touched: dict[str, float] = {}
        # Once a key exists, authentication stays required for the life of this object,
        # even if every key is revoked later: revoking cannot open the server.
        self._required = False

    def required(self) -> bool:
        """Whether requests need a key: true as soon as any unrevoked key exists."""
        if not self._required and any(k.revoked_at is None for k in self._store.list_api_keys()):
            self._required = True
        return self._required

    def create(self, *, users: Iterable[str] = (), admin: bool = False, name: str = "") -> str:
        """Store a new key bound to ``users`` (or admin); returns the secret, shown only once."""
        bound = tuple(dict.fromkeys(require_id(u, "users") for u in users))
        if not bound and not admin:
            raise ValidationError("users", "a key needs at least one user, or admin")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        key = ApiKey(
            id=secrets.token_hex(6),
            name=name or (", ".join(bound) if bound else "admin"),
            hash=hash_token(token),
            created_at=datetime.now(UTC),
            users=bound,
            admin=admin,
        )
        self._store.put_api_key(key)
        return token

    def list(self) -> list[ApiKey]:
        """Every key, revoked ones included (never the secrets: only their hashes exist)."""
        return self._store.list_api_keys()

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key by id; it authenticates nothing from now on."""
        revoked = self._store.revoke_api_key(key_id, datetime.now(UTC))
        if revoked is None:
            raise NotFound(f"API key {key_id!r} not found")
        return revoked

    def authenticate(self, token: str) -> Principal | None:
        """The principal of a valid, unrevoked key; None for anything else."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        key = self._store.find_api_key(hash_token(token))
        if key is None or key.revoked_at is not None:
            return None
        now = time.monotonic()
        with self._lock:
            due = now - self._touched.get(key.id, -_TOUCH_SECONDS) >= _TOUCH_SECONDS
            if due:
                self._touched[key.id] = now
        if due:
            self._store.touch_api_key(key.id, datetime.now(UTC))
        return Principal(key_id=key.id, name=key.name, users=frozenset(key.users), admin=key.admin)
