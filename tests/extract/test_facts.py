"""Rule-based single-valued facts: phrasings per attribute, negatives, subjects, slots."""

from __future__ import annotations

import dataclasses

import pytest

from kenning.extract.facts import Fact, extract_facts, slot_of

SPEAKER = "Ana"


def _of(text: str, attribute: str, speaker: str | None = SPEAKER) -> list[Fact]:
    return [f for f in extract_facts(text, speaker=speaker) if f.attribute == attribute]


# (text, subject, attribute, value, ended)
POSITIVE: list[tuple[str, str, str, str, bool]] = [
    # city
    ("I live in Paris", "Ana", "city", "Paris", False),
    ("I'm living in Lisbon now", "Ana", "city", "Lisbon", False),
    ("we moved to Berlin", "Ana", "city", "Berlin", False),
    ("I just relocated to Austin", "Ana", "city", "Austin", False),
    ("I'm based in Tokyo", "Ana", "city", "Tokyo", False),
    ("home is Oslo these days", "Ana", "city", "Oslo", False),
    ("we settled in Denver", "Ana", "city", "Denver", False),
    ("I've been living in Rome for 2 years", "Ana", "city", "Rome", False),
    ("We live in San Francisco now.", "Ana", "city", "San Francisco", False),
    ("I moved to New York last year", "Ana", "city", "New York", False),
    ("I moved from Paris to Berlin in 2019.", "Ana", "city", "Berlin", False),
    ("I live in Paris, France", "Ana", "city", "Paris", False),
    ("I live in St. Louis now.", "Ana", "city", "St. Louis", False),
    ("I now call Berlin home", "Ana", "city", "Berlin", False),
    ("Our home is now in Madrid", "Ana", "city", "Madrid", False),
    ("i live in Leeds", "Ana", "city", "Leeds", False),
    ("I no longer live in Paris", "Ana", "city", "Paris", True),
    ("I don't live in Paris anymore", "Ana", "city", "Paris", True),
    ("we moved away from Paris", "Ana", "city", "Paris", True),
    # employer
    ("I work at Google", "Ana", "employer", "Google", False),
    ("I work for Acme Corp.", "Ana", "employer", "Acme Corp", False),
    ("I just started a new job at Stripe", "Ana", "employer", "Stripe", False),
    ("I joined Microsoft last month", "Ana", "employer", "Microsoft", False),
    ("I got hired by Spotify", "Ana", "employer", "Spotify", False),
    ("I'm an engineer at Airbus", "Ana", "employer", "Airbus", False),
    ("I've been working at Google for 3 years", "Ana", "employer", "Google", False),
    ("My new job at Stripe is great", "Ana", "employer", "Stripe", False),
    ("I work at Bank of America", "Ana", "employer", "Bank of America", False),
    ("I work at McDonald's.", "Ana", "employer", "McDonald's", False),
    ("I work at AT&T", "Ana", "employer", "AT&T", False),
    ("I work for a startup", "Ana", "employer", "a startup", False),
    ("I'm interning at NASA this summer", "Ana", "employer", "NASA", False),
    ("Spotify hired me!", "Ana", "employer", "Spotify", False),
    ("I got a job as a cashier at Target", "Ana", "employer", "Target", False),
    ("I'm now at Shopify and loving the team", "Ana", "employer", "Shopify", False),
    ("I quit my job at Google", "Ana", "employer", "Google", True),
    ("I quit my job", "Ana", "employer", "", True),
    ("I don't work at Google anymore", "Ana", "employer", "Google", True),
    ("I no longer work at Google", "Ana", "employer", "Google", True),
    ("I got laid off from Meta last week", "Ana", "employer", "Meta", True),
    ("I resigned from Google", "Ana", "employer", "Google", True),
    ("I'm retired", "Ana", "employer", "", True),
    ("I quit Google last week, my boss was awful", "Ana", "employer", "Google", True),
    # occupation
    ("I work as a nurse", "Ana", "occupation", "nurse", False),
    ("I'm a teacher", "Ana", "occupation", "teacher", False),
    ("I became a pilot", "Ana", "occupation", "pilot", False),
    ("my job is accountant", "Ana", "occupation", "accountant", False),
    ("I'm an engineer at Airbus", "Ana", "occupation", "engineer", False),
    ("I'm a software engineer at Google", "Ana", "occupation", "software engineer", False),
    ("I work at Google as a product manager", "Ana", "occupation", "product manager", False),
    ("I'm a registered nurse", "Ana", "occupation", "registered nurse", False),
    ("I got promoted to senior engineer", "Ana", "occupation", "senior engineer", False),
    ("I'm a stay-at-home mom", "Ana", "occupation", "stay-at-home mom", False),
    ("I'm a retired teacher", "Ana", "occupation", "teacher", True),
    ("I'm an ex-teacher", "Ana", "occupation", "teacher", True),
    ("I'm no longer a teacher", "Ana", "occupation", "teacher", True),
    # school
    ("I study at MIT", "Ana", "school", "MIT", False),
    ("I'm a student at Oxford", "Ana", "school", "Oxford", False),
    ("I enrolled at NYU", "Ana", "school", "NYU", False),
    ("I started university at Leeds", "Ana", "school", "Leeds", False),
    ("I go to Stanford", "Ana", "school", "Stanford", False),
    ("I'm studying at the University of Leeds", "Ana", "school", "University of Leeds", False),
    ("I'm doing my PhD at ETH Zurich", "Ana", "school", "ETH Zurich", False),
    ("I'm a senior at Stanford", "Ana", "school", "Stanford", False),
    ("I transferred to UCLA", "Ana", "school", "UCLA", False),
    ("I'm in my final year of university at Edinburgh", "Ana", "school", "Edinburgh", False),
    ("I graduated from MIT", "Ana", "school", "MIT", True),
    ("I dropped out of college", "Ana", "school", "", True),
    # name
    ("my name is Ana", "Ana", "name", "Ana", False),
    ("My name's Ana", "Ana", "name", "Ana", False),
    ("call me Bob", "Ana", "name", "Bob", False),
    ("You can call me Bob", "Ana", "name", "Bob", False),
    ("I go by Liz", "Ana", "name", "Liz", False),
    ("I changed my name to Zoe", "Ana", "name", "Zoe", False),
    ("my full name is Ana Maria Silva", "Ana", "name", "Ana Maria Silva", False),
    ("my son's name is Leo", "Ana's son", "name", "Leo", False),
    # partner
    ("my wife Maria", "Ana", "partner", "Maria", False),
    ("my husband is Tom", "Ana", "partner", "Tom", False),
    ("my girlfriend Sara is visiting", "Ana", "partner", "Sara", False),
    ("my boyfriend, Jake, is great", "Ana", "partner", "Jake", False),
    ("my partner is Alex", "Ana", "partner", "Alex", False),
    ("I married Lena", "Ana", "partner", "Lena", False),
    ("I'm dating Chris", "Ana", "partner", "Chris", False),
    ("I'm engaged to Sam", "Ana", "partner", "Sam", False),
    ("I got married to Lena", "Ana", "partner", "Lena", False),
    ("My wife's name is Maria", "Ana", "partner", "Maria", False),
    ("we broke up", "Ana", "partner", "", True),
    ("I divorced Tom", "Ana", "partner", "Tom", True),
    ("I split up with Jake", "Ana", "partner", "Jake", True),
    ("Jake and I broke up last week", "Ana", "partner", "Jake", True),
    ("my boyfriend and I broke up", "Ana", "partner", "", True),
    ("I'm single now", "Ana", "partner", "", True),
    ("my late husband Tom", "Ana", "partner", "Tom", True),
    ("I'm not married to Tom anymore", "Ana", "partner", "Tom", True),
    # pet
    ("I have a dog named Rex", "Ana", "pet", "Rex", False),
    ("I adopted a cat called Luna", "Ana", "pet", "Luna", False),
    ("my dog Max loves the park", "Ana", "pet", "Max", False),
    ("we got a puppy named Bella", "Ana", "pet", "Bella", False),
    ("I have a dog", "Ana", "pet", "a dog", False),
    ("we adopted a rescue dog last week", "Ana", "pet", "a rescue dog", False),
    ("my cat, Luna, is sleeping", "Ana", "pet", "Luna", False),
    ("our dog's name is Biscuit", "Ana", "pet", "Biscuit", False),
    ("my dog Rex passed away", "Ana", "pet", "Rex", True),
    ("my dog Rex died last night", "Ana", "pet", "Rex", True),
    ("my dog died", "Ana", "pet", "", True),
    ("we rehomed Luna", "Ana", "pet", "Luna", True),
    ("we had to put Max down", "Ana", "pet", "Max", True),
    ("we lost our cat Luna last year", "Ana", "pet", "Luna", True),
    ("I don't have a dog anymore", "Ana", "pet", "a dog", True),
    # favorites
    ("my favorite color is blue", "Ana", "favorite:color", "blue", False),
    ("my favourite food is sushi", "Ana", "favorite:food", "sushi", False),
    ("my favorite band is Radiohead these days", "Ana", "favorite:band", "Radiohead", False),
    ("Dune is my favorite book", "Ana", "favorite:book", "Dune", False),
    ("my new favourite book is Dune", "Ana", "favorite:book", "Dune", False),
    ("Inception is my favorite movie of all time", "Ana", "favorite:movie", "Inception", False),
    ("my favourite colour is green", "Ana", "favorite:color", "green", False),
    ("my favorite movies is Alien", "Ana", "favorite:movie", "Alien", False),
    ("pizza is my favorite food", "Ana", "favorite:food", "pizza", False),
    ("I think sushi is my favourite food right now", "Ana", "favorite:food", "sushi", False),
    ("Honestly, Radiohead is my favorite band", "Ana", "favorite:band", "Radiohead", False),
    (
        'my favorite movie is "The Lord of the Rings"',
        "Ana",
        "favorite:movie",
        "The Lord of the Rings",
        False,
    ),
    ('"The Office" is my favorite show', "Ana", "favorite:show", "The Office", False),
    ("my favorite food is mac and cheese", "Ana", "favorite:food", "mac and cheese", False),
    ("my favorite TV show is Lost", "Ana", "favorite:tv show", "Lost", False),
    ("my favorite color is no longer blue", "Ana", "favorite:color", "blue", True),
    ("my favorite color isn't blue anymore", "Ana", "favorite:color", "blue", True),
    # age
    ("I'm 32", "Ana", "age", "32", False),
    ("I am 32 years old", "Ana", "age", "32", False),
    ("I just turned 40", "Ana", "age", "40", False),
    ("I turned 29 last week", "Ana", "age", "29", False),
    ("I'm 32, married, and live in Austin.", "Ana", "age", "32", False),
    ("Ana is 32", "Ana", "age", "32", False),
    ("my son is 5", "Ana's son", "age", "5", False),
    # third person and relatives
    ("Ana lives in Berlin", "Ana", "city", "Berlin", False),
    ("Tom moved to Madrid", "Tom", "city", "Madrid", False),
    ("Maria works at Siemens", "Maria", "employer", "Siemens", False),
    ("Tom's favorite color is green", "Tom", "favorite:color", "green", False),
    ("Yesterday Ana Silva moved to Lisbon.", "Ana Silva", "city", "Lisbon", False),
    ("Ana's husband is Tom", "Ana", "partner", "Tom", False),
    ("Tom's wife works at Siemens.", "Tom's wife", "employer", "Siemens", False),
    ("my sister lives in Rome", "Ana's sister", "city", "Rome", False),
    ("my mom works at a bank", "Ana's mom", "employer", "a bank", False),
    ("Mom works at a bank", "Ana's mom", "employer", "a bank", False),
    ("my older sister lives in Rome", "Ana's older sister", "city", "Rome", False),
    ("my sister Ana lives in Rome", "Ana", "city", "Rome", False),
    ("my big brother works at Ford", "Ana's older brother", "employer", "Ford", False),
    ("my parents live in Ohio", "Ana's parents", "city", "Ohio", False),
    ("my sister's favorite food is pasta", "Ana's sister", "favorite:food", "pasta", False),
    ("my sister has a hamster named Fluffy", "Ana's sister", "pet", "Fluffy", False),
    ("my daughter started college at Yale", "Ana's daughter", "school", "Yale", False),
    ("me and my husband moved to Leeds", "Ana", "city", "Leeds", False),
    # clauses, quotes and idioms around a fact
    ("I used to live in Paris but now I live in Berlin", "Ana", "city", "Berlin", False),
    ("I used to live in Paris but moved to Berlin", "Ana", "city", "Berlin", False),
    ("I used to work at Google and I work at Stripe now", "Ana", "employer", "Stripe", False),
    ("I live in Paris, what about you?", "Ana", "city", "Paris", False),
    ("Guess what? I moved to Berlin!", "Ana", "city", "Berlin", False),
    ("If you're ever in town, I live in Berlin now", "Ana", "city", "Berlin", False),
    ("Not gonna lie, I live in Paris now", "Ana", "city", "Paris", False),
    ("I can't believe I moved to Berlin", "Ana", "city", "Berlin", False),
    ("I don't like cats but I have a dog named Rex", "Ana", "pet", "Rex", False),
    ("No, I live in Paris", "Ana", "city", "Paris", False),
    ("I live in Paris \u2019cause I love it", "Ana", "city", "Paris", False),
    ("I\u2019m based in Tokyo", "Ana", "city", "Tokyo", False),
]


