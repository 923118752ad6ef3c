"""Synthetic chat histories of any length, for ``kenning bench``.

Two people talk over many sessions about their lives: work, moves, trips, food, pets,
hobbies, plans, with names, places, brands and dates. The text is templated but its
vocabulary has a long tail (invented place, shop and project names drawn from syllables),
so BM25 postings, entity mentions and vector neighbourhoods look like a real user's rather
than like a handful of repeated sentences. Everything is a function of the seed.

The word lists are data (:data:`_SLOTS`, :data:`_TEMPLATES`); nothing here reads a dataset.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from kenning.extract.timeexpr import MONTH_NAMES

__all__ = ["BenchMessage", "chat_messages", "queries"]

MESSAGES_PER_SESSION = 20
_START = datetime(2020, 1, 6, 9, 0, tzinfo=UTC)

_TEMPLATES = (
    "I just got back from {city}, the {food} at {shop} was amazing.",
    "{person} told me she is moving to {city} in {month} for a job at {company}.",
    "We adopted a {pet} last {day}, we named it {name2}.",
    "My {relative} {person} started learning {hobby} at the {shop} studio.",
    "Work at {company} is stressful, the {project} launch slipped to {month}.",
    "I finally finished reading {book}, the ending about {topic} surprised me.",
    "Do you still go {hobby2} on {day}s near {place}?",
    "I'm thinking of switching from {brand} to {brand2} for my new {device}.",
    "Our trip to {city} is booked for {month} {n}, we stay near {place}.",
    "{person} and I cooked {food} for {n} friends on {day}.",
    "The doctor said my {body} should heal in {n} weeks if I skip {hobby2}.",
    "I signed up for the {n}k run in {city} in {month}.",
    "My {relative} bought a {color} {vehicle} from a dealer in {city}.",
    "Remember {person}? She opened {shop}, a {food} place on {street} street.",
    "I've been volunteering at the {place} shelter every {day} since {month}.",
    "The {project} team at {company} hired {n} new engineers this quarter.",
    "We watched {movie} on {day}; {person} cried at the part with the {pet}.",
    "I'm learning {language} because we might relocate to {city} next year.",
    "Our {room} renovation costs {n}000 euros, the {material} floor is the expensive part.",
    "Can you recommend a {food} recipe? {person} is coming over on {day}.",
    "I switched to a {diet} diet in {month} and feel much better.",
    "{person} got promoted to {job} at {company} after {n} years there.",
    "The concert of {band} in {city} was sold out, we got tickets from {person}.",
    "My {device} broke again, I'll take it to the {brand} store at {place}.",
    "I planted {plant} and {plant2} in the garden behind our house in {city}.",
    "Yes, that sounds great.",
    "Haha, that's so typical of {person}!",
    "Oh no, I hope everything is fine now.",
    "Let's catch up on {day}, maybe at {shop}?",
    "I had no idea, tell me more about {topic}.",
)

_SYLLABLES = [
    "vel",
    "mor",
    "an",
    "ka",
    "ri",
    "to",
    "sen",
    "lu",
    "bar",
    "quin",
    "del",
    "os",
    "ta",
    "fen",
    "gra",
    "vi",
    "no",
    "ster",
    "al",
    "mi",
    "cor",
    "dun",
    "ela",
    "has",
    "pir",
    "zo",
    "lem",
    "tra",
    "wyn",
    "ob",
    "uru",
    "ect",
    "lan",
]

_SLOTS: dict[str, tuple[str, ...]] = {
    "person": tuple(
        [
            "Ana",
            "Ben",
            "Carla",
            "Dmitri",
            "Elif",
            "Farid",
            "Greta",
            "Hiro",
            "Ines",
            "Jonas",
            "Kemal",
            "Lena",
            "Marco",
            "Nia",
            "Omar",
            "Priya",
            "Quentin",
            "Rosa",
            "Sven",
            "Tara",
            "Ugo",
            "Vera",
            "Wen",
            "Ximena",
            "Yusuf",
            "Zoe",
            "Aiko",
            "Bruno",
            "Chloe",
            "Diego",
        ]
    ),
    "name2": tuple(
        ["Pixel", "Mango", "Biscuit", "Luna", "Pepper", "Ziggy", "Noodle", "Olive", "Tofu", "Bean"]
    ),
    "city": tuple(
        [
            "Lisbon",
            "Berlin",
            "Kyoto",
            "Toronto",
            "Nairobi",
            "Oslo",
            "Lima",
            "Hanoi",
            "Porto",
            "Seattle",
            "Vienna",
            "Dublin",
            "Austin",
            "Seville",
            "Krakow",
            "Tbilisi",
            "Bergen",
            "Osaka",
            "Quito",
            "Adelaide",
        ]
    ),
    "food": tuple(
        [
            "ramen",
            "paella",
            "tacos",
            "pho",
            "curry",
            "lasagna",
            "sushi",
            "falafel",
            "dumplings",
            "risotto",
            "ceviche",
            "pierogi",
            "shakshuka",
            "goulash",
            "bibimbap",
        ]
    ),
    "pet": ("puppy", "kitten", "rabbit", "parrot", "hamster", "tortoise"),
    "relative": ("sister", "brother", "cousin", "aunt", "uncle", "mother", "father", "niece"),
    "hobby": ("pottery", "piano", "salsa", "climbing", "watercolor", "chess", "fencing"),
    "hobby2": ("hiking", "cycling", "swimming", "running", "kayaking", "skating"),
    "company": ("Acme", "Globex", "Initech", "Umbrella", "Hooli", "Vandelay", "Stark"),
    "project": ("billing", "mobile app", "search", "payments", "onboarding", "analytics"),
    "month": MONTH_NAMES,
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "book": ("Dune", "Middlemarch", "Beloved", "Solaris", "Persuasion", "Kindred"),
    "topic": ("memory", "grief", "ambition", "friendship", "power", "home", "time"),
    "brand": ("Apple", "Samsung", "Lenovo", "Dell", "Fairphone", "Garmin", "Sony"),
    "device": ("laptop", "phone", "watch", "tablet", "camera", "headphones"),
    "body": ("knee", "ankle", "wrist", "shoulder", "back"),
    "color": ("red", "blue", "green", "silver", "black", "white"),
    "vehicle": ("bike", "van", "scooter", "hatchback", "pickup"),
    "movie": ("Paddington", "Arrival", "Amelie", "Coco", "Heat", "Up"),
    "language": ("Japanese", "Portuguese", "Swahili", "Norwegian", "Korean", "Italian"),
    "room": ("kitchen", "bathroom", "attic", "basement", "living room"),
    "material": ("oak", "marble", "tile", "bamboo", "concrete"),
    "diet": ("vegetarian", "vegan", "keto", "pescatarian", "gluten-free"),
    "job": ("team lead", "director", "staff engineer", "head chef", "principal"),
    "band": ("Radiohead", "Khruangbin", "Bonobo", "Arcade Fire", "Stromae"),
    "plant": ("tomatoes", "basil", "lavender", "sunflowers", "peppers"),
    "material2": ("wool", "linen"),
    "street": ("Elm", "Harbor", "Mill", "Church", "Station", "Garden"),
}
_PAIRS = {"brand2": "brand", "plant2": "plant"}


@dataclass(frozen=True, slots=True)
class BenchMessage:
    """One generated chat message."""

    session_id: str
    speaker: str
    text: str
    timestamp: datetime


def _invented(rng: random.Random) -> str:
    """A capitalised made-up name (two or three syllables): the vocabulary's long tail."""
    word = "".join(rng.choice(_SYLLABLES) for _ in range(rng.choice((2, 2, 3))))
    return word.capitalize()


