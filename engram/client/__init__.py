"""Clients of a running Engram server (``engram serve``)."""

from __future__ import annotations

from engram.client.remote import AccessDenied, RemoteError, RemoteMemory

__all__ = ["AccessDenied", "RemoteError", "RemoteMemory"]
