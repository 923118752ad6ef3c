"""The write path: validate, persist episodes, derive memories, embed, index."""

from engram.write.ingest import Ingestor
from engram.write.messages import Message, normalize_messages

__all__ = ["Ingestor", "Message", "normalize_messages"]