@pytest.mark.parametrize(("text", "subject", "attribute", "value", "ended"), POSITIVE)
def test_positive_phrasings(
    text: str, subject: str, attribute: str, value: str, ended: bool
) -> None:
    facts = _of(text, attribute)
    assert [(f.subject, f.value, f.ended) for f in facts] == [(subject, value, ended)]
    assert value in facts[0].text
    assert facts[0].text[:1].isupper()


# (text, attribute that must not be extracted; "*" = no fact at all)
NEGATIVE: list[tuple[str, str]] = [
    # questions
    ("Do you live in Paris?", "*"),
    ("Where do you work?", "*"),
    ("where do you work", "*"),
    ("Did Ana move to Berlin?", "*"),
    ("Does your sister work at Google", "*"),
    ("Have you ever lived in Paris", "*"),
    ("What's your favorite color?", "*"),
    ("Is your name Ana?", "*"),
    ("Do you live in Paris, Ana?", "*"),
    # hypotheticals, wishes, plans and the future
    ("I might move to Berlin", "*"),
    ("I want to live in Rome", "*"),
    ("if I worked at Google I'd be rich", "*"),
    ("I'd love to study at MIT", "*"),
    ("I'm thinking of moving to Lisbon", "*"),
    ("I'm moving to Berlin next month", "*"),
    ("I will start at Google in June", "*"),
    ("I would live in Paris if I could", "*"),
    ("I could work at Google", "*"),
    ("I should move to Berlin", "*"),
    ("I'm about to move to Berlin", "*"),
    ("I'm going to work at Google", "*"),
    ("I'm gonna live in Paris", "*"),
    ("I'll be 30 next month", "*"),
    ("I'm turning 30 next month", "*"),
    ("I wish I lived in Paris", "*"),
    ("I wish my name was Bob", "*"),
    ("I'm looking to relocate to Austin", "*"),
    ("I'm starting at Google next week", "*"),
    ("I just got a job at Google, starting in June", "*"),
    ("I hope to move to Berlin", "*"),
    ("Maybe I'll join Google", "*"),
    ("I'm planning to relocate to Austin", "*"),
    ("We're going to live in Rome", "*"),
    ("Someday I'll live in Tokyo", "*"),
    ("If I lived in Paris, I'd walk everywhere", "*"),
    ("I got into Harvard", "*"),
    ("I miss my job at Google", "*"),
    # negations of the present and the past
    ("I don't live in Paris", "*"),
    ("I haven't lived in Paris for years", "*"),
    ("I never worked at Google", "*"),
    ("I'm not a teacher", "*"),
    ("I don't have a dog", "*"),
    ("we didn't break up", "*"),
    ("please don't call me Bob", "*"),
    ("Nobody calls me Bob", "*"),
    ("my favorite color is not blue", "*"),
    ("I used to live in Paris", "*"),
    ("I worked at Google for 5 years", "*"),
    ("I studied at MIT", "*"),
    ("I lived in Paris", "*"),
    ("I was a teacher", "*"),
    ("I had a dog named Rex", "*"),
    ("my old job at Google was boring", "*"),
    # other people's speech and pronoun subjects
    ('She said "I live in Paris" yesterday.', "*"),
    ('He told me "I work at Google now".', "*"),
    ('My boss said: "we moved to Austin"', "*"),
    ("She goes \u201cI'm 32\u201d and laughs", "*"),
    ("They live in Paris", "*"),
    ("He works at Google", "*"),
    ("she's 30", "*"),
    ("It's 5", "*"),
    # generic statements
    ("people live in cities", "*"),
    ("Most people live in cities", "*"),
    ("Everyone works at Google here", "*"),
    ("Students study at universities", "*"),
    ("Dogs live in packs", "*"),
    ("Penguins live in Antarctica", "*"),
    ("Nobody lives in Antarctica", "*"),
    ("You live in Paris", "*"),
    # look-alikes
    ("I'm a big fan of jazz", "*"),
    ("I'm a good cook", "*"),
    ("I'm a proud mom", "*"),
    ("I'm a huge nerd", "*"),
    ("I'm a model citizen", "*"),
    ("I'm a teacher's pet", "*"),
    ("I'm a single mom", "*"),
    ("I'm 5 minutes away", "*"),
    ("I'm 2 hours late", "*"),
    ("I'm 2.5 hours away", "*"),
    ("it was 32 degrees", "*"),
    ("I'm 100% sure", "*"),
    ("I'm 6 feet tall", "*"),
    ("I'm 1 of 3 kids", "*"),
    ("I'm 200", "*"),
    ("we are 3", "*"),
    ("I live in the moment", "*"),
    ("I work at night", "*"),
    ("I work for myself", "*"),
    ("I work for a living", "*"),
    ("I work for the company", "*"),
    ("I quit smoking", "*"),
    ("I fired my accountant", "*"),
    ("I'm fired up", "*"),
    ("I lost my keys", "*"),
    ("I joined Ana for dinner", "*"),
    ("I joined a gym", "*"),
    ("I joined Reddit", "*"),
    ("I go to Paris every summer", "*"),
    ("I go to IKEA every week", "*"),
    ("I go to the gym", "*"),
    ("I study at home", "*"),
    ("I transferred to Berlin", "*"),
    ("I'm a senior at Google", "*"),
    ("I'm now at the airport", "*"),
    ("I'm currently at Heathrow", "*"),
    ("I have a dog walker", "*"),
    ("I have a cat allergy", "*"),
    ("I got a new mouse for my computer", "*"),
    ("I have two dogs", "*"),
    ("I have a friend with a dog named Rex", "*"),
    ("I'm dog-sitting a puppy named Max", "*"),
    ("I moved to a new apartment", "*"),
    ("we split the bill", "*"),
    ("we separated the laundry", "*"),
    ("I'm seeing Chris tomorrow", "*"),
    ("my wife is amazing", "*"),
    ("my partner in crime is Alex", "*"),
    ("my favorite is pizza", "*"),
    ("that's my favorite song", "*"),
    ("one of my favorite books is Dune", "*"),
    ("my favorite TV shows are Lost and Fringe", "*"),
    ("my favorite thing to do is hiking", "*"),
    ("Call me later", "*"),
    ("Call me Maybe", "*"),
    ("Home is where the heart is", "*"),
    ("her home is in Paris", "*"),
    ("my friend lives in Oslo", "*"),
    ("I'm Ana", "*"),
    ("Hey Gina! Lost my job as a banker yesterday.", "name"),
    ("I moved out of London and into a flat in Leeds", "city"),
    # one attribute absent while another is found
    ("I'm an engineer at Airbus", "school"),
    ("I'm a student at Oxford", "occupation"),
    ("my dog Rex passed away", "partner"),
]


