"""Knowledge updates: a seeded set of life-change stories, their scoring, and the runner.

Each generated story follows one person through 2-4 dated chat sessions with an assistant. The
person states an attribute (where they live, who they work for, their favourite band, ...) in
passing, among chit-chat and mentions of other cities, companies and names; months later, in a
later session, they say it changed. Two questions follow: a *current* question ("Where does Ana
live now?") whose answer is the new value, asked at the time of the last turn, and an *as-of*
question ("Where did Ana live?") asked with ``as_of`` set strictly between the first statement
and the change, whose answer is the old value.

The memory under test sees what a user would give it: the messages (role, speaker, text, time)
and the question with its times. The attribute and the values are read by the scorer only.
"""

from __future__ import annotations

import enum
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from kenning.errors import ValidationError
from kenning.models import SearchResult

from ._common import Progress, Timer, describe, stamp, write_json
from ._protocol import SupportsAdd
from .metrics import Scored, summarize

__all__ = [
    "ATTRIBUTES",
    "QuestionKind",
    "StorySession",
    "SupportsUpdates",
    "Turn",
    "UpdateQuestion",
    "UpdateStory",
    "first_correct_rank",
    "generate_update_stories",
    "is_correct",
    "mentions",
    "reciprocal_rank",
    "run_updates",
    "story_messages",
    "write_update_stories",
]

ASSISTANT = "assistant"
"""The speaker name of the assistant's turns."""


class QuestionKind(enum.StrEnum):
    """What a question asks for: the value now, or the value at an earlier time."""

    CURRENT = "current"
    AS_OF = "as_of"


# -- value pools ------------------------------------------------------------------------------

_PEOPLE = (
    "Ana", "Ben", "Chloé", "Diego", "Emeka", "Fatima", "Hiro", "Ingrid", "Jonas", "Kavya",
    "Lena", "Mateo", "Nadia", "Omar", "Priya", "Quentin", "Rosa", "Sven", "Tomás", "Uma",
    "Wei", "Yara", "Zoe", "Aiko", "Bilal", "Carmen", "Dmitri", "Elif", "Felix", "Greta",
    "Hassan", "Isla", "Jamal", "Keiko", "Leon", "Maya", "Nils", "Olga", "Pablo", "Rania",
    "Sami", "Tara", "Viktor", "Wanda", "Xavier", "Yusuf", "Zainab", "Amara", "Bruno", "Dalia",
    "Eitan", "Farah", "Gustavo", "Hana", "Ivan", "Joana", "Kenji", "Lucía", "Malik", "Noor",
    "Oskar", "Paloma", "Ravi", "Sofia", "Theo", "Valeria",
)  # fmt: skip

_CITIES = (
    "Paris", "Berlin", "Lisbon", "Madrid", "Amsterdam", "Vienna", "Prague", "Copenhagen",
    "Dublin", "Toronto", "Chicago", "Seattle", "Denver", "Austin", "Boston", "Melbourne",
    "Sydney", "Tokyo", "Seoul", "Barcelona", "Munich", "Lyon", "Milan", "Oslo", "Stockholm",
    "Helsinki", "Warsaw", "Budapest", "Montreal", "Vancouver", "Edinburgh", "Zurich",
    "Singapore", "Cape Town", "Buenos Aires",
)  # fmt: skip
_OTHER_CITIES = (
    "Rome", "London", "New York", "Athens", "Cairo", "Bangkok", "Istanbul", "Mexico City",
    "Nairobi", "Marrakesh", "Reykjavik", "Hanoi",
)  # fmt: skip

_COMPANIES = (
    "Stripe", "Spotify", "Airbnb", "Shopify", "Atlassian", "Siemens", "Deloitte", "Accenture",
    "Pfizer", "Unilever", "Zalando", "Canva", "Figma", "Datadog", "Adidas", "Philips", "Bosch",
    "Novartis", "Ericsson", "Nokia", "Heineken", "Lufthansa", "Salesforce", "Dropbox", "Etsy",
    "Twilio", "Klarna", "Revolut", "Booking.com", "Northwind Labs", "Bluefin Health",
    "Greenleaf Bank",
)  # fmt: skip
_OTHER_COMPANIES = (
    "Google", "Microsoft", "Apple", "Amazon", "Tesla", "Netflix", "IBM", "Samsung", "Toyota",
    "Nestlé",
)  # fmt: skip

_OCCUPATIONS = (
    "nurse", "accountant", "software engineer", "teacher", "architect", "paramedic",
    "pharmacist", "graphic designer", "lawyer", "electrician", "chef", "journalist",
    "physiotherapist", "data scientist", "translator", "pilot", "firefighter", "dentist",
    "veterinarian", "librarian", "carpenter", "photographer", "midwife", "social worker",
    "civil engineer", "project manager", "plumber", "economist",
)  # fmt: skip

_SCHOOLS = (
    "Stanford", "Cornell", "McGill", "Oxford", "Cambridge", "Harvard", "Yale", "Princeton",
    "Columbia", "Duke", "Caltech", "UCLA", "NYU", "Sciences Po", "Imperial College",
    "Trinity College", "KU Leuven", "Bocconi", "Tsinghua", "Waseda", "Sorbonne",
    "Georgia Tech", "Carnegie Mellon", "Johns Hopkins",
)  # fmt: skip

_PARTNERS = (
    "Marco", "Luis", "Sarah", "Julia", "Daniel", "Elena", "Tom", "Grace", "Hugo", "Clara",
    "Robin", "Alex", "Jamie", "Nora", "Adam", "Ruth", "Kai", "Mira", "Ethan", "Leila", "Owen",
    "Ines", "Sebastian", "Freya", "Rafael", "Hannah", "Youssef", "Chiara", "Lukas", "Anya",
)  # fmt: skip

_PETS = (
    "Biscuit", "Mochi", "Pepper", "Luna", "Olive", "Ziggy", "Pickles", "Waffles", "Nugget",
    "Clementine", "Gizmo", "Bean", "Mango", "Pretzel", "Noodle", "Juniper", "Rocket",
    "Pumpkin", "Bagel", "Tofu", "Maple", "Sprout", "Cinnamon", "Bandit",
)  # fmt: skip
_SPECIES = ("cat", "dog", "kitten", "puppy", "rabbit", "parrot", "guinea pig", "hamster")

_SURNAMES = (
    "Moreau", "Brandt", "Kowalski", "Okafor", "Tanaka", "Lindqvist", "Haddad", "Fernández",
    "Novak", "Rossi", "Schmidt", "Dubois", "Nakamura", "Petrov", "Oliveira", "Jensen", "Costa",
    "Yilmaz", "Murphy", "Kaur", "Nguyen", "Andersson", "Bianchi", "Horvath", "Mensah",
    "Ortega", "Varga", "Laurent", "Fischer", "Sato", "Castillo",
)  # fmt: skip

