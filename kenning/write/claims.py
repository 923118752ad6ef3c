"""Who derives which pending episodes: claims with a lease, owned by one call of one process.

An ``add`` claims the episodes it stores (in the same transaction) and derives exactly those.
Episodes left pending by a failed call are released; by a crashed process, they are taken
over when the lease runs out, or at once when the owner is a process on this host that no
longer runs. The store checks the claim again when the derived memories are committed, so
two processes never both commit the derivation of one episode.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

#: How long a claim holds without its owner finishing (an add with LLM extraction and
#: retries stays well within it); after that anyone may derive the episodes.
LEASE = timedelta(minutes=10)

_HOST = socket.gethostname()


def new_owner() -> str:
    """A claim owner unique to one call: ``host:pid:token``."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def is_dead(owner: str) -> bool:
    """Whether ``owner`` is a process of this host that no longer runs (unknown: False)."""
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False


def claimable(
    claims: Sequence[tuple[str | None, datetime | None]], now: datetime
) -> tuple[bool, list[str]]:
    """Whether any pending episode can be claimed now, and the dead owners among the claims."""
    dead = [owner for owner, _ in claims if owner is not None and is_dead(owner)]
    free = any(
        owner is None or (expires is not None and expires < now) or owner in dead
        for owner, expires in claims
    )
    return free, dead


__all__ = ["LEASE", "claimable", "is_dead", "new_owner"]