@pytest.mark.parametrize(("text", "attribute"), NEGATIVE)
def test_negative_phrasings(text: str, attribute: str) -> None:
    _assert_no_fact(text, attribute)


def _assert_no_fact(text: str, attribute: str) -> None:
    """No fact of ``attribute`` in ``text`` (``"*"``: no fact at all)."""
    facts = extract_facts(text, speaker=SPEAKER)
    if attribute == "*":
        assert facts == []
    else:
        assert [f for f in facts if f.attribute == attribute] == []


def test_lost_my_job_without_subject_is_the_speakers() -> None:
    facts = extract_facts("Hey Gina! Lost my job as a banker yesterday.", speaker="Jon")
    assert [(f.subject, f.attribute, f.value, f.ended) for f in facts] == [
        ("Jon", "employer", "", True)
    ]


# --- several facts in one message ------------------------------------------------------------


MULTI: list[tuple[str, list[tuple[str, str, str, bool]]]] = [
    (
        "I'm 29, I live in Leeds and I'm a nurse at St James's Hospital.",
        [
            ("Ana", "age", "29", False),
            ("Ana", "city", "Leeds", False),
            ("Ana", "occupation", "nurse", False),
            ("Ana", "employer", "St James's Hospital", False),
        ],
    ),
    (
        "We moved to Lisbon last spring; my husband Tom works at Siemens there.",
        [
            ("Ana", "city", "Lisbon", False),
            ("Ana", "partner", "Tom", False),
            ("Tom", "employer", "Siemens", False),
        ],
    ),
    (
        "My favorite color is blue and my favorite food is pizza.",
        [("Ana", "favorite:color", "blue", False), ("Ana", "favorite:food", "pizza", False)],
    ),
    (
        "I left my job at Google and I'm now at Shopify",
        [("Ana", "employer", "Google", True), ("Ana", "employer", "Shopify", False)],
    ),
    (
        "I live in Paris and work at Google",
        [("Ana", "city", "Paris", False), ("Ana", "employer", "Google", False)],
    ),
    (
        "my sister lives in Rome and my brother works at Ford.",
        [("Ana's sister", "city", "Rome", False), ("Ana's brother", "employer", "Ford", False)],
    ),
    (
        "I'm 32 and I live in Paris with my dog Rex.",
        [
            ("Ana", "age", "32", False),
            ("Ana", "city", "Paris", False),
            ("Ana", "pet", "Rex", False),
        ],
    ),
    (
        "my ex-husband Tom lives in Denver",
        [("Ana", "partner", "Tom", True), ("Tom", "city", "Denver", False)],
    ),
    (
        "My name is Ana and my favorite food is sushi.",
        [("Ana", "name", "Ana", False), ("Ana", "favorite:food", "sushi", False)],
    ),
    (
        "I live in Paris. I live in Paris!",  # identical facts are de-duplicated
        [("Ana", "city", "Paris", False)],
    ),
    (
        "my dog Rex is cute. Sadly my dog Rex died last week.",  # an ended repeat is kept
        [("Ana", "pet", "Rex", False), ("Ana", "pet", "Rex", True)],
    ),
    (
        "I live in Paris and Ana lives in Berlin.",
        [("Ana", "city", "Paris", False), ("Ana", "city", "Berlin", False)],
    ),
    (
        "I used to work at Google, but now I work at Stripe. I moved to Dublin too.",
        [("Ana", "employer", "Stripe", False), ("Ana", "city", "Dublin", False)],
    ),
    (
        "Ugh, we broke up. I moved out of London last year.",
        [("Ana", "partner", "", True), ("Ana", "city", "London", True)],
    ),
]


