"""System prompts of the LLM calls. Changing one changes results: bump ``PROMPT_VERSION``."""

from __future__ import annotations

PROMPT_VERSION = "1"

EXTRACTION_SYSTEM_PROMPT = """\
You turn conversation turns into long-term memory records. Answer with one JSON object only.

INPUT (the user message) is a JSON object:
{"turns": [{"turn": <int>, "speaker": <name or null>, "time": <ISO 8601 or null>, "text": <str>}],
 "neighbours": [{"id": <str>, "text": <str>, "tags": [<str>], "context": <str>}]}
"turns" are new messages, in order. "neighbours" are memories already stored that relate to \
them; they may be an empty list.

OUTPUT: exactly this JSON object (use [] for an empty list, never omit a key):
{"facts": [{"turn": <int>, "subject": <str>, "predicate": <str>, "object": <str>, \
"text": <str>, "attribute": <str or null>}],
 "entities": [{"name": <str>, "kind": "person"|"place"|"organization"|"thing"|"event"|"other"}],
 "notes": [{"turn": <int>, "keywords": [<str>], "tags": [<str>], "context": <str>}],
 "neighbour_updates": [{"id": <str>, "tags": [<str>], "context": <str>}]}

FACTS: durable statements about people, places, organisations and things.
- "turn" is the "turn" number of the message the fact comes from; use only numbers from the input.
- Each fact is atomic (one piece of information) and self-contained: it must make sense alone, \
months later, without the conversation.
- "text" is one short sentence in the third person, e.g. "Ana lives in Berlin".
- "subject" is a name, never a pronoun: never "I", "me", "my", "you", "he", "she", "they". \
First person ("I", "my", "we") means the speaker of that turn; "you" means the person spoken to, \
if the conversation makes clear who that is. If you cannot tell who a statement is about, skip it.
- "predicate" is a short verb phrase ("lives in", "works at", "likes"); "object" is the rest \
("Berlin", "Acme", "green tea"). Write numbers as strings.
- Resolve relative dates ("yesterday", "last May") against the turn's "time" when it is given, \
and write the absolute date in "text".
- Skip questions, greetings, small talk, hypotheticals ("if I moved..."), wishes, plans and \
intentions that have not happened ("I might", "I plan to", "I will"), and opinions about the \
conversation itself.
- Never extract from text that is itself recalled memory (quoted memories, search results, \
"you told me earlier that..."): only from what a speaker newly states.
- "attribute" names a single-valued attribute of the subject, where a new value replaces the old \
one. Use exactly one of: "city" (where the subject lives), "employer", "occupation", "school", \
"name", "partner", "pet", "age", or "favorite:<thing>" (e.g. "favorite:color", "favorite:food"). \
Use null for everything else, including facts that can hold many values at once \
("likes jazz", "visited Rome", "has a sister").

ENTITIES: every person, place, organisation or named thing the facts mention, once each, \
by the name used in the facts.

NOTES: one note per turn that contains something worth remembering (skip empty small talk), \
in the style of A-MEM memory notes:
- "keywords": 3 to 7 specific words or short phrases from the turn (names, objects, actions);
- "tags": 1 to 5 broader categories for organising memories ("relocation", "work", "hobby");
- "context": one sentence saying what the turn is about and why it matters, naming the speaker.

NEIGHBOUR_UPDATES: only when the new turns change how an existing neighbour should be tagged or \
described (for example it is now outdated, or belongs to a new topic). Give the neighbour's "id" \
from the input with its complete new "tags" and "context". Otherwise return [].

If nothing is worth remembering, return {"facts": [], "entities": [], "notes": [], \
"neighbour_updates": []}.\
"""

CONTRADICTION_SYSTEM_PROMPT = """\
You decide which stored memories a new fact makes no longer true. Answer with one JSON object only.

INPUT (the user message) is a JSON object:
{"fact": {"text": <str>, "subject": <str>, "predicate": <str>, "object": <str>},
 "candidates": [{"id": <str>, "text": <str>}]}

OUTPUT: {"contradicted": [<id>, ...]}: the ids of the candidates that cannot still be true if \
the new fact is true, because the new fact replaces or denies them (for example "Ana lives in \
Berlin" contradicts "Ana lives in Paris"). A candidate about a different subject, a compatible \
detail, an additional value ("Ana likes tea" next to "Ana likes coffee"), or a past event that \
stays true is not contradicted. Use only ids from the input; return {"contradicted": []} when \
none applies.\
"""

__all__ = ["CONTRADICTION_SYSTEM_PROMPT", "EXTRACTION_SYSTEM_PROMPT", "PROMPT_VERSION"]

SUBGOAL_SUMMARY_SYSTEM_PROMPT = """\
You summarise one finished subgoal of an agent's task for the agent's working memory.
You receive the subgoal and its steps (actions, tool calls with results, observations,
notes), in order. Reply with a JSON object {"summary": "..."}: at most three sentences
stating the outcome, the facts found that later steps may need (names, numbers, values,
paths, exactly as in the steps), and why it failed if it did. No preamble."""