_FAVORITES: dict[str, tuple[str, ...]] = {
    "color": (
        "blue", "green", "red", "yellow", "purple", "orange", "teal", "black", "pink",
        "turquoise", "burgundy", "navy", "lavender",
    ),
    "food": (
        "sushi", "pizza", "ramen", "tacos", "pho", "lasagna", "curry", "dumplings", "paella",
        "falafel", "risotto", "pad thai", "burritos", "pierogi", "biryani", "shakshuka",
    ),
    "band": (
        "Radiohead", "Coldplay", "Arctic Monkeys", "Fleetwood Mac", "Tame Impala", "Daft Punk",
        "Muse", "ABBA", "Metallica", "Pearl Jam", "Bon Iver", "Vampire Weekend",
        "Foo Fighters", "Blur", "Oasis", "Portishead", "Massive Attack", "Gorillaz", "Wilco",
    ),
    "movie": (
        "Inception", "Parasite", "Casablanca", "Spirited Away", "Interstellar", "Whiplash",
        "Amélie", "Jaws", "Goodfellas", "Titanic", "Gladiator", "Rocky", "Alien", "Amadeus",
        "Vertigo", "Memento", "Oldboy", "Paddington",
    ),
    "book": (
        "Dune", "Middlemarch", "Beloved", "Circe", "Jane Eyre", "Ulysses", "Persuasion",
        "The Hobbit", "Frankenstein", "Dracula", "Stoner", "Pachinko", "Atonement",
        "Wolf Hall", "Moby-Dick", "Don Quixote", "Anna Karenina", "Middlesex",
    ),
    "sport": (
        "tennis", "football", "basketball", "climbing", "swimming", "cycling", "volleyball",
        "badminton", "surfing", "rugby", "golf", "padel", "hockey", "cricket", "skiing",
        "rowing", "fencing", "table tennis",
    ),
}  # fmt: skip

# -- phrasings --------------------------------------------------------------------------------
# Placeholders: {value} (the old value, in initial statements and restatements), {new} and
# {old} (in change statements), {person}, {an} / {an_old} (the article of the value named),
# {kind} / {old_kind} (a pet's species), {thing} (the favourite's noun).


@dataclass(frozen=True, slots=True)
class _Phrasings:
    """How people state an attribute, restate it, change it, and how others ask about it."""

    initial: tuple[str, ...]
    restate: tuple[str, ...]
    change: tuple[str, ...]
    change_from: tuple[str, ...]  # change sentences that also name the old value
    current: tuple[str, ...]
    as_of: tuple[str, ...]
    distractors: tuple[str, ...]  # chit-chat naming another value of the same kind: {other}


_CITY = _Phrasings(
    initial=(
        "I've been living in {value} for about three years now.",
        "Greetings from {value}! It's raining again, as usual.",
        "My flat in {value} is tiny but I love the neighbourhood.",
        "We're based in {value}, so any suggestions need to be within reach of that.",
        "Home for me is {value}, I moved here right after university.",
        "Living in {value} means I cycle pretty much everywhere.",
        "Our apartment in {value} has a balcony, so I'm thinking about growing herbs.",
        "I live in {value}, what's a good day trip from here?",
    ),
    restate=(
        "The weather in {value} has been awful this week.",
        "There's a new bakery on my street here in {value}.",
        "Still in {value}, still complaining about the rent.",
        "Traffic in {value} was a nightmare this morning.",
    ),
    change=(
        "We finally moved to {new} last week!",
        "Writing to you from our new place in {new}, the boxes are still everywhere.",
        "Big update: I relocated to {new} for good.",
        "I signed the lease on an apartment in {new}, moving day was Saturday.",
        "Just got my residence registration done here in {new}, so it's official.",
        "So I live in {new} now, still figuring out the tram lines.",
        "The move went smoothly, we're all settled in {new}.",
        "Our new neighbours in {new} brought us a cake the day we arrived.",
    ),
    change_from=(
        "I'm not in {old} anymore, we live in {new} now.",
        "We left {old} for {new} at the end of last month.",
        "After six years in {old} I packed up and moved to {new}.",
        "Swapped {old} for {new}, and honestly the rent is better.",
        "Goodbye {old}, hello {new}! The move is done.",
        "We moved out of {old}; home is {new} now.",
    ),
    current=(
        "Where does {person} live now?",
        "Which city is {person} living in these days?",
        "What city does {person} call home at the moment?",
        "Where is {person} based currently?",
    ),
    as_of=(
        "Where did {person} live?",
        "Which city was {person} living in?",
        "Where does {person} live?",
        "Where was {person} based?",
    ),
    distractors=(
        "My brother just got back from {other} and won't stop talking about the food.",
        "Have you ever been to {other}? A friend says it's overrated.",
        "I might go to {other} for a conference in the spring.",
        "My parents met in {other}, it's a funny story actually.",
        "I saw a documentary about the metro system in {other} last night.",
    ),
)

_EMPLOYER = _Phrasings(
    initial=(
        "I work at {value}, on the payments team.",
        "I've been at {value} for almost four years.",
        "My manager at {value} wants us back in the office three days a week.",
        "Our team at {value} is shipping a big release on Friday, so I'm swamped.",
        "Work at {value} has been hectic since the reorg.",
        "{value} gives us Fridays off in the summer, which is the best perk.",
        "I'm on the analytics team over at {value}.",
    ),
    restate=(
        "Another all-hands at {value} today, they never end.",
        "I'm still at {value}, still on the same project.",
        "The coffee machine at {value} broke again.",
    ),
    change=(
        "I just started a new job at {new}.",
        "Big news: I accepted an offer from {new} and started Monday.",
        "First week at {new} done, everyone seems really nice.",
        "I signed my contract with {new}, so that's my new employer.",
        "I'm working for {new} now, the onboarding is intense.",
        "Guess who got hired by {new}? Me!",
        "My new badge from {new} finally arrived, it's official.",
    ),
    change_from=(
        "I quit {old} and joined {new} this month.",
        "Left {old} after four years, I'm at {new} now.",
        "I handed in my notice at {old}; starting at {new} on Monday.",
        "No more {old} for me, I moved over to {new}.",
        "{new} poached me from {old}, can you believe it?",
    ),
    current=(
        "Who does {person} work for now?",
        "Which company is {person} working at these days?",
        "Where does {person} work at the moment?",
        "What is {person}'s current employer?",
    ),
    as_of=(
        "Who did {person} work for?",
        "Which company was {person} working at?",
        "Where does {person} work?",
        "Who was {person}'s employer?",
    ),
    distractors=(
        "I read an article about {other} this morning, they're laying people off.",
        "A recruiter from {other} messaged me, I ignored it.",
        "My roommate works at {other} and says the cafeteria is amazing.",
        "Is {other} stock a good buy right now?",
        "My cousin had an interview at {other} yesterday.",
    ),
)

