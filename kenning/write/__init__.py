"""The write path: validate, persist episodes, derive memories, embed, index."""

from kenning.write.ingest import Ingestor
from kenning.write.messages import Message, normalize_messages

__all__ = ["Ingestor", "Message", "normalize_messages"]