def _fill(template: str, rng: random.Random) -> str:
    values: dict[str, str] = {}
    for name in ("shop", "place"):
        values[name] = _invented(rng) if rng.random() < 0.7 else rng.choice(_SLOTS["city"])
    values["n"] = str(rng.randint(2, 12))
    for name, words in _SLOTS.items():
        values[name] = rng.choice(words)
    for name, source in _PAIRS.items():
        values[name] = rng.choice([w for w in _SLOTS[source] if w != values[source]])
    return template.format(**values)


def chat_messages(
    count: int, *, seed: int = 0, speakers: tuple[str, str] = ("Ana", "Ben")
) -> Iterator[BenchMessage]:
    """``count`` messages in sessions of :data:`MESSAGES_PER_SESSION`, a few days apart."""
    rng = random.Random(seed)
    for i in range(count):
        session, turn = divmod(i, MESSAGES_PER_SESSION)
        when = _START + timedelta(days=3 * session, minutes=2 * turn)
        yield BenchMessage(
            session_id=f"s{session:06d}",
            speaker=speakers[turn % 2],
            text=_fill(rng.choice(_TEMPLATES), rng),
            timestamp=when,
        )


_QUESTIONS = (
    "What did {person} say about {city}?",
    "When is the trip to {city}?",
    "Who started learning {hobby}?",
    "What happened with the {project} launch at {company}?",
    "Which {food} place did {person} open?",
    "What did we name the {pet}?",
    "Where does {person} work now?",
    "What diet am I on?",
    "Which {device} did I want to buy?",
    "What did the doctor say about my {body}?",
)


def queries(count: int, *, seed: int = 1) -> list[str]:
    """``count`` questions of the kind a user asks about such a history."""
    rng = random.Random(seed)
    return [_fill(rng.choice(_QUESTIONS), rng) for _ in range(count)]