_OCCUPATION = _Phrasings(
    initial=(
        "I work as {an} {value}, mostly early shifts lately.",
        "I'm {an} {value}, so my days are pretty packed.",
        "Being {an} {value} keeps me busy, but I like it.",
        "I've been {an} {value} since I finished my training.",
        "My job? I'm {an} {value}. It pays the bills and I mostly enjoy it.",
        "As {an} {value}, I rarely get a proper lunch break.",
        "I trained as {an} {value} and have done it ever since.",
    ),
    restate=(
        "Long day at work, being {an} {value} is exhausting sometimes.",
        "Another busy week as {an} {value}.",
        "People assume being {an} {value} is easy, it really isn't.",
    ),
    change=(
        "I retrained and I'm working as {an} {new} now.",
        "I changed careers, I'm {an} {new} these days.",
        "Officially {an} {new} as of this month, new career!",
        "I passed my certification, so I'm finally a qualified {new}.",
        "Started my first week as {an} {new}, it's a totally different world.",
        "My new job title is {new}, can you believe it?",
        "After the course I landed a position as {an} {new}.",
    ),
    change_from=(
        "I'm done being {an_old} {old}, I'm working as {an} {new} now.",
        "I switched from {old} to {new}, scary but exciting.",
        "I left my {old} job and now I work as {an} {new}.",
        "No longer {an_old} {old}: I'm {an} {new} now.",
    ),
    current=(
        "What does {person} do for a living now?",
        "What is {person}'s job these days?",
        "What is {person}'s current occupation?",
        "What does {person} work as now?",
    ),
    as_of=(
        "What did {person} do for a living?",
        "What was {person}'s job?",
        "What does {person} do for work?",
        "What was {person}'s occupation?",
    ),
    distractors=(
        "My cousin is {an_other} {other} and works crazy hours.",
        "I always wanted to be {an_other} {other} as a kid.",
        "Is it hard to become {an_other} {other}?",
        "My neighbour is {an_other} {other}, really nice person.",
    ),
)

_SCHOOL = _Phrasings(
    initial=(
        "I'm in my second year at {value}.",
        "Classes at {value} start at eight, which is brutal.",
        "I study at {value}, doing a degree in economics.",
        "My dorm at {value} is right next to the library.",
        "Exams at {value} are next week and I'm panicking.",
        "I got into {value} for my master's, classes started in September.",
        "The campus at {value} is gorgeous in autumn.",
    ),
    restate=(
        "Still at {value}, still drowning in reading.",
        "The library at {value} is open all night during exams.",
        "My seminar at {value} ran an hour over today.",
    ),
    change=(
        "I transferred to {new} this semester.",
        "First day of classes at {new} today!",
        "I'm enrolled at {new} now, the transfer went through.",
        "I just started my PhD at {new}.",
        "My student card from {new} came in the mail, it feels real now.",
        "I got accepted to {new} and I'm starting there this term.",
        "Orientation week at {new} was chaos but fun.",
    ),
    change_from=(
        "I left {old} and transferred to {new}.",
        "Switched schools: {old} wasn't a good fit, so I'm at {new} now.",
        "After finishing at {old} I started grad school at {new}.",
        "I'm not at {old} anymore, I study at {new} now.",
    ),
    current=(
        "Where does {person} study now?",
        "Which school does {person} attend these days?",
        "What university is {person} enrolled at now?",
        "Where is {person} studying at the moment?",
    ),
    as_of=(
        "Where did {person} study?",
        "Which school did {person} attend?",
        "Where does {person} study?",
        "Which university was {person} enrolled at?",
    ),
    distractors=(
        "My niece just got into {other}!",
        "Is {other} worth the tuition, do you think?",
        "My best friend teaches at {other}.",
        "There's a public lecture at {other} next week I might go to.",
    ),
)

_PARTNER = _Phrasings(
    initial=(
        "My partner {value} is cooking tonight, so I'm off the hook.",
        "{value} and I have been together for two years.",
        "I'm going to a concert with {value}, my partner, on Friday.",
        "My partner {value} thinks I work too much.",
        "{value} and I are celebrating our anniversary next month.",
        "I'm dating {value}; we met at a friend's party.",
        "My other half, {value}, is learning to bake bread.",
    ),
    restate=(
        "{value} and I went hiking on Saturday.",
        "{value} made pancakes this morning, best start to the weekend.",
        "My partner {value} says hi, by the way.",
    ),
    change=(
        "I'm seeing someone new, {new}, and it's going really well.",
        "I've started dating {new}, we met at my climbing gym.",
        "{new} and I made it official last weekend!",
        "I'm with {new} now, we've been together a couple of months.",
        "My new partner {new} is meeting my parents on Sunday.",
        "{new} asked me to move in together!",
        "Things with {new} are getting serious, we're going on our first trip together.",
    ),
    change_from=(
        "{old} and I broke up. I'm with {new} now.",
        "I split up with {old} a while ago; I'm dating {new} these days.",
        "After {old} and I ended things, I met {new}, and we're together now.",
        "It's over with {old}. {new} and I have been seeing each other since spring.",
    ),
    current=(
        "Who is {person}'s partner now?",
        "Who is {person} dating these days?",
        "Who is {person} in a relationship with now?",
        "Who is {person} seeing at the moment?",
    ),
    as_of=(
        "Who was {person}'s partner?",
        "Who was {person} dating?",
        "Who is {person}'s partner?",
        "Who was {person} in a relationship with?",
    ),
    distractors=(
        "My friend {other} is throwing a party on Saturday.",
        "{other} from work keeps asking me to play squash.",
        "My cousin {other} is getting married in June.",
        "I ran into my old classmate {other} at the supermarket.",
    ),
)

_PET = _Phrasings(
    initial=(
        "I have a {kind} named {value}, she sleeps on my keyboard.",
        "My {kind} {value} woke me up at five again.",
        "{value}, my {kind}, has a vet appointment tomorrow.",
        "I need to buy food for {value}, my {kind}.",
        "Our {kind} is called {value} and he's a total menace.",
        "Spending time with {value}, my {kind}, is the best part of my day.",
        "{value} the {kind} knocked a glass off the table this morning.",
    ),
    restate=(
        "{value} has been extra cuddly this week.",
        "I bought {value} a new bed and of course it's ignored.",
        "{value} is snoring next to me as I type this.",
    ),
    change=(
        "We adopted a {kind} from the shelter, we named him {new}.",
        "Meet {new}, our new {kind}!",
        "Our new {kind} {new} is settling in nicely.",
        "I brought home a {kind} last weekend, {new} is her name.",
        "{new}, the {kind} we just adopted, already rules the house.",
        "Say hi to {new}! We got a {kind} and she's perfect.",
    ),
    change_from=(
        "{old} passed away last month; we've since adopted a {kind} called {new}.",
        "We had to rehome {old}, but now we have {new}, a sweet little {kind}.",
        "After losing {old} I wasn't sure about another pet, but {new} the {kind} stole my heart.",
        "{old} went to live with my parents on their farm, and we adopted {new}, a {kind}.",
    ),
    current=(
        "What is the name of {person}'s pet now?",
        "What's {person}'s pet called these days?",
        "What pet does {person} have now?",
        "What is {person}'s current pet's name?",
    ),
    as_of=(
        "What was the name of {person}'s pet?",
        "What was {person}'s pet called?",
        "What is {person}'s pet called?",
        "What pet did {person} have?",
    ),
    distractors=(
        "My neighbour's dog {other} barks all night.",
        "My sister's cat is called {other}, isn't that a funny name?",
        "A coworker brought her puppy {other} to the office today.",
        "The café around the corner has a resident cat, everyone calls it {other}.",
    ),
)

