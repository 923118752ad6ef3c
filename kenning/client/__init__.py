"""Clients of a running Kenning server (``kenning serve``)."""

from __future__ import annotations

from kenning.client.async_remote import AsyncRemoteMemory
from kenning.client.remote import AccessDenied, RemoteError, RemoteMemory

__all__ = ["AccessDenied", "AsyncRemoteMemory", "RemoteError", "RemoteMemory"]