@pytest.mark.parametrize(("text", "expected"), MULTI)
def test_multiple_facts_in_text_order(
    text: str, expected: list[tuple[str, str, str, bool]]
) -> None:
    facts = extract_facts(text, speaker=SPEAKER)
    assert [(f.subject, f.attribute, f.value, f.ended) for f in facts] == expected


# --- subjects, texts and predicates ----------------------------------------------------------


def test_without_speaker_first_person_is_the_user() -> None:
    facts = extract_facts("I live in Berlin and my sister works at Siemens.", speaker=None)
    assert [(f.subject, f.text) for f in facts] == [
        ("user", "The user lives in Berlin"),
        ("user's sister", "The user's sister works at Siemens"),
    ]


@pytest.mark.parametrize("speaker", [None, "", "   "])
def test_blank_or_missing_speaker_is_the_user(speaker: str | None) -> None:
    assert [f.subject for f in extract_facts("I'm 40", speaker=speaker)] == ["user"]


def test_speaker_whitespace_is_collapsed() -> None:
    facts = extract_facts("my favorite color is blue", speaker="  Ana   Silva ")
    assert [(f.subject, f.text) for f in facts] == [
        ("Ana Silva", "Ana Silva's favorite color is blue")
    ]


@pytest.mark.parametrize(
    ("text", "predicate", "statement"),
    [
        ("I live in Berlin", "lives in", "Ana lives in Berlin"),
        ("I work at Google", "works at", "Ana works at Google"),
        ("I'm an architect", "works as", "Ana works as an architect"),
        ("I study at MIT", "studies at", "Ana studies at MIT"),
        ("my name is Ana", "is named", "Ana is named Ana"),
        ("my wife Maria", "has partner", "Ana's wife is Maria"),
        ("I married Lena", "has partner", "Ana is married to Lena"),
        ("I have a dog named Rex", "has pet", "Ana has a dog named Rex"),
        ("I have a dog", "has pet", "Ana has a dog"),
        ("my favorite color is blue", "favorite color is", "Ana's favorite color is blue"),
        ("I'm 32", "is aged", "Ana is 32 years old"),
        ("my parents live in Ohio", "lives in", "Ana's parents live in Ohio"),
        ("I no longer live in Paris", "lives in", "Ana no longer lives in Paris"),
        ("my dog Rex passed away", "has pet", "Ana no longer has the dog Rex"),
        ("we broke up", "has partner", "Ana is no longer in a relationship"),
    ],
)
def test_predicate_and_text(text: str, predicate: str, statement: str) -> None:
    facts = extract_facts(text, speaker=SPEAKER)
    assert [(f.predicate, f.text) for f in facts] == [(predicate, statement)]


