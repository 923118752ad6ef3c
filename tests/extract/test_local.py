"""Local extraction: entities, keyphrases, first-person rewrites, entity keys, query entities."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kenning.extract.local import MAX_CHARS, Extraction, entity_key, extract, query_entities

# --- entities ---------------------------------------------------------------------------------


def test_proper_names_and_multi_word_names() -> None:
    text = "We drove from New York to the Grand Canyon with Caroline. Bank of America paid."
    assert extract(text).entities == ("New York", "Grand Canyon", "Caroline", "Bank of America")


def test_connector_names_keep_inner_lowercase_words() -> None:
    assert "Lord of the Rings" in extract("We watched Lord of the Rings again.").entities
    # a trailing connector is not part of the name
    assert extract("I saw Caroline of course.").entities == ("Caroline",)


@pytest.mark.parametrize(
    "text",
    [
        "Yesterday was fun.",
        "Thanks for the tip!",
        "Wow, that is lovely.",
        "The dog barked.",
        "I love it.",
        "My sister called.",
        "Hey! How are you?",
        "Talking helps a lot.",
        "Conversations about identity matter.",
        "Books are my escape.",
    ],
)
def test_sentence_initial_common_words_are_not_entities(text: str) -> None:
    assert extract(text).entities == ()


def test_leading_interjections_and_time_words_are_dropped_from_names() -> None:
    assert extract("Hey Mel! Yesterday Caroline called.").entities == ("Mel", "Caroline")


def test_sentence_initial_rare_word_is_a_name_unless_seen_in_lower_case() -> None:
    assert extract("Caroline went home.").entities == ("Caroline",)
    assert extract("Pottery relaxes me. I love pottery.").entities == ()


def test_sentence_initial_common_word_capitalised_elsewhere_is_a_name() -> None:
    assert extract("Will is coming over. I met Will at school.").entities == ("Will",)
    assert extract("Will you come over?").entities == ()
    assert extract("Did Caroline call? I know Will Smith.").entities == ("Caroline", "Will Smith")


def test_acronyms() -> None:
    ents = extract("I joined an LGBTQ group in NYC. LGBTQ people are welcome.").entities
    assert ents == ("LGBTQ", "NYC")
    assert extract("OK that is fine. I LOVE IT SO MUCH").entities == ()


def test_possessives_are_stripped() -> None:
    assert extract("I borrowed Caroline's car and Melanie\u2019s bike.").entities == (
        "Caroline",
        "Melanie",
    )


def test_quoted_titles_are_one_entity() -> None:
    ents = extract('I read "Charlotte\'s Web" and “The Fault in Our Stars” to the kids.').entities
    assert ents == ("Charlotte's Web", "The Fault in Our Stars")
    # quoted speech is not a title
    assert extract('She said "let me know" and "Hello!" to us.').entities == ()


def test_days_months_contractions_and_pronoun_i_are_not_entities() -> None:
    text = "On Monday in May I said I'll call. Can't wait! You'll see, it's Friday."
    assert extract(text).entities == ()


def test_internal_capitals_and_dedup() -> None:
    text = "My iPhone broke. Caroline fixed my iPhone, and caroline's friend Caroline."
    ents = extract(text).entities
    assert ents == ("iPhone", "Caroline")


def test_speaker_is_not_an_entity_unless_mentioned() -> None:
    assert extract("I adopted a dog.", speaker="Ana").entities == ()
    assert extract("Ana here, I adopted a dog.", speaker="Ana").entities == ("Ana",)


# --- rewrites ---------------------------------------------------------------------------------


def test_rewrite_example_from_the_brief() -> None:
    out = extract("I adopted a border collie named Pixel last week!", speaker="Ana")
    assert out.rewrites == ("Ana adopted a border collie named Pixel last week.",)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I'm researching adoption agencies.", "Ana is researching adoption agencies."),
        ("I've been painting a lot lately.", "Ana has been painting a lot lately."),
        ("I\u2019ll visit Paris in June.", "Ana will visit Paris in June."),
        ("I'd love to go hiking.", "Ana would love to go hiking."),
        ("I'd been there before.", "Ana had been there before."),
        ("My pottery class starts soon.", "Ana's pottery class starts soon."),
        ("She gave it to me yesterday.", "She gave it to Ana yesterday."),
        ("That book is mine.", "That book is Ana's."),
        ("I love my new job!!", "Ana loves Ana's new job."),
        ("I have two cats 🐱", "Ana has two cats."),
        ("I really enjoy running.", "Ana really enjoys running."),
        ("I don't eat meat.", "Ana doesn't eat meat."),
        ("I go there and I watch birds.", "Ana goes there and Ana watches birds."),
        ("Wow, I finally finished it!", "Ana finally finished it."),
        ("We went camping with our kids.", "Ana and others went camping with Ana's kids."),
        ("We're moving to the US soon.", "Ana and others are moving to the US soon."),
        ('I read "Dune" twice!', 'Ana read "Dune" twice.'),
    ],
)
def test_first_person_rewrites(text: str, expected: str) -> None:
    assert extract(text, speaker="Ana").rewrites == (expected,)


def test_rewrites_skip_questions_fragments_and_other_persons() -> None:
    text = "Did I tell you? Me too! She loves dogs. You should come. I bought a kayak."
    assert extract(text, speaker="Ana").rewrites == ("Ana bought a kayak.",)


def test_no_speaker_no_rewrites() -> None:
    assert extract("I adopted a dog last week.").rewrites == ()


# --- keyphrases -------------------------------------------------------------------------------


def test_keyphrases_find_content_phrases() -> None:
    phrases = extract(
        "I'm researching adoption agencies. My pottery class starts soon. "
        "I adopted a border collie named Pixel and joined a support group."
    ).keyphrases
    for expected in ("adoption agencies", "pottery class", "border collie", "support group"):
        assert expected in phrases, phrases
    # multi-word phrases rank before single words
    assert all(len(p.split()) > 1 for p in phrases[:4])


def test_keyphrases_exclude_stop_words_verbs_numbers_and_adverbs() -> None:
    phrases = extract(
        "I think I really got it. You know, we are going to get there 2 times, honestly!"
    ).keyphrases
    assert phrases == ()
    phrases = extract("I have three cats and 12 goldfish in 2023.").keyphrases
    assert phrases == ("cats", "goldfish")


def test_keyphrases_are_lowercase_short_and_capped() -> None:
    words = ["red", "tall", "wild", "old", "sunny", "tiny", "rose", "herb", "moss"]
    text = " ".join(f"The {w} garden" for w in words)
    text += ". " + ", ".join(f"topic{chr(97 + i)}" for i in range(20))
    phrases = extract(text).keyphrases
    assert 0 < len(phrases) <= 8
    assert all(p == p.lower() and 1 <= len(p.split()) <= 3 for p in phrases)


def test_long_runs_keep_their_last_three_words() -> None:
    phrases = extract("She runs a vintage vinyl record store.").keyphrases
    assert "vinyl record store" in phrases


# --- entity_key and query_entities -----------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Caroline", "caroline"),
        ("Caroline's", "caroline"),
        ("Caroline\u2019s", "caroline"),
        ("  The   Grand\tCanyon ", "grand canyon"),
        ("the", "the"),
        ("STRASSE", "strasse"),
        ("Straße", "strasse"),
        ('"Charlotte\'s Web"', "charlotte web"),
        ("LGBTQ", "lgbtq"),
        ("", ""),
    ],
)
def test_entity_key(name: str, key: str) -> None:
    assert entity_key(name) == key


def test_query_entities_capitalised_names() -> None:
    assert query_entities("What did Caroline paint in New York?") == ["Caroline", "New York"]
    assert query_entities("When did Melanie join the LGBTQ group?") == ["Melanie", "LGBTQ"]


def test_query_entities_known_names_in_lower_case() -> None:
    known = {"Caroline", "The Grand Canyon", "Mel", "carol"}
    assert query_entities("what did caroline paint?", {"caroline"}) == ["caroline"]
    assert query_entities("what did caroline paint at the grand canyon?", known) == [
        "Caroline",
        "The Grand Canyon",
    ]
    # whole words only: "carol" is not in "caroline", "mel" is not in "melody"
    assert query_entities("caroline's melody", known) == ["Caroline"]


def test_query_entities_dedupe_capitalised_and_known() -> None:
    assert query_entities("Did Caroline call caroline's mom?", ["caroline"]) == ["Caroline"]


# --- robustness -------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "🙂🎉", "!!!???", "\n\n", "日本に行きました。"])
def test_degenerate_texts(text: str) -> None:
    out = extract(text, speaker="Ana")
    assert isinstance(out, Extraction)
    assert out.entities == () and out.rewrites == ()


def test_only_the_first_max_chars_are_analysed() -> None:
    text = "Caroline went home. " + "x " * MAX_CHARS + "Then Melanie arrived."
    assert extract(text).entities == ("Caroline",)
    assert query_entities("x " * MAX_CHARS + "Melanie") == []


def test_deterministic() -> None:
    text = "Hey Mel! I went to the LGBTQ support group in Boston with my friend Jo yesterday."
    assert extract(text, speaker="Caroline") == extract(text, speaker="Caroline")


def _strip_possessive(name: str) -> str:
    return name[:-2] if name.endswith(("'s", "\u2019s")) else name


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(max_size=300)
    | st.lists(
        st.sampled_from(
            [
                "I", "I'm", "my", "we", "The", "New", "York", "Caroline's", "LGBTQ", "of", "the",
                '"', "Bank", "?", "!", ".", ",", " ", "\n", "\u2019s", "Web", "🙂", "İ", "Σ", "ß", "-",
            ]
        ),
        max_size=40,
    ).map(" ".join),
    speaker=st.none() | st.text(max_size=10),
)  # fmt: skip
def test_properties_hold_for_any_text(text: str, speaker: str | None) -> None:
    out = extract(text, speaker=speaker)
    for name in out.entities:
        assert name and _strip_possessive(name) in text
    lowered = text.lower()
    assert len(out.keyphrases) <= 8
    for phrase in out.keyphrases:
        assert 1 <= len(phrase.split()) <= 3
        for word in phrase.split():
            assert word in lowered
    if not speaker or not speaker.strip():
        assert out.rewrites == ()
    for name in query_entities(text, out.entities):
        assert entity_key(name) in {entity_key(e) for e in out.entities} or name in text