_FAVORITE = _Phrasings(
    initial=(
        "My favorite {thing} is {value}, no contest.",
        "Nothing beats {value}, it's my all-time favorite {thing}.",
        "If you asked me for my favourite {thing}, I'd say {value} without thinking.",
        "{value} has been my favorite {thing} since I was a teenager.",
        "Top {thing} for me? {value}, always.",
        "I'll defend {value} forever, best {thing} there is.",
    ),
    restate=(
        "I still think {value} is the best {thing} there is.",
        "{value} remains my favorite {thing}, by the way.",
    ),
    change=(
        "My new favorite {thing} is {new}.",
        "I have a new favorite {thing}: {new}.",
        "These days {new} is my favorite {thing}, tastes change I guess.",
        "Honestly, {new} has become my favorite {thing} lately.",
        "Plot twist: my favorite {thing} is {new} now.",
        "I've completely fallen for {new}, it's my favorite {thing} now.",
    ),
    change_from=(
        "{old} used to be my favorite {thing}, but now it's {new}.",
        "I've moved on from {old}; {new} is my favorite {thing} these days.",
        "Sorry {old}, {new} is my favorite {thing} now.",
        "My favorite {thing} isn't {old} anymore, it's {new}.",
    ),
    current=(
        "What is {person}'s favorite {thing} now?",
        "What's {person}'s favorite {thing} these days?",
        "Which {thing} does {person} like best at the moment?",
        "What {thing} is {person}'s current favorite?",
    ),
    as_of=(
        "What was {person}'s favorite {thing}?",
        "What is {person}'s favorite {thing}?",
        "Which {thing} did {person} like best?",
        "What {thing} did {person} love most?",
    ),
    distractors=(
        "My sister is obsessed with {other}, she won't stop talking about it.",
        "A friend keeps recommending {other} to me.",
        "I don't really get the hype around {other}, honestly.",
    ),
)

# Thing-specific lines, mixed in with the generic favourite phrasings above.
_FAVORITE_EXTRA: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "color": (
        ("I painted my bedroom {value} because it's my favorite color.",),
        ("I've been wearing {new} all the time, it's my favorite color now.",),
        ("My sister painted her whole kitchen {other}.",),
    ),
    "food": (
        ("I could eat {value} every day, it's my favorite food.",),
        ("I've been ordering {new} three times a week, it's my favorite food now.",),
        ("My roommate made {other} for dinner, it was fine.",),
    ),
    "band": (
        ("I've seen {value} live four times, they're my favorite band.",),
        ("I can't stop listening to {new}, they're my favorite band now.",),
        ("My brother dragged me to a {other} concert last year.",),
    ),
    "movie": (
        ("I've watched {value} probably twenty times, it's my favorite movie.",),
        ("Saw {new} again last week and it's officially my favorite movie now.",),
        ("We watched {other} last night, it was okay.",),
    ),
    "book": (
        ("I reread {value} every summer; it's my favorite book.",),
        ("I finished {new} and it's my new favorite book, I couldn't put it down.",),
        ("My book club is reading {other} this month.",),
    ),
    "sport": (
        ("I play {value} every weekend, it's my favorite sport.",),
        ("I joined a {new} club and it's my favorite sport now.",),
        ("My kids started {other} lessons this autumn.",),
    ),
}

_AGE = _Phrasings(
    initial=(
        "I'm {value}, so maybe it's time to start stretching before I run.",
        "At {value} I finally learned to swim.",
        "I'm {value} years old and I still can't cook rice properly.",
        "At {value} years old, I feel like I should have my taxes figured out.",
        "I'll be honest, at {value} my knees are already complaining.",
        "I'm {value} and just signed up for my first marathon.",
        "Being {value} is great, honestly, no complaints.",
    ),
    restate=(
        "I'm {value}, I shouldn't be this tired after one flight of stairs.",
        "Still {value}, and still no idea what I want to be when I grow up.",
    ),
    change=(
        "I turned {new} yesterday!",
        "It was my birthday on Saturday, I'm {new} now.",
        "Officially {new} as of this morning, the party was great.",
        "Just celebrated turning {new} with some friends.",
        "Another year older: I'm {new} today.",
        "Happy birthday to me, I'm {new}!",
    ),
    change_from=(
        "No longer {old}: I turned {new} on Sunday.",
        "Goodbye {old}, hello {new}! Birthday was yesterday.",
        "I was {old} for exactly one year and now I'm {new}.",
    ),
    current=(
        "How old is {person} now?",
        "What age is {person} these days?",
        "How old is {person} at the moment?",
        "What is {person}'s current age?",
    ),
    as_of=(
        "How old was {person}?",
        "How old is {person}?",
        "What age was {person}?",
        "What was {person}'s age?",
    ),
    distractors=(
        "My dad turns {other} next month, we're planning a party.",
        "My grandmother is {other} and still drives everywhere.",
        "My boss just turned {other}, we got a cake for the office.",
    ),
)

_NAME = _Phrasings(
    initial=(
        "My full name is {person} {value}, for the booking.",
        "Please address the letter to {person} {value}.",
        "My surname is {value}, people always misspell it.",
        "The reservation is under {value}, that's my last name.",
        "I'm {person} {value}, nice to meet you properly.",
        "Everyone at school called me by my last name, {value}.",
    ),
    restate=(
        "The package was addressed to {person} {value}, so it's definitely mine.",
        "Yes, {value} is my last name, with the stress on the first syllable.",
    ),
    change=(
        "I got married and took my spouse's surname, so I'm {person} {new} now.",
        "My name change went through, my last name is officially {new}.",
        "New passport, new name: {person} {new}.",
        "Please update my details, my surname is {new} now.",
        "I've started going by {new} as my last name since the wedding.",
        "The bank finally updated my card to {person} {new}.",
    ),
    change_from=(
        "I'm no longer {person} {old}, it's {person} {new} since the wedding.",
        "I changed my last name from {old} to {new}.",
        "My surname was {old}, but it's {new} now.",
        "Cross out {old} on the form, my last name is {new} now.",
    ),
    current=(
        "What is {person}'s last name now?",
        "What surname does {person} go by these days?",
        "What is {person}'s current surname?",
        "What's {person}'s family name now?",
    ),
    as_of=(
        "What was {person}'s last name?",
        "What is {person}'s surname?",
        "What surname did {person} use?",
        "What was {person}'s family name?",
    ),
    distractors=(
        "My colleague {other_first} {other} is leaving the company.",
        "The new neighbours are called {other}, they seem nice.",
        "Our plumber's last name is {other}, same as my old teacher.",
    ),
)