def test_fact_is_frozen() -> None:
    fact = extract_facts("I live in Paris", speaker=SPEAKER)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        fact.value = "Berlin"  # type: ignore[misc]


def test_no_text_no_facts() -> None:
    assert extract_facts("", speaker=SPEAKER) == []
    assert extract_facts("lol ok 👍", speaker=SPEAKER) == []


def test_only_the_first_4000_characters_are_read() -> None:
    padding = "blah " * 900  # 4,500 characters
    assert _of("I live in Paris. " + padding, "city") != []
    assert _of(padding + "I live in Paris.", "city") == []


# --- slots -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("subject", "attribute", "slot"),
    [
        ("Ana", "city", "ana.city"),
        ("  Ana   Silva ", "employer", "ana silva.employer"),
        ("Ana's Sister", "favorite:color", "ana's sister.favorite:color"),
        ("STRASSE", "city", "strasse.city"),
        ("Straße", "city", "strasse.city"),  # casefolded, not just lower-cased
        ("user", "age", "user.age"),
    ],
)
def test_slot_of(subject: str, attribute: str, slot: str) -> None:
    assert slot_of(subject, attribute) == slot


def test_a_new_value_fills_the_same_slot() -> None:
    old = extract_facts("I live in Paris", speaker="Ana")[0]
    new = extract_facts("We moved to Berlin!", speaker="ana")[0]
    assert slot_of(old.subject, old.attribute) == slot_of(new.subject, new.attribute)
    assert (old.value, new.value) == ("Paris", "Berlin")


