"""Clients of a running Kenning server (``kenning serve``)."""

from __future__ import annotations

from kenning.client.remote import AccessDenied, RemoteError, RemoteMemory

__all__ = ["AccessDenied", "RemoteError", "RemoteMemory"]