_FAVORITE_PREFIX = "favorite:"

ATTRIBUTES: tuple[str, ...] = (
    "city",
    "employer",
    "occupation",
    "school",
    "partner",
    "pet",
    *(f"{_FAVORITE_PREFIX}{thing}" for thing in _FAVORITES),
    "age",
    "name",
)
"""Every attribute a generated story can change (``favorite:<thing>`` for favourites)."""

_SPECS: dict[str, tuple[_Phrasings, tuple[str, ...]]] = {
    "city": (_CITY, _CITIES),
    "employer": (_EMPLOYER, _COMPANIES),
    "occupation": (_OCCUPATION, _OCCUPATIONS),
    "school": (_SCHOOL, _SCHOOLS),
    "partner": (_PARTNER, _PARTNERS),
    "pet": (_PET, _PETS),
    "name": (_NAME, _SURNAMES),
}

# Relative weight of each attribute family when drawing a story; a favourite draws its thing
# uniformly, a name change is rarer.
_FAMILY_WEIGHTS = (
    ("city", 1.0),
    ("employer", 1.0),
    ("occupation", 1.0),
    ("school", 1.0),
    ("partner", 1.0),
    ("pet", 1.0),
    ("favorite", 1.5),
    ("age", 0.8),
    ("name", 0.4),
)

# -- filler -----------------------------------------------------------------------------------

_FILLER: tuple[tuple[str, str], ...] = (
    (
        "Any tips for getting better sleep? I keep waking up around three.",
        "Try a fixed wake-up time, no caffeine after noon, and keep your phone out of the bedroom.",
    ),
    (
        "What's a good recipe for {dish} for {n} people?",
        "A simple {dish} for {n}: prep everything first, cook in stages and season at the end.",
    ),
    (
        "My brother just got back from {city} and won't stop talking about the food.",
        "{city} has a great food scene! Did he have a favourite place?",
    ),
    (
        "I read an article about {company} this morning, apparently they're restructuring again.",
        "Restructurings are common in that industry; it'll be interesting to see how it plays out.",
    ),
    (
        "Can you explain how compound interest works?",
        "You earn interest on the interest: the balance grows by a fixed percentage each period.",
    ),
    (
        "I'm trying to learn {language}. Is an app enough?",
        "Apps are great for vocabulary, but pairing them with conversation practice helps a lot.",
    ),
    (
        "How long should I boil an egg for a runny yolk?",
        "About six minutes in boiling water, then straight into cold water.",
    ),
    (
        "My {relative} is visiting {city} next month, what should they see?",
        "In {city}, the old town and a good food market are must-sees; a walking tour helps too.",
    ),
    (
        "Do you think I should buy {item}?",
        "If you'd use it every week, it's probably worth it; otherwise wait for a sale.",
    ),
    (
        "What's the difference between a latte and a flat white?",
        "A flat white has less milk and thinner microfoam, so the coffee tastes stronger.",
    ),
    (
        "I binged the whole season of {show} over the weekend.",
        "That's a commitment! What did you think of the ending?",
    ),
    (
        "Help me write a polite email declining a meeting.",
        "Sure: 'Thank you for the invitation. Unfortunately I can't attend, but please share any "
        "notes and I'll follow up.'",
    ),
    (
        "A friend of mine just got an offer from {company}, should she negotiate?",
        "Almost always yes: a polite counter-offer rarely hurts and often helps.",
    ),
    (
        "I'm planning a {n}-day trip to {city}. Where should I stay?",
        "For {n} days in {city}, stay central so you can walk to most sights.",
    ),
    (
        "Is it normal for a sourdough starter to smell like nail polish?",
        "Yes, that usually means it's hungry; feed it more often.",
    ),
    (
        "What's a good gift for a coworker who's leaving?",
        "A nice notebook, a plant, or a card signed by the team is always appreciated.",
    ),
    (
        "My laptop is really slow lately. Any ideas?",
        "Check which apps start at login, free up disk space, and restart it now and then.",
    ),
    (
        "I went to a talk about {topic} last night, it was fascinating.",
        "That sounds great! What was the most surprising thing you learned?",
    ),
    (
        "Can you recommend {n} podcasts about {topic}?",
        "Sure, here are {n} well-reviewed podcasts about {topic}, from beginner-friendly to deep "
        "dives.",
    ),
    (
        "It's been raining for days. I need a hobby I can do indoors.",
        "Board games, baking, sketching or a jigsaw puzzle are all good rainy-day options.",
    ),
    (
        "Did you know {company} started in a tiny office above a shop?",
        "Lots of big companies have humble origin stories; it's become a bit of a legend.",
    ),
    (
        "My friend says {city} is the best city for cycling. True?",
        "{city} is quite bike-friendly, though rankings vary a lot depending on who you ask.",
    ),
    (
        "What should I pack for a weekend of hiking?",
        "Layers, a rain jacket, good socks, snacks, water and a small first-aid kit.",
    ),
    (
        "Remind me, how do I convert Celsius to Fahrenheit?",
        "Multiply by 9/5 and add 32.",
    ),
    (
        "How do I get coffee stains out of a white shirt?",
        "Rinse with cold water from the back, then dab with a bit of dish soap before washing.",
    ),
    (
        "My {relative} wants to start running. Any beginner plan?",
        "Walk-run intervals three times a week work well: one minute running, two walking.",
    ),
)

_SLOTS: dict[str, tuple[str, ...]] = {
    "dish": ("lentil soup", "banana bread", "chicken stew", "vegetable lasagne", "fried rice"),
    "language": ("Spanish", "Japanese", "Portuguese", "German", "Italian", "Korean"),
    "relative": ("sister", "brother", "cousin", "aunt", "uncle", "mum", "dad"),
    "item": ("a standing desk", "an air purifier", "an e-reader", "an espresso machine"),
    "show": ("The Crown", "Severance", "Dark", "The Bear", "Slow Horses", "Succession"),
    "topic": ("astronomy", "urban planning", "bees", "ancient Rome", "sleep science"),
}

_GREETINGS: tuple[tuple[str, str], ...] = (
    ("Hi again!", "Hello! What's on your mind today?"),
    ("Hey, quick question for you.", "Of course, go ahead."),
    ("Hey there!", "Hi! How can I help?"),
    ("I'm back, it's been a while.", "Welcome back! What can I do for you?"),
)