# --- natural statements of a current value or a change -----------------------------------------

# (text, subject, attribute, value, ended): the only fact on that attribute
CHANGES: list[tuple[str, str, str, str, bool]] = [
    # city
    ("Yes! Three weeks in Porto now, still living out of boxes.", "Ana", "city", "Porto", False),
    ("The move went smoothly, we're all settled in Boston.", "Ana", "city", "Boston", False),
    ("Home for me is Cape Town, I moved here after university.", "Ana", "city", "Cape Town", False),
    ("Writing to you from our new place in Edinburgh!", "Ana", "city", "Edinburgh", False),
    ("Our apartment in Vancouver has a balcony.", "Ana", "city", "Vancouver", False),
    ("My flat in Tokyo is tiny but I love it.", "Ana", "city", "Tokyo", False),
    ("I signed the lease on an apartment in Lyon, moving day was Saturday.", "Ana", "city",
     "Lyon", False),
    ("Living in Sydney means I cycle everywhere.", "Ana", "city", "Sydney", False),
    ("I'm not in Helsinki anymore.", "Ana", "city", "Helsinki", True),
    ("My sister's apartment in Rome is huge.", "Ana's sister", "city", "Rome", False),
    # employer
    ("Big news: I accepted an offer from Shopify and started Monday.", "Ana", "employer",
     "Shopify", False),
    ("First week at Salesforce done, everyone seems really nice.", "Ana", "employer",
     "Salesforce", False),
    ("Another all-hands at Revolut today", "Ana", "employer", "Revolut", False),
    ("Work at Deloitte has been hectic since the reorg.", "Ana", "employer", "Deloitte", False),
    ("My manager at Klarna wants us back in the office.", "Ana", "employer", "Klarna", False),
    ("Our team at Stripe is shipping a release on Friday.", "Ana", "employer", "Stripe", False),
    ("My new badge from Bosch finally arrived.", "Ana", "employer", "Bosch", False),
    ("I'm on the analytics team over at Atlassian.", "Ana", "employer", "Atlassian", False),
    ("I've been at Dropbox for almost four years.", "Ana", "employer", "Dropbox", False),
    ("I'm still at Heineken, still on the same project.", "Ana", "employer", "Heineken", False),
    ("Guess who got hired by Klarna? Me!", "Ana", "employer", "Klarna", False),
    ("Salesforce poached me, can you believe it", "Ana", "employer", "Salesforce", False),
    ("I signed my contract with Datadog, so that's my new employer.", "Ana", "employer",
     "Datadog", False),
    ("Hassan's roommate works at Siemens", "Hassan's roommate", "employer", "Siemens", False),
    # occupation
    ("Officially a carpenter as of this month, new career!", "Ana", "occupation", "carpenter",
     False),
    ("I passed my certification, so I'm finally a qualified architect.", "Ana", "occupation",
     "architect", False),
    ("I've been a plumber since I finished my training.", "Ana", "occupation", "plumber", False),
    ("As an architect, I rarely get a proper lunch break.", "Ana", "occupation", "architect",
     False),
    ("Another busy week as an accountant.", "Ana", "occupation", "accountant", False),
    ("Started my first week as a translator, it's a different world.", "Ana", "occupation",
     "translator", False),
    ("I switched from veterinarian to electrician, scary but exciting.", "Ana", "occupation",
     "electrician", False),
    ("After the course I landed a position as a nurse.", "Ana", "occupation", "nurse", False),
    ("Being a photographer keeps me busy, but I like it.", "Ana", "occupation", "photographer",
     False),
    ("I trained as a chef and have done it ever since.", "Ana", "occupation", "chef", False),
    ("I'm done being a lawyer", "Ana", "occupation", "lawyer", True),
    # school
    ("I got accepted to McGill and I'm starting there this term.", "Ana", "school", "McGill",
     False),
    ("I got into Stanford for my master's, classes started in September.", "Ana", "school",
     "Stanford", False),
    ("Classes at Trinity College start at eight, which is brutal.", "Ana", "school",
     "Trinity College", False),
    ("First day of classes at Yale today!", "Ana", "school", "Yale", False),
    ("Orientation week at Sciences Po was chaos but fun.", "Ana", "school", "Sciences Po", False),
    ("My dorm at Bocconi is right next to the library.", "Ana", "school", "Bocconi", False),
    ("My student card from Georgia Tech came in the mail.", "Ana", "school", "Georgia Tech",
     False),
    ("I transferred to Bocconi this semester.", "Ana", "school", "Bocconi", False),
    ("Switched schools: so I'm at Waseda now.", "Ana", "school", "Waseda", False),
    # name
    ("Please update my details, my surname is Laurent now.", "Ana", "name", "Ana Laurent", False),
    ("My name change went through, my last name is officially Fischer.", "Ana", "name",
     "Ana Fischer", False),
    ("I've started going by Oliveira as my last name since the wedding.", "Ana", "name",
     "Ana Oliveira", False),
    ("I got married and took my spouse's surname, so I'm Ana Ortega now.", "Ana", "name",
     "Ana Ortega", False),
    ("New passport, new name: Ana Oliveira.", "Ana", "name", "Ana Oliveira", False),
    ("My name is now Ana Costa.", "Ana", "name", "Ana Costa", False),
    # partner
    ("I'm with Youssef now, we've been together a couple of months.", "Ana", "partner",
     "Youssef", False),
    ("Nora and I have been seeing each other since spring.", "Ana", "partner", "Nora", False),
    ("Rafael and I made it official last weekend!", "Ana", "partner", "Rafael", False),
    ("I've started dating Elena, we met at my climbing gym.", "Ana", "partner", "Elena", False),
    ("I'm seeing someone new, Elena, and it's going well.", "Ana", "partner", "Elena", False),
    ("My new partner Ruth is meeting my parents on Sunday.", "Ana", "partner", "Ruth", False),
    ("I'm going to a concert with Jamie, my partner, on Friday.", "Ana", "partner", "Jamie",
     False),
    ("Things with Ruth are getting serious.", "Ana", "partner", "Ruth", False),
    ("Jamie asked me to move in together!", "Ana", "partner", "Jamie", False),
    ("Julia and I are celebrating our anniversary next month.", "Ana", "partner", "Julia", False),
    ("Sam and I got engaged!", "Ana", "partner", "Sam", False),
    ("Jake is my boyfriend now.", "Ana", "partner", "Jake", False),
    ("I have a new girlfriend! Her name is Mia.", "Ana", "partner", "Mia", False),
    ("It's over with Ethan.", "Ana", "partner", "Ethan", True),
    # pet
    ("Meet Bagel, our new parrot!", "Ana", "pet", "Bagel", False),
    ("Clementine, my kitten, has a vet appointment tomorrow.", "Ana", "pet", "Clementine", False),
    ("I need to buy food for Mochi, my cat.", "Ana", "pet", "Mochi", False),
    ("Our rabbit is called Tofu and he's a menace.", "Ana", "pet", "Tofu", False),
    ("We adopted a rabbit from the shelter, we named him Bandit.", "Ana", "pet", "Bandit", False),
    ("I brought home a dog last weekend, Luna is her name.", "Ana", "pet", "Luna", False),
    ("Pretzel, the rabbit we just adopted, already rules the house.", "Ana", "pet", "Pretzel",
     False),
    ("We got a cat, Luna.", "Ana", "pet", "Luna", False),
    # favorites
    ("these days my favorite movie is Casablanca", "Ana", "favorite:movie", "Casablanca", False),
    ("Honestly, risotto has become my favorite food lately.", "Ana", "favorite:food", "risotto",
     False),
    ("Sorry lasagna, falafel is my favorite food now.", "Ana", "favorite:food", "falafel", False),
    ("I have a new favorite book: Atonement.", "Ana", "favorite:book", "Atonement", False),
    ("I've completely fallen for Titanic, it's my favorite movie now.", "Ana", "favorite:movie",
     "Titanic", False),
    ("I finished Dune and it's my new favorite book.", "Ana", "favorite:book", "Dune", False),
    ("I can't stop listening to ABBA, they're my favorite band now.", "Ana", "favorite:band",
     "ABBA", False),
    ("Nothing beats burgundy, it's my all-time favorite color.", "Ana", "favorite:color",
     "burgundy", False),
    ("pink has been my favorite color since I was a teenager.", "Ana", "favorite:color", "pink",
     False),
    ("I still think Dune is the best book there is.", "Ana", "favorite:book", "Dune", False),
    ("I'll defend Titanic forever, best movie there is.", "Ana", "favorite:movie", "Titanic",
     False),
    ("Oasis has replaced Blur as my favorite band.", "Ana", "favorite:band", "Oasis", False),
    ("Casablanca is no longer my favorite movie", "Ana", "favorite:movie", "Casablanca", True),
    # age
    ("I'm 23 now", "Ana", "age", "23", False),
    ("just had my 23rd birthday", "Ana", "age", "23", False),
    ("Just celebrated turning 42 with some friends.", "Ana", "age", "42", False),
    ("Officially 56 as of this morning, the party was great.", "Ana", "age", "56", False),
    ("Being 41 is great, honestly, no complaints.", "Ana", "age", "41", False),
    ("Still 56, and still no idea what I want to be.", "Ana", "age", "56", False),
    ("I'll be honest, at 41 my knees are already complaining.", "Ana", "age", "41", False),
    ("At 19 years old, I feel like I should have my taxes figured out.", "Ana", "age", "19",
     False),
    ("It's my sister's 30th birthday today.", "Ana's sister", "age", "30", False),
    ("Priya's boss is 32", "Priya's boss", "age", "32", False),
]  # fmt: skip


