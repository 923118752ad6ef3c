"""Local extraction: time expressions, entities, keyphrases, rewrites (no LLM)."""