_REPLIES_INITIAL = (
    "Thanks for telling me, I'll keep that in mind.",
    "Good to know!",
    "That sounds nice.",
    "Got it. Anything I can help with around that?",
    "Oh, interesting! How do you like it?",
)
_REPLIES_CHANGE = (
    "Congratulations, that's a big change!",
    "Wow, exciting news!",
    "That's great, I hope it's going well.",
    "Thanks for the update!",
    "Oh wow, how are you feeling about it?",
)
_REPLIES_CHAT = (
    "Ha, that's a good one.",
    "Interesting, tell me more!",
    "That sounds fun.",
    "I can see why that would stick with you.",
    "Fair enough!",
)

_START = datetime(2022, 1, 3, 8, 0, tzinfo=UTC)


# -- records ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Turn:
    """One message: ``role`` is ``"user"`` (the person, named ``speaker``) or ``"assistant"``."""

    speaker: str
    role: str
    text: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class StorySession:
    """A dated chat session of a story."""

    session_id: str
    turns: tuple[Turn, ...]

    @property
    def started_at(self) -> datetime:
        """The time of the session's first turn."""
        return self.turns[0].timestamp


@dataclass(frozen=True, slots=True)
class UpdateQuestion:
    """A question with its answer (``expected``) and the value it must not be confused with."""

    kind: QuestionKind
    question: str
    expected: str
    other: str
    now: datetime
    as_of: datetime | None = None


@dataclass(frozen=True, slots=True)
class UpdateStory:
    """One person, one attribute that changes from ``old_value`` to ``new_value``."""

    story_id: str
    person: str
    attribute: str
    old_value: str
    new_value: str
    sessions: tuple[StorySession, ...]
    old_stated_at: datetime  # the first statement of the old value
    changed_at: datetime  # the statement of the change
    change_mentions_old: bool  # the change sentence names the old value too
    restated: bool  # the old value was stated once more before the change
    questions: tuple[UpdateQuestion, ...]

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (times as ISO 8601 strings)."""
        return {
            "id": self.story_id,
            "person": self.person,
            "attribute": self.attribute,
            "old_value": self.old_value,
            "new_value": self.new_value,
            "old_stated_at": self.old_stated_at.isoformat(),
            "changed_at": self.changed_at.isoformat(),
            "change_mentions_old": self.change_mentions_old,
            "restated": self.restated,
            "sessions": [
                {
                    "session_id": session.session_id,
                    "turns": [
                        {
                            "speaker": turn.speaker,
                            "role": turn.role,
                            "text": turn.text,
                            "timestamp": turn.timestamp.isoformat(),
                        }
                        for turn in session.turns
                    ],
                }
                for session in self.sessions
            ],
            "questions": [
                {
                    "kind": question.kind.value,
                    "question": question.question,
                    "expected": question.expected,
                    "other": question.other,
                    "now": question.now.isoformat(),
                    "as_of": None if question.as_of is None else question.as_of.isoformat(),
                }
                for question in self.questions
            ],
        }


# -- scoring (pure functions) -----------------------------------------------------------------


def _pattern(value: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(value.strip())}(?!\w)", re.IGNORECASE)


def mentions(text: str, value: str) -> bool:
    """Whether ``text`` contains ``value`` as a whole word or phrase, ignoring case.

    A match may not touch a word character on either side: ``"Rome"`` is in ``"to Rome."``
    but not in ``"Romeo"``; ``"34"`` is in ``"a 34-year-old"`` but not in ``"1934"``.
    """
    return bool(value.strip()) and _pattern(value).search(text) is not None


def is_correct(text: str, expected: str, other: str) -> bool:
    """A hit answers the question: it mentions ``expected`` and does not mention ``other``.

    A text naming both values ("we left Paris for Berlin") answers neither question: it does
    not say which one holds at the time asked.
    """
    return mentions(text, expected) and not mentions(text, other)


def first_correct_rank(texts: Iterable[str], expected: str, other: str) -> int | None:
    """1-based rank of the first text that :func:`is_correct`; ``None`` when none is."""
    for rank, text in enumerate(texts, start=1):
        if is_correct(text, expected, other):
            return rank
    return None


def reciprocal_rank(rank: int | None) -> float:
    """``1 / rank``, or 0.0 for no correct hit (the term averaged into mean reciprocal rank)."""
    return 0.0 if rank is None else 1.0 / rank


def _question_metrics(rank: int | None) -> dict[str, float]:
    return {
        "accuracy@1": float(rank == 1),
        "accuracy@5": float(rank is not None and rank <= 5),
        "mrr": reciprocal_rank(rank),
    }


# -- generator --------------------------------------------------------------------------------


def _article(phrase: str) -> str:
    return "an" if phrase[:1].lower() in "aeiou" else "a"


def _draw_attribute(rng: random.Random) -> str:
    families = [name for name, _ in _FAMILY_WEIGHTS]
    family = rng.choices(families, weights=[w for _, w in _FAMILY_WEIGHTS])[0]
    if family == "favorite":
        return f"{_FAVORITE_PREFIX}{rng.choice(list(_FAVORITES))}"
    return family


def _phrasings(attribute: str) -> tuple[_Phrasings, tuple[str, ...]]:
    """The phrasings of an attribute and its value pool (ages have none: they are drawn)."""
    if attribute.startswith(_FAVORITE_PREFIX):
        thing = attribute.removeprefix(_FAVORITE_PREFIX)
        initial, change, distractors = _FAVORITE_EXTRA[thing]
        spec = _Phrasings(
            initial=_FAVORITE.initial + initial,
            restate=_FAVORITE.restate,
            change=_FAVORITE.change + change,
            change_from=_FAVORITE.change_from,
            current=_FAVORITE.current,
            as_of=_FAVORITE.as_of,
            distractors=_FAVORITE.distractors + distractors,
        )
        return spec, _FAVORITES[thing]
    if attribute == "age":
        return _AGE, ()
    return _SPECS[attribute]


def _clash(a: str, b: str) -> bool:
    return mentions(a, b) or mentions(b, a)


def _draw_values(rng: random.Random, attribute: str, pool: Sequence[str]) -> tuple[str, str]:
    if attribute == "age":
        age = rng.randint(19, 68)
        return str(age), str(age + 1)
    while True:
        old, new = rng.sample(list(pool), 2)
        if not _clash(old, new):
            return old, new


def _other_values(attribute: str, pool: Sequence[str], old: str, new: str) -> list[str]:
    if attribute == "age":
        candidates = [str(age) for age in range(16, 95)]
    elif attribute == "city":
        candidates = [*pool, *_OTHER_CITIES]
    elif attribute == "employer":
        candidates = [*pool, *_OTHER_COMPANIES]
    else:
        candidates = list(pool)
    return [c for c in candidates if not _clash(c, old) and not _clash(c, new)]


class _Builder:
    """Draws the text of one story; every filler line avoids the story's two values."""

    def __init__(self, rng: random.Random, attribute: str, person: str, old: str, new: str) -> None:
        self.rng = rng
        self.attribute = attribute
        self.person = person
        self.old = old
        self.new = new
        self.spec, pool = _phrasings(attribute)
        self.others = _other_values(attribute, pool, old, new)
        self.thing = attribute.removeprefix(_FAVORITE_PREFIX)
        self.old_kind = rng.choice(_SPECIES)
        self.new_kind = rng.choice(_SPECIES)

    def _free(self, text: str) -> bool:
        return not mentions(text, self.old) and not mentions(text, self.new)

    def fill(self, template: str, *, value: str | None = None, kind: str | None = None) -> str:
        """``template`` with the story's placeholders filled (``value``: the value it names)."""
        named = self.new if value is None else value
        return template.format(
            person=self.person,
            thing=self.thing,
            value=named,
            old=self.old,
            new=self.new,
            an=_article(named),
            an_old=_article(self.old),
            kind=self.new_kind if kind is None else kind,
            old_kind=self.old_kind,
        )

    def initial(self) -> str:
        return self.fill(self.rng.choice(self.spec.initial), value=self.old, kind=self.old_kind)

    def restate(self) -> str:
        return self.fill(self.rng.choice(self.spec.restate), value=self.old, kind=self.old_kind)

    def change(self, mentions_old: bool) -> str:
        templates = self.spec.change_from if mentions_old else self.spec.change
        return self.fill(self.rng.choice(templates))

    def question(self, kind: QuestionKind) -> str:
        templates = self.spec.current if kind is QuestionKind.CURRENT else self.spec.as_of
        return self.rng.choice(templates).format(person=self.person, thing=self.thing)

    def distractor(self) -> tuple[str, str]:
        other = self.rng.choice(self.others)
        text = self.rng.choice(self.spec.distractors).format(
            other=other,
            an_other=_article(other),
            other_first=self.rng.choice([p for p in _PEOPLE if p != self.person]),
        )
        return text, self.rng.choice(_REPLIES_CHAT)

    def filler(self) -> tuple[str, str]:
        """A chit-chat round (user, assistant) naming neither value (redrawn until it doesn't)."""
        while True:
            user, assistant = self.rng.choice(_FILLER)
            slots = {name: self.rng.choice(options) for name, options in _SLOTS.items()}
            slots["city"] = self.rng.choice([*_CITIES, *_OTHER_CITIES])
            slots["company"] = self.rng.choice([*_COMPANIES, *_OTHER_COMPANIES])
            slots["n"] = str(self.rng.randint(2, 12))
            pair = (user.format(**slots), assistant.format(**slots))
            if self._free(pair[0]) and self._free(pair[1]):
                return pair