@pytest.mark.parametrize(("text", "subject", "attribute", "value", "ended"), CHANGES)
def test_natural_statements_of_current_values_and_changes(
    text: str, subject: str, attribute: str, value: str, ended: bool
) -> None:
    facts = _of(text, attribute)
    assert [(f.subject, f.value, f.ended) for f in facts] == [(subject, value, ended)]
    assert facts[0].text[:1].isupper()


# A change in one message: the old value ended and the new one given.
CHANGE_PAIRS: list[tuple[str, list[tuple[str, str, bool]]]] = [
    (
        "After Daniel and I ended things, I met Owen, and we're together now.",
        [("partner", "Daniel", True), ("partner", "Owen", False)],
    ),
    (
        "It's over with Ethan. Nora and I have been seeing each other since spring.",
        [("partner", "Ethan", True), ("partner", "Nora", False)],
    ),
    (
        "burgundy used to be my favorite color, but now it's purple.",
        [("favorite:color", "burgundy", True), ("favorite:color", "purple", False)],
    ),
    (
        "My favorite movie isn't Rocky anymore, it's Jaws.",
        [("favorite:movie", "Rocky", True), ("favorite:movie", "Jaws", False)],
    ),
    (
        "Casablanca is no longer my favorite movie; Heat is my favorite movie now.",
        [("favorite:movie", "Casablanca", True), ("favorite:movie", "Heat", False)],
    ),
    (
        "I'm no longer Ana Fernandez, it's Ana Kowalski since the wedding.",
        [("name", "Ana Fernandez", True), ("name", "Ana Kowalski", False)],
    ),
    (
        "I'm not in Lisbon anymore, we live in Amsterdam now.",
        [("city", "Lisbon", True), ("city", "Amsterdam", False)],
    ),
    (
        "We had to rehome Biscuit, but now we have Noodle, a sweet little dog.",
        [("pet", "Biscuit", True), ("pet", "Noodle", False)],
    ),
    (
        "I brought home a parrot last weekend, Pumpkin is her name.",  # the name, not "a parrot"
        [("pet", "Pumpkin", False)],
    ),
]