@dataclass(slots=True)
class _Event:
    text: str
    reply: str
    tag: str  # "initial" | "restate" | "change" | "chat"


def _build_story(rng: random.Random, story_id: str) -> UpdateStory | None:
    """One story, or ``None`` when the draw broke a rule (the caller draws again)."""
    attribute = _draw_attribute(rng)
    person = rng.choice(_PEOPLE)
    _, pool = _phrasings(attribute)
    old, new = _draw_values(rng, attribute, pool)
    builder = _Builder(rng, attribute, person, old, new)
    mentions_old = rng.random() < 0.15

    n_sessions = rng.randint(2, 4)
    change_at = rng.randint(1, n_sessions - 1)
    restated = rng.random() < 0.35
    restate_at = rng.randint(0, change_at - 1) if restated else -1
    plan: list[list[_Event]] = []
    for index in range(n_sessions):
        events = []
        for _ in range(rng.randint(2, 4)):
            user, assistant = builder.filler()
            events.append(_Event(user, assistant, "chat"))
        if rng.random() < 0.6:
            user, assistant = builder.distractor()
            events.insert(rng.randint(0, len(events)), _Event(user, assistant, "chat"))
        key: list[_Event] = []
        if index == 0:
            key.append(_Event(builder.initial(), rng.choice(_REPLIES_INITIAL), "initial"))
        if index == restate_at:
            key.append(_Event(builder.restate(), rng.choice(_REPLIES_CHAT), "restate"))
        if index == change_at:
            key.append(_Event(builder.change(mentions_old), rng.choice(_REPLIES_CHANGE), "change"))
        # Key statements keep their order; filler goes around them.
        slots = sorted(rng.sample(range(len(events) + len(key)), len(key)))
        for slot, event in zip(slots, key, strict=True):
            events.insert(slot, event)
        if rng.random() < 0.5:
            user, assistant = rng.choice(_GREETINGS)
            events.insert(0, _Event(user, assistant, "chat"))
        plan.append(events)

    when = _START + timedelta(days=rng.randint(0, 900), hours=rng.randint(0, 12))
    sessions: list[StorySession] = []
    stamps: dict[str, datetime] = {}
    for index, events in enumerate(plan):
        if index:
            when += timedelta(days=rng.randint(21, 110), hours=rng.randint(-6, 6))
        turns: list[Turn] = []
        at = when
        for event in events:
            stamps.setdefault(event.tag, at)
            turns.append(Turn(person, "user", event.text, at))
            at += timedelta(minutes=rng.randint(1, 3), seconds=rng.randint(0, 59))
            turns.append(Turn(ASSISTANT, "assistant", event.reply, at))
            at += timedelta(minutes=rng.randint(1, 6), seconds=rng.randint(0, 59))
        sessions.append(StorySession(f"s{index + 1}", tuple(turns)))

    old_at, changed_at = stamps["initial"], stamps["change"]
    last = sessions[-1].turns[-1].timestamp
    span = (changed_at - old_at).total_seconds()
    as_of = old_at + timedelta(seconds=round(span * rng.uniform(0.2, 0.8)))
    questions = (
        UpdateQuestion(
            QuestionKind.CURRENT, builder.question(QuestionKind.CURRENT), new, old, last
        ),
        UpdateQuestion(
            QuestionKind.AS_OF, builder.question(QuestionKind.AS_OF), old, new, last, as_of
        ),
    )
    story = UpdateStory(
        story_id=story_id,
        person=person,
        attribute=attribute,
        old_value=old,
        new_value=new,
        sessions=tuple(sessions),
        old_stated_at=old_at,
        changed_at=changed_at,
        change_mentions_old=mentions_old,
        restated=restated,
        questions=questions,
    )
    return story if _well_formed(story, plan) else None


def _well_formed(story: UpdateStory, plan: Sequence[Sequence[_Event]]) -> bool:
    """The rules every story keeps: statements name the right values, questions name none."""
    old, new = story.old_value, story.new_value
    for events in plan:
        for event in events:
            names_old, names_new = mentions(event.text, old), mentions(event.text, new)
            if event.tag in ("initial", "restate") and not (names_old and not names_new):
                return False
            if event.tag == "change" and not (names_new and names_old == story.change_mentions_old):
                return False
            if event.tag == "chat" and (names_old or names_new):
                return False
    return not any(mentions(q.question, old) or mentions(q.question, new) for q in story.questions)


def generate_update_stories(n: int = 500, *, seed: int = 0) -> list[UpdateStory]:
    """``n`` knowledge-update stories, deterministic for a given ``seed``.

    Each story: one person, one attribute of :data:`ATTRIBUTES` (a name change is rarer), an
    old and a new value; 2-4 sessions 3-16 weeks apart, each of 2-4 chit-chat rounds (person,
    then assistant), often a greeting and a distractor line, and the key statements placed
    among them (6-27 rounds per story): the old value in the first session,
    in about a third of the stories once more before the change, and the change in a later
    session; about 15% of the change sentences also name the old value ("we left Paris for
    Berlin"). Filler never names either value; distractor lines name other values of the same
    kind. Questions: ``current`` (expected = new, asked at the last turn) and ``as_of``
    (expected = old, ``as_of`` strictly between the first statement and the change). Ids are
    ``upd<seed>-<index>``.
    """
    if n < 1:
        raise ValidationError("n", f"must be at least 1, got {n}")
    rng = random.Random(seed)
    stories: list[UpdateStory] = []
    while len(stories) < n:
        story = _build_story(rng, f"upd{seed}-{len(stories):05d}")
        if story is not None:
            stories.append(story)
    return stories


def write_update_stories(path: str | Path, stories: Sequence[UpdateStory]) -> Path:
    """Write ``stories`` as a JSON array of :meth:`UpdateStory.as_dict` (temporary file, rename)."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return write_json(path, [s.as_dict() for s in stories])


# -- runner -----------------------------------------------------------------------------------


class SupportsUpdates(SupportsAdd, Protocol):
    """What the updates runner calls: ``add`` messages, ``search`` with ``as_of`` and ``now``."""

    def search(
        self,
        query: str,
        *,
        user_id: str,
        limit: int = 10,
        as_of: datetime | None = None,
        now: datetime | None = None,
    ) -> SearchResult:
        """Ranked hits for ``query`` in ``user_id``'s scope, best first."""
        ...


def story_messages(session: StorySession) -> list[dict[str, Any]]:
    """The ``add`` messages of a session: role, content, timestamp, and the person's name.

    Only what a user would give: no attribute, no value labels, no metadata.
    """
    messages: list[dict[str, Any]] = []
    for turn in session.turns:
        message: dict[str, Any] = {
            "role": turn.role,
            "content": turn.text,
            "timestamp": turn.timestamp.isoformat(),
        }
        if turn.role == "user":
            message["name"] = turn.speaker
        messages.append(message)
    return messages


def _failure(story: UpdateStory, question: UpdateQuestion, texts: Sequence[str]) -> dict[str, Any]:
    return {
        "story_id": story.story_id,
        "attribute": story.attribute,
        "kind": question.kind.value,
        "question": question.question,
        "expected": question.expected,
        "other": question.other,
        "as_of": None if question.as_of is None else question.as_of.isoformat(),
        "top_hit": texts[0] if texts else None,
        "rank": first_correct_rank(texts, question.expected, question.other),
    }


def _prefixed(metrics: Mapping[str, float], kind: QuestionKind) -> dict[str, float]:
    return {f"{kind.value}_{name}": value for name, value in metrics.items()}


def _summary(rows: Sequence[tuple[str, QuestionKind, dict[str, float]]]) -> dict[str, Any]:
    """Per kind means, overall and per group (``rows``: group, kind, metrics)."""
    out: dict[str, Any] = {"overall": {}, "groups": {}}
    for kind in QuestionKind:
        grouped = summarize(Scored(group, m) for group, k, m in rows if k is kind)
        out["overall"].update(_prefixed(grouped.overall.means, kind))
        out["overall"][f"{kind.value}_questions"] = grouped.overall.count
        for name, summary in grouped.groups.items():
            group = out["groups"].setdefault(name, {})
            group.update(_prefixed(summary.means, kind))
            group[f"{kind.value}_questions"] = summary.count
    return out


def run_updates(
    memory_factory: Callable[[], AbstractContextManager[SupportsUpdates]],
    stories: Sequence[UpdateStory],
    *,
    limit: int = 10,
    failures: int = 5,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Ingest each story into its own scope, ask its questions, score the rankings.

    ``memory_factory()`` is entered once (``with``) for the whole run; use a fresh store.
    Scope: ``user_id`` = the story id; each session is one ``add`` call (``session_id`` =
    ``s<n>``, each message with its own timestamp). Each question is one ``search(question,
    limit=limit, as_of=..., now=...)`` with the default kinds. A question scores accuracy@1
    (the top hit :func:`is_correct`), accuracy@5 and reciprocal rank (of the first correct hit
    within ``limit``). The result has both kinds overall (``current_accuracy@1``,
    ``as_of_accuracy@1``, ``..._mrr``), per attribute, per change style (whether the change
    sentence also names the old value), and the first ``failures`` misses of each kind.
    ``progress(done, total)`` runs per story.
    """
    rows: list[tuple[str, QuestionKind, dict[str, float]]] = []
    styles: list[tuple[str, QuestionKind, dict[str, float]]] = []
    missed: dict[QuestionKind, list[dict[str, Any]]] = {kind: [] for kind in QuestionKind}
    timer = Timer()
    with memory_factory() as memory:
        for done, story in enumerate(stories, start=1):
            for session in story.sessions:
                timer.add(
                    memory,
                    story_messages(session),
                    user_id=story.story_id,
                    session_id=session.session_id,
                    timestamp=session.started_at,
                )
            for question in story.questions:
                started = time.perf_counter()
                result = memory.search(
                    question.question,
                    user_id=story.story_id,
                    limit=limit,
                    as_of=question.as_of,
                    now=question.now,
                )
                timer.query_durations.append(time.perf_counter() - started)
                texts = [hit.memory.text for hit in result.hits]
                rank = first_correct_rank(texts, question.expected, question.other)
                metrics = _question_metrics(rank)
                rows.append((story.attribute, question.kind, metrics))
                style = "names old value" if story.change_mentions_old else "new value only"
                styles.append((style, question.kind, metrics))
                if rank != 1 and len(missed[question.kind]) < failures:
                    missed[question.kind].append(_failure(story, question, texts))
            if progress is not None:
                progress(done, len(stories))
        engine = describe(memory)
    by_attribute = _summary(rows)
    by_style = _summary(styles)
    return {
        "dataset": "updates",
        "stories": len(stories),
        "questions": len(rows),
        **by_attribute["overall"],
        "per_attribute": {
            name: {"stories": sum(1 for s in stories if s.attribute == name), **metrics}
            for name, metrics in by_attribute["groups"].items()
        },
        "per_change_style": by_style["groups"],
        "failures": [example for kind in QuestionKind for example in missed[kind]],
        "timing": timer.report(unit="turns"),
        "config": {**engine, "limit": limit, "scope": "user_id = story id", **stamp()},
    }