@pytest.mark.parametrize(("text", "expected"), CHANGE_PAIRS)
def test_a_change_in_one_message(text: str, expected: list[tuple[str, str, bool]]) -> None:
    facts = extract_facts(text, speaker=SPEAKER)
    assert [(f.attribute, f.value, f.ended) for f in facts if f.subject == SPEAKER] == expected


# (text, attribute that must not be extracted for anyone; "*" = no fact at all)
NOT_CHANGES: list[tuple[str, str]] = [
    # someone else's situation, or no situation at all
    ("my niece just got into Harvard", "*"),
    ("My niece just got into Harvard and started in September.", "*"),
    ("my cousin had an interview at Figma", "*"),
    ("I got into Harvard and I'm starting there next fall.", "*"),
    ("I got an offer from Google.", "*"),
    ("I accepted an offer from Google, starting next month.", "*"),
    ("Hey Audrey, my girlfriend and I went camping.", "partner"),
    ("Thanks Tom, my wife loves it.", "partner"),
    ("Thanks Audrey, my dog loves it.", "pet"),
    ("I went with Tom, my brother, to the game.", "partner"),
    ("I went with Tom, my partner in crime.", "*"),
    ("Tom is my partner on this project.", "*"),
    ("Tom, my lab partner, is smart.", "*"),
    ("I'm with Tom now at the mall.", "*"),
    ("I'm with Tom now, we're shopping together.", "*"),
    ("Tom and I are together at the beach.", "*"),
    ("Tom and I worked together for years.", "*"),
    ("Tom and I are celebrating our work anniversary.", "*"),
    ("I've been seeing Dr. Smith for my back.", "*"),
    ("Things with my boss are getting serious.", "*"),
    ("Tom proposed a toast.", "*"),
    ("It's over with Tom's project.", "*"),
    ("We had a baby boy! We named him Leo.", "*"),
    ("I met a girl at the dog park, her name is Sarah.", "*"),
    ("I have a sister, her name is Mia.", "*"),
    # visits, former homes and generic talk
    ("My apartment in Paris was tiny.", "*"),
    ("My old apartment in Paris had a balcony.", "*"),
    ("Our hotel in Lisbon is lovely.", "*"),
    ("I'm in London now for a conference.", "*"),
    ("Two weeks in Tokyo now and loving the trip!", "*"),
    ("We're in Rome now, just unpacked the suitcase at the hotel.", "*"),
    ("Living in London is expensive.", "*"),
    ("Greetings from Vienna! It's raining again.", "*"),
    ("The campus at Stanford is gorgeous.", "*"),
    ("My yoga classes at Equinox are great.", "*"),
    ("My boss at Google was awful.", "*"),
    ("The team at Google is great.", "*"),
    ("I've been at Disneyland for two days.", "*"),
    ("I've been at the Hilton for a month.", "*"),
    ("First day at Disneyland, so magical!", "*"),
    ("I'm at Starbucks now.", "*"),
    ("Guess who got promoted? Me!", "*"),
    # not a job, not an age, not a favourite
    ("As a kid, I loved trains.", "*"),
    ("As a teacher, you should know better.", "*"),
    ("I've been a bartender in college.", "*"),
    ("Now a doctor can see you.", "*"),
    ("Being a nurse is hard.", "*"),
    ("My last day as a teacher was Friday.", "occupation"),
    ("Another day as a tourist in Rome.", "*"),
    ("I switched from coffee to tea.", "*"),
    ("I trained as a nurse.", "*"),
    ("Being 5 minutes late is rude.", "*"),
    ("Still 2 hours to go.", "*"),
    ("Now 3 of us are going.", "*"),
    ("At 8 I have a meeting.", "*"),
    ("At 18 I moved to London.", "age"),
    ("My 30th birthday is next week.", "*"),
    ("We celebrated turning 10 years as a company.", "*"),
    ("5 today, the rest tomorrow.", "*"),
    ("Tom is the best dad ever.", "*"),
    ("This is the best pizza ever.", "*"),
    ("I met Tom at the cinema, it's my favorite place.", "*"),
    ("my favorite passions: gaming and storytelling.", "*"),
    ("Dune was my favorite book as a kid.", "*"),
    ("If you asked me for my favourite book, I'd say Circe.", "*"),
    # a name only with the speaker's own first name
    ("I'm Malik Oliveira, nice to meet you.", "*"),
    ("I'm Ana.", "*"),
    ("My sister's last name is Fischer.", "*"),
]


@pytest.mark.parametrize(("text", "attribute"), NOT_CHANGES)
def test_look_alikes_of_changes(text: str, attribute: str) -> None:
    _assert_no_fact(text, attribute)


def test_someone_elses_admission_is_never_the_speakers() -> None:
    facts = extract_facts("my niece just got into Harvard and she loves it", speaker=SPEAKER)
    assert [f for f in facts if f.subject == SPEAKER] == []


def test_a_surname_needs_a_known_speaker() -> None:
    assert extract_facts("my surname is Laurent now", speaker=None) == []
