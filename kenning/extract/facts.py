"""Rule-based extraction of single-valued personal facts from one chat message (no LLM).

Why single-valued: a person has one city, one employer, one partner, one age at a time, so a
fact is a *slot* (:func:`slot_of`: who + which attribute, ``"ana.city"``) holding one value.
A new value for the same slot supersedes the old one (the store can close the old memory's
validity instead of keeping "Ana lives in Paris" and "Ana lives in Berlin" side by side), and
an ``ended`` fact ("I no longer live in Paris", "we broke up") closes the slot without a
successor. Pure, deterministic, standard library only, and fast enough for every message at
ingest (see the speed note below).

Attributes (canonical names): ``city``, ``employer``, ``occupation``, ``school``, ``name``,
``partner``, ``pet``, ``age`` and ``favorite:<thing>`` (thing lower-cased and singular,
"colour" spelled "color": "my favourite colours" -> ``favorite:color``).

How it reads a message:

* Curly apostrophes are straightened and first-person contractions expanded ("I'm" -> "I am",
  "we've" -> "we have", "I'd" -> "I would"). Double-quoted spans that look like speech (they
  contain a pronoun, or follow "said", "told", "asked", "goes", "was like" ...) are blanked:
  other people's words are not the speaker's facts. Quoted titles stay ("my favorite movie is
  "Heat"").
* The text is cut into sentences, and sentences into clauses at ";", ":", dashes, "but",
  "because", "though", "since", "and then/now/also", and at a comma or "and" followed by a new
  subject ("..., I ...", "... and we ..."). A clause ending in "?" or opening like a question
  ("do you ...", "where do ...", "what's ...") yields nothing.
* Each clause is matched against phrase patterns. The subject is "I"/"we"/"my"/"our" (the
  speaker, or ``"user"`` when the speaker is unknown), "my <relative>" (``"<speaker>'s
  sister"``; only relatives a person usually has one of, or names by role: parents, siblings,
  children, partner, grandparents, best friend, roommate, boss; "my friend", "my cousin" and the
  like are skipped because a later fact about another friend would wrongly supersede it), a
  capitalised name ("Ana", "Ana Silva", "Mom" -> "<speaker>'s mom"; a name whose verb is plural,
  "Penguins live in ...", is taken for a generic statement; "my sister Ana lives in Rome" is
  about "Ana", the more specific key), or "<Name>'s <relative>". A clause
  that starts with a verb after "and"/"but" ("... but moved to Berlin") inherits the subject of
  the sentence, unless the sentence is about someone untracked ("My niece got into Yale and
  started ...", "She ...": nobody's fact).
* Besides plain statements, changes and current values are read from what only a person in
  that situation says (*implied* facts): a home ("our new place in Lyon", "Home for me is
  Oslo", "Living in Sydney means I ..."), a workplace ("my manager at Klarna", "Another
  all-hands at Revolut", "First week at Etsy done", "I accepted an offer from Shopify"), a
  school ("my dorm at Bocconi", "Classes at Yale start at eight", "I got accepted to McGill and
  I'm starting there this term"; admission alone is not attendance), a job ("As a nurse, I
  ...", "Another busy week as an accountant", "I switched from X to Y", "Officially a
  carpenter"), a partner ("with Jamie, my partner,", "Nora and I have been seeing each other",
  "I met Nora, and we're together now", "It's over with Ethan"), a pet ("Meet Bagel, our new
  parrot!", "we named him Rocket"), a name ("my surname is Laurent now" -> the speaker's first
  name + Laurent; "I'm Malik Ortega now" only with the speaker's own first name) and an age
  ("Being 41 is great", "just had my 23rd birthday", "At 41 my knees are ..."). For these only
  the phrase itself is checked for hedges and negation, a future time does not void them ("my
  seminar at McGill is tomorrow"), but a past or modal verb right after does ("my flat in Rome
  was tiny"). A few need the message to be about the topic: "Three weeks in Porto now" a move
  ("boxes", "moved", "lease" ...), "I'm with Youssef now" a relationship, "we named him Rocket"
  getting an animal, "I'm at Waseda now" work or school (which one: by the name, then the
  topic).
* "it's my favorite X" takes the object of the clause before ("I finished Dune and it's my new
  favorite book"; "Nothing beats burgundy, it's ..."), and after an ended favourite or name "...
  but now it's Y" gives the new value ("My favorite food isn't pad thai anymore, it's tacos").
* A fact is dropped when, in its clause before the value, there is a modal, wish, plan or
  hypothetical ("might", "would", "will", "can", "want", "hope", "plan", "thinking", "if",
  "maybe", "used to", "going to", ...), when a future time follows it ("... next month",
  "tomorrow", "soon", "in two weeks"), or when it is negated ("I don't live in Paris"). A
  negation with "no longer" or a trailing "anymore"/"any longer" turns it into an ended fact
  ("I don't work at Google anymore" -> employer Google, ended).
* Tense: states count only in the present or present perfect ("I live", "I've been living",
  "I have worked there for years"); changes count in the past ("we moved to Berlin", "I joined
  Stripe", "I married Lena", "I turned 40"). "I lived in Paris", "I worked at Google", "I used
  to ..." and progressive changes ("I'm moving to Berlin", "I'm starting at Google") give
  nothing.

Values: places, employers, schools and names are capitalised runs as written ("New York",
"Bank of America", "St. Mary's Hospital"), cut at a comma ("Paris, France" -> "Paris"), with a
leading lower-case "the" and trailing punctuation removed. An employer may also be an
indefinite workplace noun phrase, kept with its article ("my mom works at a bank" -> "a bank";
"a tech startup"); a definite one ("the company") is skipped, since it usually refers back to
an employer already known (a few institutions excepted: "the government", "the army").
Occupations come from a list of about 200 job nouns with up to two modifiers ("software
engineer", "high school teacher"); evaluative modifiers void the fact ("a good cook", "a big
fan"), "former/retired/ex-" end it, "qualified" is dropped. A pet is its name when the message
gives one (then the bare animal is not reported), else the animal phrase ("a rescue dog"). Ages
are whole numbers 1-120 followed by "years old" or by the end of the clause ("I'm 5 minutes
away" is no age).

Knowingly out of scope: all-lower-case names and places ("i live in paris"); the place of a
job ("I work in London") or an origin ("I'm from Lisbon"); bare self-introductions ("I'm Ana",
ambiguous with "I'm French"; a full name starting with the speaker's first name is read);
visits and places merely mentioned ("Greetings from Paris", "here in Milan", "The campus at
Yale is gorgeous", "Still at Yale"); "left X for Y" (a city or an employer?); answers to one's
own question ("Top movie for me? Rocky") and hypotheticals ("I'd say Rocky"); facts spread over
two sentences ("Say hi to Noodle! We got a rabbit"); "I trained as a nurse" without "ever
since"; industries ("I work in tech"); ages in words ("I'm thirty");
plural or several values ("my favorite bands are ...", "I have two dogs"); pronoun subjects
("she moved to Rome": no coreference); a name-only pet death ("Rex died"); nested relatives
beyond one level ("my sister's husband's job"); single-quoted speech; reported facts are taken
at face value ("Tom told me Ana lives in Berlin" gives Ana's city). "I joined X" reads X as an
employer unless X is a known platform or club or is followed by "for/on/at" ("I joined Ana for
dinner"), so a person's name right at the end of such a clause can still be misread; "I left
X" / "I quit X" end an employer only when the message mentions work ("job", "boss", ...);
a capitalised non-person subject is taken for a person ("Google moved to Austin"), and names
that are also common words or months ("Will", "May") are not recognised as subjects.

Speed (CPython 3.11, 2-core dev machine under load, best of 3 ``timeit`` runs per text): 400
single LoCoMo chat sentences take 24 us median (p95 68 us); whole LoCoMo turns (131 characters
on average, often 2-4 sentences) 69 us median (p95 0.17 ms); short assistant-chat messages
28 us median (p95 92 us). Rules run only on clauses holding one of their keywords (one
prefix-factored regex scan per clause). Only the first 4,000 characters of a text are read.
"""

from __future__ import annotations

import enum
import functools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple

__all__ = ["PREDICATES", "Fact", "extract_facts", "slot_of"]

_MAX_CHARS = 4000


@dataclass(frozen=True, slots=True)
class Fact:
    """One single-valued fact stated in a message."""

    subject: str
    """Who it is about: the speaker (or ``"user"``), a name, or ``"<speaker>'s sister"``."""
    attribute: str
    """Canonical attribute: ``city``, ``employer``, ``favorite:color``, ..."""
    value: str
    """The value as written ("Berlin", "a bank", "32"); the old value or "" when ``ended``."""
    predicate: str
    """Readable predicate: "lives in", "works at", "favorite color is", ..."""
    text: str
    """A third-person statement: "Ana lives in Berlin"."""
    ended: bool = False
    """The message ends the attribute without giving a new value."""


def slot_of(subject: str, attribute: str) -> str:
    """The slot a fact fills: casefolded subject, whitespace collapsed, "." attribute.

    ``slot_of("Ana  Silva", "city") == "ana silva.city"``.
    """
    return " ".join(subject.casefold().split()) + "." + attribute


# --- word lists ----------------------------------------------------------------------------


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _alternation(items: str) -> str:
    """A regex alternation of comma-separated phrases, longest first, spaces as ``\\s+``."""
    phrases = sorted({p.strip() for p in items.split(",") if p.strip()}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in phrases) + ")"


_DAYS_MONTHS = _words(
    """monday tuesday wednesday thursday friday saturday sunday january february march april
    may june july august september october november december christmas easter"""
)

# Dropped from the front of a capitalised run taken as a subject ("Yesterday Ana" -> "Ana").
_NAME_LEADS = _words(
    """yesterday today tonight tomorrow now then so well oh ok okay yeah yes no also anyway btw
    actually honestly basically recently lately finally eventually meanwhile luckily sadly
    unfortunately fortunately hopefully apparently obviously clearly seriously literally hey hi
    hello wow omg lol haha and but or because since after before when while once last next this
    that every each sometimes usually often always never just still only even maybe perhaps
    speaking update guess plus meet introducing welcome"""
)

# Never a subject or a name value on their own.
_NOT_NAMES = (
    _NAME_LEADS
    | _DAYS_MONTHS
    | _words(
        """i me my mine we us our ours you your yours he him his she her hers they them their
        theirs it its these those there here who whom whose what which where why how everyone
        everybody someone somebody anyone anybody nobody none people person persons most many
        some all both either neither other others another the a an is are was were be been am
        has have had do does did will would can could should might must shall god jesus lord
        thanks thank please sorry sure great good nice cool love home work school college
        university church kids children students parents teachers doctors dogs cats men women
        guys folks everything something nothing anything one two three four five six seven eight
        nine ten eleven twelve twenty thirty forty fifty hundred"""
    )
)

# "my <relative>": relatives a person usually has one of, or names by role.
_REL_CANON = {
    "mum": "mom", "mother": "mom", "mommy": "mom", "mama": "mom", "momma": "mom",
    "father": "dad", "daddy": "dad", "papa": "dad", "sis": "sister", "bro": "brother",
    "hubby": "husband", "wifey": "wife", "gf": "girlfriend", "bf": "boyfriend",
    "fiance": "fiancé", "fiancee": "fiancée", "bestie": "best friend", "bff": "best friend",
    "children": "kids", "grandmother": "grandma", "granny": "grandma", "nana": "grandma",
    "grandfather": "grandpa", "flatmate": "roommate", "housemate": "roommate",
    "stepmother": "stepmom", "stepfather": "stepdad", "significant other": "partner",
    "other half": "partner",
}  # fmt: skip
_REL_MOD_CANON = {"big": "older", "little": "younger", "baby": "younger", "eldest": "oldest"}
_PLURAL_RELS = _words("parents kids children grandparents in-laws twins")
_RELATIONS = (
    "sister, brother, sis, bro, mom, mum, mother, mommy, mama, momma, dad, father, daddy, papa, "
    "parents, son, daughter, kids, children, baby, grandma, grandmother, granny, nana, grandpa, "
    "grandfather, grandparents, best friend, bestie, bff, roommate, flatmate, housemate, boss, "
    "wife, husband, girlfriend, boyfriend, partner, fiancé, fiance, fiancée, fiancee, spouse, "
    "hubby, wifey, gf, bf, significant other, other half, in-laws, mother-in-law, father-in-law, "
    "sister-in-law, brother-in-law, son-in-law, daughter-in-law, stepmom, stepdad, stepmother, "
    "stepfather, stepson, stepdaughter, stepsister, stepbrother, twin, family, ex, ex-wife, "
    "ex-husband, ex-girlfriend, ex-boyfriend, godmother, godfather"
)
_REL_MODS = "older, younger, big, little, baby, eldest, oldest, youngest, middle, twin, half"

_PARTNERS = (
    "wife, husband, girlfriend, boyfriend, partner, fiancé, fiance, fiancée, fiancee, spouse, "
    "hubby, wifey, gf, bf, significant other, other half"
)

_OCCUPATIONS = (
    "teacher, nurse, nurse practitioner, doctor, physician, surgeon, dentist, pharmacist, "
    "engineer, developer, programmer, coder, designer, architect, accountant, lawyer, attorney, "
    "paralegal, pilot, chef, cook, baker, barista, bartender, waiter, waitress, server, cashier, "
    "electrician, plumber, carpenter, mechanic, firefighter, fireman, policeman, policewoman, "
    "police officer, officer, cop, detective, journalist, reporter, writer, author, editor, "
    "photographer, artist, painter, illustrator, animator, musician, singer, songwriter, "
    "composer, producer, actor, actress, dancer, comedian, scientist, researcher, professor, "
    "lecturer, tutor, librarian, veterinarian, vet, therapist, psychologist, psychiatrist, "
    "counselor, counsellor, social worker, consultant, analyst, manager, director, executive, "
    "ceo, cto, cfo, coo, founder, co-founder, cofounder, entrepreneur, salesman, saleswoman, "
    "salesperson, realtor, real estate agent, travel agent, agent, banker, broker, trader, "
    "economist, translator, interpreter, paramedic, emt, midwife, caregiver, carer, nanny, "
    "babysitter, farmer, gardener, landscaper, driver, truck driver, trucker, soldier, sailor, "
    "receptionist, secretary, assistant, clerk, janitor, custodian, housekeeper, cleaner, "
    "hairdresser, hairstylist, stylist, barber, coach, trainer, personal trainer, instructor, "
    "intern, freelancer, contractor, technician, welder, miner, fisherman, streamer, youtuber, "
    "influencer, model, filmmaker, copywriter, marketer, recruiter, optometrist, radiologist, "
    "dietitian, nutritionist, physiotherapist, physio, physical therapist, chiropractor, "
    "flight attendant, attendant, postman, mailman, mail carrier, auditor, bookkeeper, actuary, "
    "statistician, mathematician, physicist, chemist, biologist, geologist, astronomer, "
    "historian, archaeologist, linguist, pastor, priest, rabbi, imam, minister, politician, "
    "diplomat, judge, administrator, supervisor, foreman, worker, surveyor, zookeeper, "
    "anesthesiologist, pediatrician, cardiologist, neurologist, doula, sommelier, butcher, "
    "florist, tailor, jeweler, jeweller, machinist, lifeguard, dj, tester, tattoo artist, "
    "makeup artist, stay-at-home mom, stay-at-home dad, stay-at-home parent, housewife, "
    "homemaker, principal, professor, dean, scientist, data scientist, programmer, investor, "
    "pharmacist, psychotherapist, social media manager, product manager, project manager, "
    "ux designer, web developer, software engineer, software developer, game developer"
)
# Modifiers that make "I'm a <job>" a description rather than an occupation.
_EVALUATIVE = _words(
    """good great bad big huge real true total complete natural born terrible horrible awful
    amazing awesome excellent decent proud happy lucky wannabe aspiring future would-be amateur
    hobby hobbyist weekend closet secret failed frustrated struggling starving self-proclaimed
    best worst better worse lousy poor fantastic brilliant wonderful fine nice typical average
    glorified massive careful safe slow fast quick terrific fellow"""
)
_ENDING_MODS = _words("former ex retired")
_QUALIFIED = _words("qualified fully newly fully-qualified newly-qualified")
_CONNECTIVES = _words("and or of with to in at for who that the a an my your his her our")
_BAD_WORK_AS = _words("team group family whole pair duo unit result volunteer-basis")

_WORKPLACES = (
    "bank, hospital, clinic, school, university, college, startup, start-up, company, firm, "
    "agency, restaurant, cafe, café, coffee shop, bakery, bar, pub, hotel, store, shop, "
    "bookstore, supermarket, grocery store, factory, warehouse, plant, lab, laboratory, "
    "nonprofit, non-profit, charity, museum, library, gallery, pharmacy, daycare, nursing home, "
    "call center, call centre, consultancy, publisher, newspaper, magazine, studio, salon, gym, "
    "farm, garage, dealership, airline, airport, theater, theatre, zoo, church, kindergarten, "
    "preschool, hedge fund, insurance company, newsroom, radio station, tv station, "
    "manufacturer, retailer, think tank, ngo, law office, dental office, vet, fintech, "
    "corporation, multinational, brewery, winery, vineyard, kitchen, office"
)
_GENERIC_WORKPLACES = _words("company business corporation office firm")

_ANIMALS = (
    "dog, cat, puppy, kitten, hamster, rabbit, bunny, parrot, budgie, parakeet, cockatiel, "
    "goldfish, turtle, tortoise, snake, lizard, gecko, iguana, horse, pony, guinea pig, ferret, "
    "hedgehog, chinchilla, gerbil, axolotl, tarantula, labrador, golden retriever, retriever, "
    "husky, corgi, poodle, beagle, terrier, bulldog, pug, dachshund, chihuahua, german shepherd, "
    "border collie, spaniel, goldendoodle, labradoodle, greyhound, rottweiler, pitbull, "
    "pit bull, shih tzu, maine coon, ragdoll, tabby, kitty, pup, bearded dragon, cockatoo, "
    "doggo, pupper"
)
# Only with a name ("my fish Nemo"): alone these are too often not pets ("a new mouse").
_ANIMALS_NAMED_ONLY = (
    "fish, bird, rat, mouse, pig, goat, chicken, duck, lab, boxer, shepherd, collie"
)

_SCHOOL_WORDS = _words(
    """university universität université universidad college school academy institute
    polytechnic conservatory conservatoire uni univ seminary hochschule tech"""
)
_UNIVERSITIES = _words(
    """stanford harvard yale princeton oxford cambridge berkeley columbia cornell duke brown
    dartmouth penn caltech georgetown northwestern vanderbilt rice emory tufts juilliard
    sorbonne wharton purdue brandeis baylor vassar wellesley oberlin rutgers clemson auburn
    villanova gonzaga tulane bowdoin amherst mcgill harvard-westlake insead"""
)
_NOT_SCHOOL_ACRONYMS = _words("US USA UK UAE UPS EU AU USSR UN UNESCO UNICEF USPS")
_PLATFORMS = _words(
    """reddit twitter instagram tiktok tinder bumble hinge discord slack strava duolingo peloton
    patreon onlyfans linkedin snapchat mastodon threads goodreads letterboxd facebook youtube
    twitch pinterest tumblr whatsapp telegram signal toastmasters"""
)

_FAVORITE_BAD_THINGS = _words(
    """thing things part parts one ones way ways time times memory memories moment moments kind
    sort type bit day days"""
)
_PEOPLE = _words(
    """friend dad mom mother father brother sister son daughter boyfriend girlfriend husband wife
    partner person guy girl man woman boy kid human boss teacher coach neighbor neighbour roommate
    grandma grandpa uncle aunt cousin family team player dog cat"""
)
_FAVORITE_BAD_START = _words(
    """it that this what whatever whichever when how to being anything everything something
    nothing mine yours i you he she they we hard tough difficult impossible changing not no
    too"""
)
_VALUE_FILLERS = re.compile(
    r"^(?:(?:probably|definitely|still|easily|honestly|actually|currently|now|always|obviously|"
    r"def|prob|hands\s+down|by\s+far|without\s+a\s+doubt|undoubtedly|literally|totally|"
    r"just|really)\s+)+",
    re.I,
)
_SINGULAR_KEEP = _words(
    """series species news clothes glasses jeans shorts pants chess physics mathematics maths
    economics politics athletics gymnastics lyrics sports"""
)
_IES_TO_IE = _words("movie cookie pie smoothie brownie zombie selfie hoodie rookie indie veggie")
_SPELLING = {"colour": "color", "flavour": "flavor", "favourite": "favorite"}

# --- regex fragments ------------------------------------------------------------------------

_FRAGMENTS = {
    "NAMEW": r"[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ÿ]*[a-zß-öø-ÿ]",
    "NAME": r"(?-i:<NAMEW>(?:[ ]<NAMEW>)?)",
    "NAME3": r"(?-i:<NAMEW>(?:[ ]<NAMEW>){0,2})",
    "CAPW": r"(?:[A-ZÀ-ÖØ-Þ][\w&.'-]*|\d+[A-Za-z-][\w&'-]*)",
    "CONN": r"(?:of|de|del|da|do|dos|das|du|la|le|les|los|las|upon|am|sur|the|y|van|von|der|di|&)",
    "CAPRUN": r"(?-i:(?!I\b)<CAPW>(?:\s+(?:<CONN>\s+){0,2}(?!I\b)<CAPW>){0,5}(?![\w&'-]))",
    "THE": r"(?:(?-i:the)\s+(?=[A-ZÀ-ÖØ-Þ]))?",
    "WORKNP": (
        r"(?-i:(?:a|an)\s+(?:[a-z][\w-]*\s+){0,2}?" + _alternation(_WORKPLACES) + r"(?![\w-])"
        r"|the\s+(?:government|army|navy|military|air\s+force|police|post\s+office|city|state"
        r"|county|council)\b)"
    ),
    "ORG": r"(?:<WORKNP>|<CAPRUN>)",
    "RELW": (
        r"(?:(?:" + _alternation(_REL_MODS) + r")[\s-]+)?" + _alternation(_RELATIONS) + r"(?![\w-])"
    ),
    # A subject: the speaker, "my <relative>", "<Name>'s <relative>" or a name.
    "S": (
        r"(?<![\w'])(?P<subj>me\s+and\s+(?:(?:my|our)\s+<RELW>|<NAME>)|I\b|we\b"
        r"|(?:my|our)\s+<RELW>|<NAME>'s\s+<RELW>|<NAME>)"
    ),
    # A possessor: "my", "our", "my sister's", "Ana's".
    "P": r"(?<![\w'])(?P<subj>(?:my|our)\s+<RELW>'s?|<NAME>'s|my\b|our\b)",
    # A subject, or a clause-initial verb continuing the sentence's subject.
    "SC": r"(?:<S>|(?<![\w'])(?P<cont>^|and\b|then\b))",
    "GAP": (
        r"(?:\s+(?:also|still|now|currently|just|recently|finally|actually|already|officially"
        r"|both|all|even|really|happily|permanently|basically|technically|temporarily"
        r"|ultimately|eventually|no\s+longer|not|never|don't|doesn't|do\s+not|does\s+not"
        r"|didn't|haven't|hasn't|have\s+not|has\s+not|officially))*"
    ),
    "PERF": r"(?:(?:have|has)<GAP>\s+)?",
    "BE": r"(?:\s+(?:am|is|are)|'s)<GAP>",
    "OCC": _alternation(_OCCUPATIONS),
    "OCCNP": r"(?:[a-z][\w-]*\s+){0,2}(?:ex-)?<OCC>",
    "OCCEND": (
        r"(?=\s*(?:[.,!;:)(]|$)|\s+(?:at|for|with|in|and|but|so|now|who|here|there|by|too|"
        r"myself|lol|haha|since|because|based|working|currently|full-time|part-time|on|from|"
        r"though|btw|these|this|of|nowadays|today|anymore|any|again|already|actually|then|or|"
        r"specializing|specialising|as|&|trade|profession)\b)"
    ),
    "NP": (
        r"[A-Za-z][\w'-]*(?:\s+(?!(?:at|for|in|and|but|with|on|since|from|so|because|to|of|now"
        r"|here|there|too|again|as|who|which|that|while|until|during|or|the|a|an|by|after|when"
        r"|until|full-time|part-time)\b)[A-Za-z][\w'-]*){0,3}"
    ),
    "PREL": _alternation(_PARTNERS),
    "PRELMODS": (
        r"(?:(?:new|current|lovely|amazing|wonderful|beautiful|dear|sweet|darling|loving"
        r"|awesome)\s+)?"
    ),
    # Interjections that may open a clause before a verbless phrase ("Ugh, another ...").
    "LEAD": (
        r"(?:(?:so|and|but|well|oh|yeah|yes|yay|ugh|phew|honestly|also|anyway|ok|okay|wow|omg"
        r"|update|news|big\s+news|plot\s+twist|btw)\W+)*"
    ),
    # Not right after a greeting or thanks: "Hey Ana, my wife ..." names the listener.
    "NOGREET": (
        r"(?<!hey\s)(?<!hi\s)(?<!hello\s)(?<!thanks\s)(?<!thank\syou\s)(?<!sorry\s)"
        r"(?<!dear\s)(?<!congrats\s)(?<!oh\s)(?<!bye\s)(?<!yo\s)"
    ),
    # What only a student has at a school ("my dorm at ...", "Classes at ... start at 8").
    "SCHOOLN": (
        r"(?:dorm(?:\s+room)?|seminars?|lectures|exams|finals|midterms|campus|student\s+(?:card|id)"
        r"|orientation\s+week|professors?|classmates|thesis(?:\s+(?:advisor|supervisor))?|classes"
        r"|(?:first|second)\s+(?:day|week)\s+of\s+(?:classes|lectures|term|semester|uni|college"
        r"|school))"
    ),
    # What only an employee has at a workplace ("my manager at ...", "our team at ...").
    "WORKN": (
        r"(?:team|manager|boss|supervisor|colleagues?|co-?workers?|teammates?|department"
        r"|(?:work\s+|employee\s+|id\s+)?badge|onboarding|shifts?|paycheck)"
    ),
    "SNOUN": (
        r"(?:university|uni|college|grad\s+school|graduate\s+school|law\s+school|med\s+school"
        r"|medical\s+school|business\s+school|high\s+school|phd|ph\.d\.?|masters?|master's|mba"
        r"|degree|doctorate|bachelor's|bachelors|undergrad|studies|postdoc)"
    ),
    "ANIMAL": _alternation(_ANIMALS),
    "ANIMALX": _alternation(_ANIMALS + ", " + _ANIMALS_NAMED_ONLY),
    "PETMODS": (
        r"(?:(?:new|little|old|sweet|baby|rescue|rescued|first|senior|fat|lazy|beloved|furry|dear"
        r"|adorable|cute|fluffy|big|tiny|black|white|ginger|orange|grey|gray|brown|golden|poor"
        r"|elderly|family)\s+){0,2}"
    ),
    "PETEND": (
        r"(?=\s*(?:[.,!;:)(]|$)|\s+(?:and|but|now|too|who|that|which|at|as|so|from|last|this"
        r"|recently|again|finally|lol|haha|because|since|in|with|today|yesterday|whose|for"
        r"|a\s+few|two|three|of\s+my\s+own|of\s+our\s+own|anymore|any\s+more|any\s+longer)\b)"
    ),
    "SOFTEND": (
        r"(?=\s*(?:[.,!;:)(]|$)|\s+(?:and|but|so|last|this|yesterday|today|recently|in|on|after"
        r"|from|because|since|a|two|three|few|lol|haha|ugh|too|again|finally|earlier|over|with"
        r"|at|now|already|officially|just|though)\b)"
    ),
    "AGEEND": (
        r"(?![.,]\d)(?=\s*(?:(?:years?|yrs?)(?:\s+old|\s+of\s+age|\s+young)\b|y/?o\b|[.!,;)]|$)"
        r"|\s+(?:and|but|now|today|this|so|too|already|myself|btw|lol|haha|though|yet|going\s+on"
        r"|as\s+of|last|yesterday|on|in|recently|earlier|over|a\s+few|two|three|years?\s+old"
        r"|with)\b)"
    ),
    "FAVMODS": (
        r"(?:(?:new|current|all[- ]time|absolute|personal|ultimate|top|very|own|most|number\s+one"
        r"|#1|forever|favou?rite)\s+)*"
    ),
    "THING": r"[a-z][\w-]*(?:\s+[a-z][\w-]*){0,2}?",
    "THINGEND": (
        r"(?=\s*(?:[,.;!?:()]|$)|\s+(?:of\s+all\s+time|ever|and|but|because|right\s+now|these"
        r"|now|at\s+the\s+moment|too|so|by\s+far|lol|haha|though|in\s+the\s+world|to|on|for|in"
        r"|by|atm|tbh|honestly|hands\s+down|currently|since|out\s+there|that|which|lately"
        r"|nowadays|again|recently|as\s+well|for\s+now)\b)"
    ),
    "FAVVAL": r"(?:\"[^\"]{1,60}\"|“[^”]{1,60}”|[^,.;!?:\"“”()]{1,60}?)",
    "FAVEND": (
        r"(?=\s*(?:[,.;!?:()\"“”]|$)|\s+(?-i:(?:and\s+(?:I|i|my|we|it|that|also|so|then|now)"
        r"|but|because|cause|since|though|although|so|which|who|as\s+well|lol|haha|lmao"
        r"|these\s+days|right\s+now|at\s+the\s+moment|lately|by\s+far|for\s+sure|hands\s+down"
        r"|of\s+all\s+time|for\s+now|anyway|too|I\s+think|honestly|tbh|atm|now|nowadays"
        r"|currently|ever\s+since|or\s+so|if\s+I|when\s+I|anymore|any\s+more|any\s+longer)\b))"
    ),
    "JOINEND": (
        r"(?=\s*(?:[.,!;:)(]|$)|'s\s+team|\s+(?:as|last|this|back|a|two|three|few|several"
        r"|recently|full-time|part-time|earlier|yesterday|today|after|straight|right"
        r"|and\s+(?:I|i|it|now|so|love|am|have|really|they|the\s+team))\b"
        r"|\s+in\s+(?:\d|january|february|march|april|may|june|july|august|september|october"
        r"|november|december|the\s+(?:spring|summer|fall|autumn|winter)|early|late|mid))"
    ),
}


def _expand(pattern: str) -> str:
    while "<" in pattern:
        expanded = re.sub(r"<([A-Z0-9]+)>", lambda m: _FRAGMENTS.get(m[1], m[0]), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    return pattern


# --- rules ----------------------------------------------------------------------------------


class _Kind(enum.Enum):
    """How a rule's ``val`` group is read and checked."""

    PLACE = "place"  # capitalised run
    ORG = "org"  # capitalised run or an indefinite workplace noun phrase
    JOINED = "joined"  # as ORG, minus platforms and clubs
    ORG_OR_SCHOOL = "org_or_school"  # a school when its name says so, else an employer
    SCHOOL = "school"  # capitalised run
    SCHOOLISH = "schoolish"  # a capitalised run that looks like a school's name
    NAME = "name"
    OCCUPATION = "occupation"  # job noun phrase from the list
    WORK_AS = "work_as"  # any short noun phrase after "work as a"
    AGE = "age"
    PET = "pet"  # "a dog": the animal phrase
    PET_NAMED = "pet_named"  # the pet's name (animal in group "animal")
    FAVORITE = "favorite"  # value after "my favorite <thing> is"
    FAVORITE_BEFORE = "favorite_before"  # value before "is my favorite <thing>"
    FAVORITE_IT = "favorite_it"  # "it's my favorite <thing>": the object of the clause before
    NONE = "none"  # ended rules whose value is optional
    ORG_CTX = "org_ctx"  # a school or an employer, by its name or by what the message is about
    SCHOOL_CTX = "school_ctx"  # a school when its name or the message says so
    SURNAME = "surname"  # a last name: the speaker's first name + it
    SELF_NAME = "self_name"  # "I'm Ana Silva": only with the speaker's own first name
    PREV_NAME = "prev_name"  # "we're together now": the name in the clause before


@dataclass(frozen=True, slots=True)
class _Rule:
    attribute: str
    source: str  # the expanded pattern, compiled on first use (see _compile)
    keys: tuple[str, ...]  # the rule runs only on clauses containing one of these
    kind: _Kind
    template: str  # {S} subject, {Sp} possessive, {V} value, [singular|plural] verb forms
    ended: bool = False
    empty: str = ""  # text of an ended fact that names no value
    job_context: bool = False  # needs a job word somewhere in the message
    context: str = ""  # needs this topic in the message (see _CONTEXTS), unless it is ended
    implied: bool = False  # a fact implied by a phrase, not asserted by the clause's verb
    after: str = ""  # a pattern the rest of the sentence must start with or contain


def _rule(
    attribute: str,
    kind: _Kind,
    keys: str,
    template: str,
    pattern: str,
    *,
    ended: bool = False,
    empty: str = "",
    job_context: bool = False,
    context: str = "",
    implied: bool = False,
    after: str = "",
) -> _Rule:
    return _Rule(
        attribute, _expand(pattern), tuple(keys.split("|")), kind, template, ended, empty,
        job_context, context, implied, after,
    )  # fmt: skip


@functools.cache
def _compile(source: str) -> re.Pattern[str]:
    """Compile a rule's pattern when first needed: compiling them all costs ~0.2 s at import."""
    return re.compile(source, re.IGNORECASE)


_K = _Kind
_ANIMAL_COMMA_KEYS = "|".join(
    a.strip() + "," for a in (_ANIMALS + ", " + _ANIMALS_NAMED_ONLY).split(",") if a.strip()
)
_LIVES = "{S} [lives|live] in {V}"
_WORKS = "{S} [works|work] at {V}"
_STUDIES = "{S} [studies|study] at {V}"
_WORKS_AS = "{S} [works|work] as {a} {V}"
_NAMED = "{S} [is|are] named {V}"
_PET_NAMED = "{S} [has|have] a {animal} named {V}"
_NO_LONGER_WORKS = "{S} no longer [works|work] at {V}"
_NO_LONGER_WITH = "{S} [is|are] no longer with {V}"
_NO_PET = "{S} no longer [has|have] the {animal} {V}"

_RULES: tuple[_Rule, ...] = (
    # city
    _rule("city", _K.PLACE, "live|living", _LIVES,
          r"<SC><GAP>\s+(?:lives?|(?:am|is|are)<GAP>\s+living|(?:have|has)<GAP>\s+"
          r"(?:been<GAP>\s+living|lived))\s+in\s+<THE>(?P<val><CAPRUN>)"),
    _rule("city", _K.PLACE, "moved|relocated", _LIVES,
          r"<SC><GAP>\s+<PERF>(?:moved|relocated)(?:\s+(?:back|over|out|away|home|here|there"
          r"|permanently|abroad|overseas|all\s+the\s+way))*(?:\s+(?:from|out\s+of)\s+<THE>"
          r"<CAPRUN>)?\s+to\s+<THE>(?P<val><CAPRUN>)"),
    _rule("city", _K.PLACE, "based", _LIVES,
          r"<S><BE>\s+based\s+(?:in|out\s+of)\s+<THE>(?P<val><CAPRUN>)"),
    _rule("city", _K.PLACE, "settled", _LIVES,
          r"<SC><GAP>\s+(?:(?:am|is|are|got)<GAP>\s+)?<PERF>settled(?:\s+(?:down|in))?\s+in\s+"
          r"<THE>(?P<val><CAPRUN>)"),
    _rule("city", _K.PLACE, "home", _LIVES,
          r"(?:<P>\s+|^\s*|(?<=[,;]\s)|\b(?:and|but|so)\s+)(?:new\s+)?home(?:\s+base)?"
          r"(?:\s+for\s+(?:me|us))?\s+(?:is|'s)(?:\s+(?:now|currently|still|officially))?\s+"
          r"(?:in\s+)?<THE>(?P<val><CAPRUN>)"),
    # "our apartment in Oslo", "my new place in Lyon", "our new neighbours in Rome"
    _rule("city", _K.PLACE, "apartment|flat|house|place|home|condo|neighbo|landlord", _LIVES,
          r"<P>\s+(?:(?:new|little|tiny|current|small|cozy|cosy|rented)\s+)*(?:apartment|flat"
          r"|house|place|home|condo|neighbou?rhood|neighbou?rs|landlord|landlady)\s+"
          r"(?:(?:here|there)\s+)?in\s+<THE>(?P<val><CAPRUN>)",
          implied=True),
    _rule("city", _K.PLACE, "lease", _LIVES,
          r"<SC><GAP>\s+<PERF>signed\s+(?:the|a|our|my)\s+(?:new\s+)?lease(?:\s+(?:on|for)\s+"
          r"(?:a|an|the|our|my)\s+(?:new\s+)?(?:[a-z-]+\s+)?(?:apartment|flat|house|place|condo"
          r"|studio|room|home))?\s+in\s+<THE>(?P<val><CAPRUN>)"),
    # "Three weeks in Porto now, still living out of boxes" (the message is about a move)
    _rule("city", _K.PLACE, "week|month|year", _LIVES,
          r"(?:^\s*<LEAD>|\b(?:been|spent|almost|nearly|over|about|already)\s+)(?P<cont>)"
          r"(?:\w+|a\s+few|a\s+couple\s+of)\s+(?:weeks?|months?|years?)\s+(?:here\s+)?in\s+"
          r"<THE>(?P<val><CAPRUN>)\s+(?:now|already)\b",
          context="move"),
    # "we're in Denver now" (the message is about a move); "I'm not in Oslo anymore"
    _rule("city", _K.PLACE, "now|anymore|any longer|any more", _LIVES,
          r"<S><BE>\s+(?:here\s+)?in\s+<THE>(?P<val><CAPRUN>)(?=\s+(?:now|these\s+days"
          r"|anymore|any\s+(?:more|longer))\b)",
          context="move"),
    # "Living in Sydney means I cycle everywhere"
    _rule("city", _K.PLACE, "living", _LIVES,
          r"^\s*<LEAD>(?P<cont>)living\s+(?:here\s+)?in\s+<THE>(?P<val><CAPRUN>)\s+(?:means"
          r"|has|makes|gives|is|feels|keeps)\b",
          after=r"[^.!?]*\b(?:I|me|my|we|us|our)\b"),
    _rule("city", _K.PLACE, "home", _LIVES,
          r"<SC><GAP>\s+call\s+<THE>(?P<val><CAPRUN>)\s+home\b"),
    _rule("city", _K.PLACE, "moved", "{S} moved away from {V}",
          r"<SC><GAP>\s+<PERF>moved\s+(?:away\s+from|out\s+of)\s+<THE>(?P<val><CAPRUN>)"
          r"(?!\s*,?\s+(?:and\s+)?(?:to|into)\b)",
          ended=True),
    # employer
    _rule("employer", _K.ORG, "work|intern|employed", _WORKS,
          r"<SC><GAP>\s+(?:works?|interns?|(?:am|is|are)<GAP>\s+(?:working|interning|employed)"
          r"|(?:have|has)<GAP>\s+(?:been<GAP>\s+working|worked))(?:\s+(?:full-time|part-time"
          r"|remotely))?\s+(?:at|for|by)\s+<THE>(?P<val><ORG>)"),
    _rule("employer", _K.ORG, " at | for | with ", _WORKS,
          r"<S><BE>\s+(?:a|an)\s+<OCCNP><OCCEND>(?:\s+(?:full-time|part-time))?\s+(?:at|for|with)"
          r"\s+<THE>(?P<val><ORG>)"),
    _rule("employer", _K.ORG, "job|position|role|gig|intern|contract", _WORKS,
          r"<SC><GAP>\s+<PERF>(?:started|began|got|landed|took|found|accepted|secured|scored|have"
          r"|has)\s+(?:a|an|my|the|this)\s+(?:(?:new|first|full-time|part-time|great|dream|summer"
          r"|permanent|remote|cool|good|better|real|proper|big)\s+)*(?:job|position|role|gig"
          r"|internship|contract)(?:\s+as\s+(?:a|an)\s+[\w\s-]{1,40}?)?\s+(?:at|with|for)\s+<THE>"
          r"(?P<val><ORG>)"),
    _rule("employer", _K.ORG, "job|position|role|gig|intern", _WORKS,
          r"<P>\s+(?:(?:new|current|present|full-time|part-time|day|dream)\s+)*(?:job|position"
          r"|role|gig|internship)\s+(?:at|with)\s+<THE>(?P<val><ORG>)"),
    _rule("employer", _K.ORG_OR_SCHOOL, "started|began", _WORKS,
          r"<SC><GAP>\s+<PERF>(?:started|began)(?:\s+(?:working|interning|work))?\s+(?:at|for)\s+"
          r"<THE>(?P<val><CAPRUN>)"),
    _rule("employer", _K.JOINED, "joined", _WORKS,
          r"<SC><GAP>\s+<PERF>joined\s+<THE>(?P<val><CAPRUN>)<JOINEND>"),
    _rule("employer", _K.ORG, "hired|poached|recruited|headhunted", _WORKS,
          r"<SC><GAP>\s+(?:(?:got|was|were|have\s+been|has\s+been|been)<GAP>\s+)?(?:hired"
          r"|poached|recruited|headhunted)\s+(?:by|at|on\s+at|on\s+by)\s+<THE>(?P<val><ORG>)"),
    _rule("employer", _K.ORG, "hired|poached|recruited|headhunted", _WORKS,
          r"(?<![\w'])(?P<val><CAPRUN>)\s+(?:just\s+|finally\s+|officially\s+)?(?:hired|poached"
          r"|recruited|headhunted)\s+me\b"),
    _rule("employer", _K.ORG_CTX, "now|currently|still", _WORKS,
          r"<S>(?:\s+(?:am|is|are)|'s)(?:\s+(?:now|currently|still))+\s+(?:working\s+)?at\s+"
          r"<THE>(?P<val><CAPRUN>)",
          context="any"),
    _rule("employer", _K.ORG_CTX, "now", _WORKS,
          r"<S><BE>\s+at\s+<THE>(?P<val><CAPRUN>)\s+now\b",
          context="any"),
    # "I've been at Dropbox for almost four years"
    _rule("employer", _K.ORG_CTX, "been at", _WORKS,
          r"<SC><GAP>\s+(?:have|has)<GAP>\s+been\s+at\s+<THE>(?P<val><CAPRUN>)\s+for\s+(?:(?:almost"
          r"|nearly|about|around|over|more\s+than|just\s+over|close\s+to)\s+)?(?:\w+|a\s+few"
          r"|a\s+couple\s+of)\s+(?:years?|(?P<short>months?))\b"),
    # "my manager at Klarna", "our team at Stripe", "my new badge from Bosch"
    _rule("employer", _K.ORG_OR_SCHOOL,
          "team|manager|boss|supervisor|colleague|coworker|co-worker|department|badge|onboard"
          "|shift|paycheck", _WORKS,
          r"<P>\s+(?:(?:new|current)\s+)?<WORKN>\s+(?:(?:over|here|there)\s+)?(?:at|from)\s+"
          r"<THE>(?P<val><ORG>)",
          implied=True),
    _rule("employer", _K.ORG_OR_SCHOOL, "team", _WORKS,
          r"<S><BE>\s+(?:on|in)\s+(?:the|a|an|their)\s+(?:[\w-]+\s+){0,3}?team\s+(?:(?:over"
          r"|here|there)\s+)?(?:at|for)\s+<THE>(?P<val><ORG>)"),
    # "Another all-hands at Revolut today", "Work at Deloitte has been hectic"
    _rule("employer", _K.ORG, "all-hands|all hands|standup|stand-up|shift|onboarding|work at",
          _WORKS,
          r"^\s*<LEAD>(?P<cont>)(?:(?:another|first|long|busy|hectic|crazy|rough|early|late|night"
          r"|double)\s+)*(?:all[- ]hands(?:\s+meeting)?|stand-?up|shift|onboarding|work)\s+"
          r"(?:(?:over|here|there)\s+)?at\s+<THE>(?P<val><ORG>)",
          implied=True),
    # "First week at Etsy done", "my first month at Figma"; a first day needs work or school
    _rule("employer", _K.ORG_CTX, "first", _WORKS,
          r"(?:<P>\s+|^\s*<LEAD>(?P<cont>))(?P<event>)(?:very\s+)?first\s+(?:full\s+)?(?:week|month"
          r"|shift)"
          r"\s+(?:(?:of\s+work|on\s+the\s+job)\s+)?(?:at|with)\s+<THE>(?P<val><CAPRUN>)",
          implied=True),
    _rule("employer", _K.ORG_CTX, "first", _WORKS,
          r"(?:<P>\s+|^\s*<LEAD>(?P<cont>))(?P<event>)(?:very\s+)?first\s+day\s+(?:(?:of\s+work"
          r"|on\s+the\s+job)\s+)?(?:at|with)\s+<THE>(?P<val><CAPRUN>)",
          implied=True, context="any"),
    _rule("employer", _K.ORG, "offer", _WORKS,
          r"<SC><GAP>\s+<PERF>(?:accepted|took|signed)\s+(?:an|the|a|their|his|her)\s+(?:(?:job"
          r"|new|full-time|formal)\s+)*offer\s+(?:from|at|with)\s+<THE>(?P<val><ORG>)"),
    _rule("employer", _K.ORG, "contract", _WORKS,
          r"<SC><GAP>\s+<PERF>signed\s+(?:my|a|the|our)\s+(?:(?:new|employment|job|work"
          r"|permanent)\s+)*contract\s+with\s+<THE>(?P<val><ORG>)",
          job_context=True),
    _rule("employer", _K.NONE, "quit|left|lost", _NO_LONGER_WORKS,
          r"<SC><GAP>\s+<PERF>(?:quit|left|lost)\s+(?:my|our|his|her|their|the)\s+(?:(?:old"
          r"|full-time|part-time|day|corporate|office|stable|cushy)\s+)*job(?:\s+(?:at|with)\s+"
          r"<THE>(?P<val><ORG>))?",
          ended=True, empty="{S} left [their|their] job"),
    _rule("employer", _K.ORG, "quit|left", _NO_LONGER_WORKS,
          r"<SC><GAP>\s+<PERF>(?:quit|left)\s+<THE>(?P<val><CAPRUN>)",
          ended=True, job_context=True),
    _rule("employer", _K.NONE, "resign|retire|laid off|fired|let go|redundant", _NO_LONGER_WORKS,
          r"<SC><GAP>\s+<PERF>(?:resigned|retired|(?:(?:got|was|were|have\s+been|has\s+been|been)"
          r"<GAP>\s+)?(?:laid\s+off|fired|let\s+go|made\s+redundant))(?:\s+(?:from|by|at)\s+<THE>"
          r"(?P<val><ORG>))?<SOFTEND>",
          ended=True, empty="{S} no longer [has|have] a job"),
    _rule("employer", _K.NONE, "unemployed|jobless|retired|out of work|between jobs", "",
          r"<S><BE>\s+(?:unemployed|jobless|retired|out\s+of\s+work|between\s+jobs)\b",
          ended=True, empty="{S} no longer [has|have] a job"),
    # occupation
    _rule("occupation", _K.OCCUPATION, "a |an ", _WORKS_AS,
          r"<S><BE>\s+(?:a|an)\s+(?P<val><OCCNP>)<OCCEND>"),
    _rule("occupation", _K.WORK_AS, " as ", _WORKS_AS,
          r"<SC><GAP>\s+(?:works?|(?:am|is|are)<GAP>\s+working|(?:have|has)<GAP>\s+(?:been<GAP>"
          r"\s+working|worked)|<PERF>(?:got|found|landed|took|secured|accepted)\s+(?:a|an)\s+"
          r"(?:new\s+)?(?:job|position|post)|<PERF>"
          r"(?:started|began)(?:\s+working)?|(?:am|is|are)\s+employed|freelances?"
          r"|(?:got|was|were)\s+hired)(?:\s+(?:at|for)\s+<THE><ORG>)?(?:\s+(?:full-time"
          r"|part-time|now|currently|remotely))?\s+as\s+(?:a|an)\s+(?P<val><NP>)"),
    _rule("occupation", _K.OCCUPATION, " as ", _WORKS_AS,
          r"<SC><GAP>\s+(?:works?|(?:am|is|are)<GAP>\s+working|(?:have|has)<GAP>\s+(?:been<GAP>"
          r"\s+working|worked))(?:\s+(?:at|for)\s+<THE><ORG>)?\s+as\s+(?P<val><OCCNP>)<OCCEND>"),
    _rule("occupation", _K.OCCUPATION, "became|become|promoted|qualified|certified", _WORKS_AS,
          r"<SC><GAP>\s+(?:became|(?:have|has)<GAP>\s+become|(?:got|was|have\s+been|has\s+been)"
          r"\s+promoted\s+to|qualified\s+as|(?:got|am|is|are)\s+certified\s+as)\s+(?:(?:a|an)\s+)?"
          r"(?P<val><OCCNP>)<OCCEND>"),
    _rule("occupation", _K.OCCUPATION, "job|profession|occupation|title|role", _WORKS_AS,
          r"<P>\s+(?:(?:current|new|day|actual|official)\s+)?(?:job|profession|occupation"
          r"|job\s+title|title|role)\s+(?:is|'s)\s+(?:(?:a|an)\s+)?(?:being\s+(?:a|an)\s+)?"
          r"(?P<val><OCCNP>)<OCCEND>"),
    _rule("occupation", _K.OCCUPATION, "being", "{S} no longer [works|work] as {a} {V}",
          r"<SC><GAP>\s+(?:<PERF>(?:quit|stopped|gave\s+up)|(?:am|is|are)<GAP>\s+done)\s+being\s+"
          r"(?:a|an)\s+(?P<val><OCCNP>)",
          ended=True),
    # "I've been a plumber since I finished my training"
    _rule("occupation", _K.OCCUPATION, "been a", _WORKS_AS,
          r"<S>\s+(?:have|has)<GAP>\s+been\s+(?:a|an)\s+(?P<val><OCCNP>)(?=\s+(?:for|since|ever"
          r"\s+since|now|these\s+days|nowadays)\b|\s*[,.!;]|\s*$)"),
    # "Officially a carpenter as of this month", "Now a nurse, ..."
    _rule("occupation", _K.OCCUPATION, "officially|now a|finally a|finally an", _WORKS_AS,
          r"^\s*<LEAD>(?P<cont>)(?:officially|now|finally)\s+(?:a|an)\s+(?P<val><OCCNP>)"
          r"<OCCEND>"),
    # "As an architect, I rarely get a lunch break"
    _rule("occupation", _K.OCCUPATION, "as a", _WORKS_AS,
          r"^\s*<LEAD>(?P<cont>)as\s+(?:a|an)\s+(?P<val><OCCNP>)(?:\s+(?:myself|by\s+trade))?"
          r"(?=\s*,|\s*$|\s+(?:I|my|we)\b)",
          after=r"\W*(?:I|my|we|our)\b"),
    # "Another busy week as an accountant", "my first day as a nurse"
    _rule("occupation", _K.OCCUPATION, " as a", _WORKS_AS,
          r"(?:<P>\s+|(?<![\w'])(?P<cont>)(?=(?:another|first|long|busy|hectic|rough|tough|hard"
          r"|full|whole|great)\s))(?:(?:another|first|second|long|busy|hectic|rough|tough|hard"
          r"|full|whole|great|new)\s+)*(?:day|week|month|year|shift|night)s?\s+as\s+(?:a|an)\s+"
          r"(?P<val><OCCNP>)<OCCEND>",
          implied=True),
    # "I trained as a nurse and have done it ever since"
    _rule("occupation", _K.OCCUPATION, "trained|qualified", _WORKS_AS,
          r"<SC><GAP>\s+<PERF>(?:trained|qualified|retrained)\s+as\s+(?:a|an)\s+(?P<val><OCCNP>)"
          r"<OCCEND>",
          after=r"[^.!?]*\b(?:ever\s+since|since\s+then|to\s+this\s+day|still\s+(?:do|am|work))\b"),
    # "Being a veterinarian keeps me busy"
    _rule("occupation", _K.OCCUPATION, "being", _WORKS_AS,
          r"^\s*<LEAD>(?P<cont>)being\s+(?:a|an)\s+(?P<val><OCCNP>)\s+(?:keeps|makes|has|gives"
          r"|leaves|pays|lets|takes)\s+me\b"),
    # "I switched from veterinarian to electrician"
    _rule("occupation", _K.OCCUPATION, "switched|changed|went|moved|transitioned|pivoted",
          _WORKS_AS,
          r"<SC><GAP>\s+<PERF>(?:switched|changed|went|moved|transitioned|pivoted)\s+(?:(?:careers?"
          r"|jobs?|professions?)\s+)?from\s+(?:being\s+)?(?:(?:a|an)\s+)?<OCCNP>\s+to\s+(?:being"
          r"\s+)?(?:(?:a|an)\s+)?(?P<val><OCCNP>)<OCCEND>"),
    # school
    _rule("school", _K.SCHOOL, "stud|school|classes", _STUDIES,
          r"<SC><GAP>\s+(?:stud(?:y|ies)|(?:am|is|are)<GAP>\s+studying|(?:have|has)<GAP>\s+been"
          r"<GAP>\s+studying|go(?:es)?\s+to\s+school|takes?\s+classes)\s+at\s+<THE>"
          r"(?P<val><CAPRUN>)"),
    _rule("school", _K.SCHOOL, "student|freshman|sophomore|undergrad|grad|candidate|year", _STUDIES,
          r"<S><BE>\s+(?:a|an)\s+(?:[\w'-]+\s+){0,2}?(?:student|freshman|sophomore|undergrad"
          r"|undergraduate|postgrad|postgraduate|grad\s+student|graduate\s+student|phd\s+candidate"
          r"|doctoral\s+candidate|first-year|second-year|third-year|fourth-year|final-year)\s+at\s+"
          r"<THE>(?P<val><CAPRUN>)"),
    _rule("school", _K.SCHOOLISH, "junior|senior", _STUDIES,
          r"<S><BE>\s+(?:a|an)\s+(?:junior|senior)\s+at\s+<THE>(?P<val><CAPRUN>)"),
    _rule("school", _K.SCHOOL, "enrolled|registered", _STUDIES,
          r"<SC><GAP>\s+(?:(?:am|is|are|got|have|has)<GAP>\s+)?(?:enrolled|registered)\s+at\s+"
          r"<THE>(?P<val><CAPRUN>)"),
    _rule("school", _K.SCHOOL_CTX, "enrolled|transferred", _STUDIES,
          r"<SC><GAP>\s+(?:(?:am|is|are|got|have|has)<GAP>\s+)?(?:enrolled\s+in|transferred\s+to)"
          r"\s+<THE>(?P<val><CAPRUN>)"),
    _rule("school", _K.SCHOOL,
          "universit|uni|college|school|phd|ph.d|master|mba|degree|doctorate|bachelor|"
        "undergrad|studies|postdoc|year", _STUDIES,
          r"<SC><GAP>\s+<PERF>(?:started|began|(?:am|is|are)<GAP>\s+(?:in|doing|pursuing))\s+"
          r"(?:(?:my|a|an|his|her|their)\s+)?(?:(?:first|second|third|fourth|final|last|freshman"
          r"|sophomore|junior|senior)\s+year(?:\s+(?:of|at))?(?:\s+(?:my\s+)?<SNOUN>)?|<SNOUN>)"
          r"(?:\s+(?:degree|program|programme|studies))?\s+at\s+<THE>(?P<val><CAPRUN>)"),
    # "my dorm at Bocconi", "Classes at Trinity College start at eight", "my student card from Yale"
    _rule("school", _K.SCHOOL,
          "dorm|seminar|lectures|exams|finals|midterm|campus|student|orientation|professor"
          "|classmate|thesis|classes|day of|week of", _STUDIES,
          r"(?:<P>\s+(?:(?:new|first|current)\s+)?|^\s*<LEAD>(?P<cont>)(?:(?:another|more)\s+)?)"
          r"<SCHOOLN>\s+(?:(?:over|here|there)\s+)?(?:at|from)\s+<THE>(?P<val><CAPRUN>)",
          implied=True),
    # "I got accepted to McGill and I'm starting there this term" (admission alone is not enough)
    _rule("school", _K.SCHOOL_CTX, "accepted|admitted|got into", _STUDIES,
          r"<SC><GAP>\s+(?:(?:(?:got|was|were|have\s+been|has\s+been|been)<GAP>\s+)?(?:accepted"
          r"|admitted)\s+(?:to|into|at|by)|<PERF>got\s+into)\s+<THE>(?P<val><CAPRUN>)",
          after=r"[^.!?]*\b(?:started|starting|began|(?:am|is|are)\s+(?:now\s+)?there"
          r"|(?:this|the)\s+(?:term|semester)|classes\s+(?:started|began))\b"),
    _rule("school", _K.SCHOOLISH, "go|attend", _STUDIES,
          r"<SC><GAP>\s+(?:go(?:es)?|attends?|(?:am|is|are)<GAP>\s+attending)\s+(?:to\s+)?<THE>"
          r"(?P<val><CAPRUN>)"),
    _rule("school", _K.NONE, "graduat|finished", "{S} graduated from {V}",
          r"<SC><GAP>\s+(?:(?:have|has|just)<GAP>\s+)?(?:graduated|finished\s+(?:university|uni"
          r"|college|school|grad\s+school|my\s+(?:degree|studies|phd|masters|master's)))(?:\s+"
          r"(?:from|at)\s+<THE>(?P<val><CAPRUN>)|\s+(?:from\s+)?(?:(?:high\s+)?school|college"
          r"|university|uni|grad\s+school))?<SOFTEND>",
          ended=True, empty="{S} finished school"),
    _rule("school", _K.NONE, "dropped out", "{S} dropped out of {V}",
          r"<SC><GAP>\s+<PERF>dropped\s+out(?:\s+of\s+<THE>(?:(?P<val><CAPRUN>)|(?:high\s+)?school"
          r"|college|university|uni|grad\s+school|my\s+\w+(?:\s+program)?))?",
          ended=True, empty="{S} dropped out of school"),
    # name
    _rule("name", _K.NAME, "name", _NAMED,
          r"<P>\s+(?:(?:real|full|first|legal|actual|given|new|middle)\s+)?(?:name|nickname"
          r"|nick\s+name)(?:\s+is|'s)(?:\s+(?:now|officially|legally))*\s+(?P<val><NAME3>)"),
    _rule("name", _K.NAME, "call me|calls me", _NAMED,
          r"(?:(?P<ok>\b(?:you\s+can|u\s+can|you\s+may|feel\s+free\s+to|please|just)"
          r"(?:\s+(?:just|all))?)\s+)?\bcalls?\s+me\s+(?P<val><NAME>)"),
    _rule("name", _K.NAME, "go by|goes by|going by", _NAMED,
          r"<SC><GAP>\s+(?:(?:am|is|are|have|has)<GAP>\s+)?(?:(?:started|begun|began)\s+)?"
          r"(?:go(?:es)?|going)\s+by\s+(?P<val><NAME>)(?P<sur>\s+as\s+(?:my|our|a)\s+(?:new\s+)?"
          r"(?:last\s+name|surname|family\s+name))?"),
    _rule("name", _K.SURNAME, "last name|surname|family name", _NAMED,
          r"<P>\s+(?:(?:new|legal|married)\s+)?(?:last\s+name|family\s+name|surname)(?:\s+is|'s)"
          r"(?:\s+(?:now|officially|legally|still))*\s+(?P<val>(?-i:<NAMEW>))(?![\w'-])"),
    # "I'm Malik Ortega now": a full name starting with the speaker's first name
    _rule("name", _K.SELF_NAME, "i am", _NAMED,
          r"(?<![\w'])(?P<subj>I)\s+am<GAP>\s+(?P<val><NAME3>)(?=\s*(?:[,.!;)]|$)|\s+(?:now|and"
          r"|since|these|here|from|by|btw|haha|lol|but|officially)\b)"),
    _rule("name", _K.NAME, "changed", _NAMED,
          r"<SC><GAP>\s+<PERF>(?:legally\s+)?changed\s+(?:my|our|his|her|their)\s+name\s+to\s+"
          r"(?P<val><NAME3>)"),
    # partner
    _rule("partner", _K.NAME,
          "wife|husband|girlfriend|boyfriend|partner|fianc|spouse|hubby|gf|bf|other",
          "{Sp} {rel} is {V}",
          r"<P>\s+(?:(?P<ex>ex-?|former|late)\s*)?<PRELMODS>(?P<rel><PREL>)(?:\s*,)?\s+(?:is\s+)?"
          r"(?:(?:named|called)\s+)?(?P<val><NAME>)"),
    _rule("partner", _K.NAME, "ex", "{Sp} ex is {V}",
          r"<P>\s+(?P<ex>ex)\s*,?\s+(?P<val><NAME>)"),
    _rule("partner", _K.NAME, "name", "{Sp} {rel} is {V}",
          r"<P>\s+(?P<rel><PREL>)'s\s+name\s+is\s+(?P<val><NAME>)"),
    _rule("partner", _K.NAME, "married|wed", "{S} [is|are] married to {V}",
          r"<SC><GAP>\s+<PERF>(?:married|wed)\s+(?P<val><NAME>)"),
    _rule("partner", _K.NAME, "married|engaged|hitched", "{S} [is|are] {how} to {V}",
          r"<S><GAP>(?:\s+(?:am|is|are|got)|'s|\s+(?:have|has)<GAP>\s+been)<GAP>\s+(?:(?:happily"
          r"|recently|newly|officially)\s+)?(?P<how>married|engaged|hitched)\s+to\s+"
          r"(?P<val><NAME>)"),
    _rule("partner", _K.NAME, "dating|going out|relationship|together", "{S} [is|are] dating {V}",
          r"<S><GAP>(?:\s+(?:am|is|are)|'s|\s+(?:have|has)<GAP>\s+(?:been|started|begun)"
          r"|\s+(?:started|began))<GAP>"
          r"\s+(?:dating|going\s+out\s+with|in\s+a\s+relationship\s+with|together\s+with)\s+"
          r"(?P<val><NAME>)"),
    _rule("partner", _K.NAME, "broke|split|separated|divorced|parted|ended", _NO_LONGER_WITH,
          r"<SC><GAP>\s+<PERF>(?:broke\s+up|split\s+up|separated|(?:got\s+)?divorced|parted\s+ways"
          r"|(?:am|is|are)\s+(?:divorced|separated)|broke\s+it\s+off|called\s+it\s+off|ended"
          r"\s+(?:things|it))\s+(?:(?:with|from)\s+)?(?P<val><NAME>)",
          ended=True),
    _rule("partner", _K.NAME, "over", _NO_LONGER_WITH,
          r"(?:\bit's|\bit\s+is|\bthings\s+are)\s+(?:(?:officially|really|so|completely|totally)"
          r"\s+)?over\s+(?:with|between)\s+(?:me\s+and\s+)?(?P<val><NAME>)(?![\w'])",
          ended=True),
    # "I'm going to a concert with Jamie, my partner, on Friday"
    _rule("partner", _K.NAME, ", my |, our ",
          "{Sp} {rel} is {V}",
          r"(?-i:[a-z]+)\s+<NOGREET>(?P<val><NAME>),\s+(?P<subj>my|our)\s+<PRELMODS>"
          r"(?P<rel><PREL>)(?=\s*(?:[,.!;)]|$)|\s+(?:and|who|is|has)\b)",
          implied=True),
    # "Jake is my boyfriend now"
    _rule("partner", _K.NAME,
          "wife|husband|girlfriend|boyfriend|partner|fianc|spouse|hubby|gf|bf|other",
          "{Sp} {rel} is {V}",
          r"(?<![\w'])(?P<val><NAME>)\s+(?:is|'s)\s+(?:(?:now|officially|finally)\s+)?(?P<subj>my"
          r"|our)\s+<PRELMODS>(?P<rel><PREL>)(?![\w'-])(?!\s+(?:in|on|for|at|of)\b)"),
    # "I have a new girlfriend, her name is Mia"
    _rule("partner", _K.NAME, "name", "{Sp} partner is {V}",
          r"(?<![\w'])(?P<cont>)(?:(?P<val><NAME>)\s+is\s+(?:his|her|their)\s+name"
          r"|(?:his|her|their)\s+name(?:\s+is|'s)\s+(?P<val2><NAME>))",
          context="new_partner"),
    # "I'm with Youssef now, we've been together a couple of months"
    _rule("partner", _K.NAME, "now|these days", "{S} [is|are] dating {V}",
          r"<S><BE>\s+(?:with|seeing)\s+(?P<val><NAME>)(?=\s+(?:now|these\s+days)\b)",
          context="romance"),
    # "Nora and I have been seeing each other", "Rafael and I made it official"
    _rule("partner", _K.NAME,
          "together|seeing each other|dating|official|a couple|an item|engaged|married|hitched",
          "{S} [is|are] dating {V}",
          r"(?<![\w'])(?P<val><NAME>)\s+and\s+(?P<subj>I)\b<GAP>(?:\s+(?:am|are)|\s+(?:have|has)"
          r"<GAP>\s+been|\s+(?:got|made\s+it|started|began|are\s+now))<GAP>\s+(?:together(?!\s+"
          r"(?:at|in|on|with|to|and)\b)|seeing\s+each\s+other|dating|a\s+couple|an\s+item"
          r"|official|exclusive|engaged|married|hitched)\b"),
    _rule("partner", _K.NAME, "anniversary", "{S} [is|are] dating {V}",
          r"(?<![\w'])(?P<val><NAME>)\s+and\s+(?P<subj>I)\b[^.!?,;]{0,40}?\bour\s+(?:(?:\d+\w*"
          r"|first|second|third|fourth|fifth|tenth|\w+-year|wedding|dating)\s+)?anniversary",
          implied=True),
    # "I met Nora, and we're together now"
    _rule("partner", _K.PREV_NAME, "together|dating|seeing each other|a couple|official",
          "{S} [is|are] dating {V}",
          r"^\s*(?:(?:and|so|now)\s+)*(?P<subj>we)<GAP>(?:\s+are|\s+have<GAP>\s+been|\s+got"
          r"|\s+made\s+it)<GAP>\s+(?:together(?!\s+(?:at|in|on|with|to|and)\b)|dating|a\s+couple"
          r"|an\s+item|official|seeing\s+each\s+other)\b"),
    # "I've been seeing Elena", "I'm seeing someone new, Elena"
    _rule("partner", _K.NAME, "seeing", "{S} [is|are] dating {V}",
          r"<S><GAP>(?:\s+(?:have|has)<GAP>\s+been<GAP>\s+seeing\s+|(?:\s+(?:am|is|are)|'s"
          r"|\s+(?:have|has)<GAP>\s+been)<GAP>\s+seeing\s+(?:someone|somebody)(?:\s+new)?\s*,?"
          r"\s+(?:named\s+|called\s+)?)(?!(?:Dr|Doctor|Mr|Mrs|Ms|Prof)\b)(?P<val><NAME>)"),
    _rule("partner", _K.NAME, "serious", "{S} [is|are] dating {V}",
          r"\bthings\s+(?:with|between)\s+(?:me\s+and\s+)?(?P<val><NAME>)(?:\s+and\s+(?:me|I))?"
          r"\s+(?:are|have\s+been|got|have\s+gotten)\s+(?:(?:getting|pretty|really|very|so)\s+)*"
          r"serious"),
    # "Jamie asked me to move in together!", "Tom proposed"
    _rule("partner", _K.NAME, "proposed|asked me", "{S} [is|are] dating {V}",
          r"(?<![\w'])(?P<val><NAME>)\s+(?:just\s+|finally\s+)?(?:proposed(?:\s+to\s+me)?(?=\s*"
          r"(?:[.!,;]|$)|\s+(?:last|yesterday|today|on|at|and|in|with)\b)|asked\s+me\s+to\s+(?:move"
          r"\s+in|marry|be\s+(?:his|her|their)\s+(?:girlfriend|boyfriend|partner|wife|husband)))"),
    _rule("partner", _K.NONE, "broke|split|separated|divorced|parted|quits|single", "",
          r"<SC><GAP>\s+<PERF>(?:broke\s+up|split\s+up|separated|got\s+divorced|divorced"
          r"|parted\s+ways|called\s+it\s+quits|(?:am|is|are)<GAP>\s+(?:divorced|separated"
          r"|single(?!\s+(?:mom|dad|mother|father|parent|room|bed|player|track|malt|file|day|word"
          r"|time|thing|person|one|digits?)\b)))<SOFTEND>",
          ended=True, empty="{S} [is|are] no longer in a relationship"),
    _rule("partner", _K.NAME, "broke|split|separated|divorced|parted|quits|ended|called it",
          _NO_LONGER_WITH,
          r"(?<![\w'])(?P<val><NAME>)\s+and\s+(?P<subj>I|we)<GAP>\s+<PERF>(?:broke\s+up|split\s+up"
          r"|separated|got\s+divorced|divorced|parted\s+ways|called\s+it\s+quits|ended\s+(?:things"
          r"|it)|broke\s+it\s+off|called\s+it\s+off)",
          ended=True),
    # pet
    _rule("pet", _K.PET_NAMED, "named|called|whose", _PET_NAMED,
          r"<SC><GAP>\s+<PERF>(?:have|has|got|adopted|rescued|bought|welcomed|took\s+in"
          r"|brought\s+home|(?:am|is|are)\s+fostering)\s+(?:a|an|another)\s+(?P<mods>(?:[a-z]"
          r"[\w-]*\s+){0,2}?)(?P<animal><ANIMALX>)(?:\s*,)?\s+(?:named|called|whose\s+name\s+is)"
          r"\s+(?P<val><NAME>)"),
    # "we got a cat, Luna."
    _rule("pet", _K.PET_NAMED, _ANIMAL_COMMA_KEYS, _PET_NAMED,
          r"<SC><GAP>\s+<PERF>(?:have|has|got|adopted|rescued|bought|welcomed|took\s+in"
          r"|brought\s+home)\s+(?:a|an|another)\s+(?P<mods>(?:[a-z][\w-]*\s+){0,2}?)(?P<animal>"
          r"<ANIMALX>)\s*,\s+(?P<val><NAME>)(?=\s*(?:[.!;)]|$)|\s*,\s+(?:who|she|he|and)\b)"),
    _rule("pet", _K.PET, "have|has|got|adopted|rescued|bought|welcomed|took|brought|fostering",
          "{S} [has|have] {V}",
          r"<SC><GAP>\s+<PERF>(?:have|has|got|adopted|rescued|bought|welcomed|took\s+in"
          r"|brought\s+home|(?:am|is|are)\s+fostering)\s+(?P<val>(?:a|an)\s+(?:[a-z][\w-]*\s+)"
          r"{0,2}?<ANIMAL>)<PETEND>"),
    _rule("pet", _K.PET_NAMED, "my|our", _PET_NAMED,
          r"<P>\s+(?:(?P<ex>late)\s+)?<PETMODS>(?P<animal><ANIMALX>)(?:\s*,)?\s+(?P<val><NAME>)"),
    _rule("pet", _K.PET_NAMED, "name|called", _PET_NAMED,
          r"<P>\s+<PETMODS>(?P<animal><ANIMALX>)(?:'s\s+name\s+is|\s+(?:is|'s)\s+(?:called|named))"
          r"\s+(?P<val><NAME>)"),
    # "Clementine, my kitten, has a vet appointment", "Meet Bagel, our new parrot!"
    _rule("pet", _K.PET_NAMED, ", my |, our ", _PET_NAMED,
          r"(?<![\w'])<NOGREET>(?P<val><NAME>),\s+(?P<subj>my|our)\s+<PETMODS>(?P<animal><ANIMALX>)"
          r"(?=\s*(?:[,.!;)]|$))",
          implied=True),
    # "Pretzel, the rabbit we just adopted, ..."
    _rule("pet", _K.PET_NAMED, "adopted|got|rescued|brought|took in", _PET_NAMED,
          r"(?<![\w'])(?P<val><NAME>),\s+the\s+<PETMODS>(?P<animal><ANIMALX>)\s+(?:that\s+)?"
          r"(?P<subj>I|we)\s+(?:just\s+|recently\s+|finally\s+)?(?:adopted|got|rescued|brought"
          r"\s+home|took\s+in)\b",
          implied=True),
    # "now we have Noodle, a sweet little dog"
    _rule("pet", _K.PET_NAMED, "have|has|got|adopted|rescued|welcomed|brought|took", _PET_NAMED,
          r"<SC><GAP>\s+<PERF>(?:have|has|got|adopted|rescued|welcomed|brought\s+home|took\s+in)\s+"
          r"(?P<val><NAME>),\s+(?:a|an)\s+(?P<mods>(?:[a-z][\w-]*\s+){0,2}?)(?P<animal><ANIMALX>)"
          r"(?=\s*(?:[,.!;)]|$)|\s+(?:and|who|that|from)\b)"),
    # "we named him Bandit", "Luna is her name" (the message tells of getting an animal)
    _rule("pet", _K.PET_NAMED, "named|called", _PET_NAMED,
          r"<SC><GAP>\s+<PERF>(?:named|called)\s+(?:him|her|it|them)\s+(?P<val><NAME>)",
          context="pet"),
    _rule("pet", _K.PET_NAMED, "name", _PET_NAMED,
          r"(?<![\w'])(?P<cont>)(?:(?P<val><NAME>)\s+is\s+(?:his|her|its|their)\s+name"
          r"|(?:his|her|its|their)\s+name(?:\s+is|'s)\s+(?P<val2><NAME>))",
          context="pet"),
    _rule("pet", _K.PET_NAMED,
          "passed|died|put down|put to sleep|rainbow|ran away|missing|gone|rehomed", _NO_PET,
          r"<P>\s+(?:(?:late|poor)\s+)?<PETMODS>(?P<animal><ANIMALX>)(?:\s*,?\s*(?P<val><NAME>))?"
          r"\s*,?<GAP>\s+(?:(?:sadly|unfortunately|finally)\s+)?(?:passed\s+away|passed|died"
          r"|was\s+put\s+down|was\s+put\s+to\s+sleep|had\s+to\s+be\s+put\s+down|crossed\s+the"
          r"\s+rainbow\s+bridge|ran\s+away|went\s+missing|is\s+gone|was\s+rehomed|got\s+rehomed"
          r"|has\s+passed|has\s+died)",
          ended=True, empty="{S} no longer [has|have] the {animal}"),
    _rule("pet", _K.PET_NAMED, "rehome|gave away|lost|goodbye", _NO_PET,
          r"<SC><GAP>\s+(?:had\s+to\s+)?(?:rehomed|rehome|gave\s+away|lost|said\s+goodbye\s+to)\s+"
          r"(?:my|our|the)\s+(?:(?:old|sweet|beloved|little|poor)\s+)*(?P<animal><ANIMALX>)"
          r"(?:\s*,?\s+(?P<val><NAME>))?",
          ended=True, empty="{S} no longer [has|have] the {animal}"),
    _rule("pet", _K.PET_NAMED, "rehome", "{S} no longer [has|have] the pet {V}",
          r"<SC><GAP>\s+(?:had\s+to\s+)?(?:rehomed|rehome)\s+(?P<val><NAME>)",
          ended=True),
    _rule("pet", _K.PET_NAMED, "put", _NO_PET,
          r"<SC><GAP>\s+(?:had\s+to\s+)?put\s+(?:(?:(?:my|our|the)\s+(?:old\s+)?(?P<animal>"
          r"<ANIMALX>)\s*,?\s*)(?P<val2><NAME>)?|(?P<val><NAME>))\s+down\b",
          ended=True, empty="{S} no longer [has|have] the {animal}"),
    # favorites
    _rule("favorite", _K.FAVORITE, "favorite|favourite", "{Sp} favorite {thing} is {V}",
          r"(?<!\bof\s)<P>\s+<FAVMODS>favou?rite\s+(?P<thing><THING>)\s+(?:isn't|is\s+not"
          r"|is\s+no\s+longer|(?P<ok>is|'s|has\s+to\s+be|would"
          r"\s+have\s+to\s+be|would\s+be|has\s+always\s+been|is\s+still|is\s+now|remains"
          r"|right\s+now\s+is|at\s+the\s+moment\s+is|these\s+days\s+is|is\s+probably"
          r"|is\s+definitely|is\s+currently|is\s+easily|is\s+hands\s+down|is\s+by\s+far))\s+"
          r"(?P<val><FAVVAL>)<FAVEND>"),
    _rule("favorite", _K.FAVORITE_BEFORE, "favorite|favourite", "{Sp} favorite {thing} is {V}",
          r"(?:\s+(?:is|has\s+(?:always\s+)?been|has\s+become|remains|will\s+always\s+be|became)|'s"
          r"|(?P<was>\s+used\s+to\s+be|\s+is\s+no\s+longer|\s+isn't|\s+is\s+not)"
          r"|\s+(?:has\s+)?(?:replaced|overtaken|dethroned|taken\s+over\s+from)\s+[^,.;!?]{1,40}?"
          r"\s+as)"
          r"\s+(?:(?:still|definitely|probably|now|easily|officially|also)\s+)?(?<!\bof\s)<P>"
          r"\s+<FAVMODS>"
          r"favou?rite\s+(?P<thing><THING>)<THINGEND>"),
    # "I still think Dune is the best book there is"
    _rule("favorite", _K.FAVORITE_BEFORE, "best", "{Sp} favorite {thing} is {V}",
          r"\s+is\s+(?:(?:still|easily|definitely|honestly|simply|just)\s+)?the\s+best\s+"
          r"(?P<best>)(?P<thing><THING>)\s+(?:there\s+is|ever(?:\s+(?:made|written))?"
          r"|of\s+all\s+time|in\s+the\s+world)\b"),
    # "I've completely fallen for Titanic, it's my favorite movie now"
    _rule("favorite", _K.FAVORITE_IT, "favorite|favourite", "{Sp} favorite {thing} is {V}",
          r"(?:^\s*|\s+(?:and|so)\s+)(?:(?:and|so|now)\s+)*(?:it|they)(?:'s|'re|\s+is|\s+are)\s+"
          r"(?:(?:now|officially|also|definitely|easily|honestly)\s+)?<P>\s+<FAVMODS>favou?rite\s+"
          r"(?P<thing><THING>)"
          r"<THINGEND>",
          implied=True),
    # "I'll defend Titanic forever, best movie there is"
    _rule("favorite", _K.FAVORITE_IT, "best", "{Sp} favorite {thing} is {V}",
          r"(?:^\s*|,\s*)(?:the\s+)?best\s+(?P<best>)(?P<thing><THING>)\s+(?:there\s+is|ever"
          r"|of\s+all\s+time|in\s+the\s+world)\s*(?:[.!]|$)",
          implied=True),
    # age
    _rule("age", _K.AGE, "0|1|2|3|4|5|6|7|8|9", "{S} [is|are] {V} years old",
          r"<S>(?:\s+(?:am|is)|'s)(?:\s+(?:only|already|now|just|still|officially|finally))*\s+"
          r"(?P<val>\d{1,3})<AGEEND>"),
    _rule("age", _K.AGE, "turned|turning", "{S} [is|are] {V} years old",
          r"<SC><GAP>\s+<PERF>(?:turned|celebrated\s+turning)\s+(?P<val>\d{1,3})<AGEEND>"),
    _rule("age", _K.AGE, "hit|reached", "{S} [is|are] {V} years old",
          r"<SC><GAP>\s+<PERF>(?:just\s+)?(?:hit|reached)\s+(?P<val>\d{1,3})<AGEEND>",
          context="birthday"),
    # "23 today!" in a message about a birthday
    _rule("age", _K.AGE, "today", "{S} [is|are] {V} years old",
          r"^\s*<LEAD>(?P<cont>)(?P<val>\d{1,3})\s+today\b\W*$",
          context="birthday"),
    # "just had my 23rd birthday", "today is my 30th birthday"
    _rule("age", _K.AGE, "birthday", "{S} [is|are] {V} years old",
          r"<SC><GAP>\s+<PERF>(?:celebrated|had|marked)\s+(?:my|our|his|her|their)\s+"
          r"(?P<val>\d{1,3})(?:st|nd|rd|th)\s+birthday"),
    _rule("age", _K.AGE, "birthday", "{S} [is|are] {V} years old",
          r"(?:\b(?:it|today|yesterday|this|last\s+\w+)\s+(?:was|is|'s)|\bit's)\s+<P>\s+"
          r"(?P<val>\d{1,3})(?:st|nd|rd|th)\s+birthday"),
    # "Being 41 is great", "Still 56, and ...", "Officially 25 as of this morning"
    _rule("age", _K.AGE, "being", "{S} [is|are] {V} years old",
          r"^\s*<LEAD>(?P<cont>)being\s+(?P<val>\d{1,3})(?:\s+years\s+old)?(?=\s+(?:is|has|feels"
          r"|means|isn't|keeps|makes)\b)"),
    _rule("age", _K.AGE, "still|officially|finally|now", "{S} [is|are] {V} years old",
          r"^\s*<LEAD>(?P<cont>)(?:still|officially|finally|now)\s+(?P<val>\d{1,3})<AGEEND>"),
    # "At 41 my knees are already complaining" (a present verb follows; not "At 18 I moved")
    _rule("age", _K.AGE, "at 1|at 2|at 3|at 4|at 5|at 6|at 7|at 8|at 9",
          "{S} [is|are] {V} years old",
          r"(?:^\s*<LEAD>|,\s*)(?P<cont>)at\s+(?P<val>1[3-9]|[2-9]\d|1[01]\d)(?:\s+years\s+old"
          r"|\s+years\s+of\s+age)?(?=\s*,|\s*$|\s+(?:I|my|we)\b)",
          implied=True,
          after=r"\W*(?:I|my\s+\w+|we)\s+(?:(?:still|already|really|just|now|honestly|definitely)"
          r"\s+)*(?:am|are|feel|feels|still|know|think|can't|don't|do\s+not|cannot)\b"),
)  # fmt: skip


_TrieNode = dict[str, "_TrieNode"]


def _trie(keys: Iterable[str]) -> str:
    """A regex matching any of ``keys``, factored by prefix so each position costs one test."""
    root: _TrieNode = {}
    for key in keys:
        node = root
        for char in key:
            node = node.setdefault(char, {})
        node[""] = {}

    def build(node: _TrieNode) -> str:
        alternatives = [re.escape(c) + build(child) for c, child in sorted(node.items()) if c]
        if not alternatives:
            return ""
        inner = alternatives[0] if len(alternatives) == 1 else "(?:" + "|".join(alternatives) + ")"
        return f"(?:{inner})?" if "" in node else inner

    return build(root)


def _rules_by_key() -> dict[str, tuple[int, ...]]:
    """Key -> indices of the rules it (or any key it starts with) triggers."""
    direct: dict[str, set[int]] = {}
    for index, rule in enumerate(_RULES):
        for key in rule.keys:
            direct.setdefault(key, set()).add(index)
    return {
        key: tuple(
            sorted({i for other, rules in direct.items() if key.startswith(other) for i in rules})
        )
        for key in direct
    }


_KEY_RULES = _rules_by_key()
# Every key found in a clause, overlapping ones included (the lookahead consumes nothing).
_KEYS = re.compile("(?=(" + _trie(_KEY_RULES) + "))")

# The readable predicate of each attribute (favourites: "favorite <thing> is").
PREDICATES = {
    "city": "lives in",
    "employer": "works at",
    "occupation": "works as",
    "school": "studies at",
    "name": "is named",
    "partner": "has partner",
    "pet": "has pet",
    "age": "is aged",
}
# Text of a fact ended by a negation ("I don't live in Paris anymore").
_ENDED_TEXT = {
    "city": "{S} no longer [lives|live] in {V}",
    "employer": _NO_LONGER_WORKS,
    "occupation": "{S} no longer [works|work] as {a} {V}",
    "school": "{S} no longer [studies|study] at {V}",
    "name": "{S} [is|are] no longer named {V}",
    "partner": _NO_LONGER_WITH,
    "pet": "{S} no longer [has|have] {V}",
    "age": "{S} [is|are] no longer {V}",
    "favorite": "{Sp} favorite {thing} is no longer {V}",
}

# --- message-level patterns -----------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'"})
_CONTRACTION = re.compile(r"\b(i|we)(?:'(m|re|ve|d|ll)\b|(m|ve)\b)", re.I)
_EXPANSIONS = {"m": "am", "re": "are", "ve": "have", "d": "would", "ll": "will"}
_IDIOMS = re.compile(
    r"\b(?:not\s+gonna\s+lie|ngl|not\s+to\s+brag|to\s+be\s+honest|no\s+kidding|can't\s+lie"
    r"|won't\s+lie|i\s+can't\s+believe|believe\s+it\s+or\s+not|no\s+doubt|not\s+sure\s+if"
    r"\s+i\s+told\s+you|in\s+case\s+you\s+(?:didn't|don't)\s+know)\b,?",
    re.I,
)
_IDIOM_HINT = re.compile(r"lie|ngl|brag|honest|kidding|believe|doubt|told|know", re.I)
_QUOTE = re.compile(r"\"([^\"\n]{1,400})\"|“([^”\n]{1,400})”")
_SPEECH_INSIDE = re.compile(r"\b(?:I|me|my|we|our|you|your|he|she|they)\b|\b(?:i)\b")
_SPEECH_BEFORE = re.compile(
    r"\b(?:said|says|say|told\s+\w+|tells\s+\w+|asked|asks|wrote|writes|texted|texts|goes|went"
    r"|replied|yelled|screamed|like|shouted|whispered|messaged)\s*,?\s*$|:\s*$",
    re.I,
)
_SENTENCE = re.compile(r"(?<=[.!?…])[\"')\]]*\s+|\s*\n\s*")
_ABBREVIATIONS = _words("St Mr Mrs Ms Dr Jr Sr Mt vs Co Inc Corp Ltd")
_CLAUSE = re.compile(
    r"(?=[\s;:,()\u2013\u2014-])(?:\s*[;:]\s+|\s+[-\u2013\u2014]+\s+|\s*[()]\s*"
    r"|,?\s+(?:but|though|although|whereas|because|cause|since|plus|and\s+then|and\s+now"
    r"|so\s+now|and\s+so|and\s+also)\s+"
    r"|,\s+(?=(?:I|we|my|our|now|then|so|and|it|they|he|she|you|where|what|how|wbu|hbu|anyway"
    r"|can|did|do"
    r"|does|is|are|have|has|would|will|isn't|aren't|don't|right|remember|guess)\b)"
    r"|(?P<and>\s+and\s+)(?=(?:I|we)\b))",
    re.I,
)
# "..., my partner," / "..., our new parrot!": an apposition, not a new clause.
_APPOSITIVE = re.compile(
    _expand(r"(?:my|our)\s+<PRELMODS><PETMODS>(?:<PREL>|<ANIMALX>)(?:\s*[,.!;)]|\s*$)"),
    re.I,
)
_QUESTION_START = re.compile(
    r"^\W*(?:(?:do|does|did|is|are|am|was|were|can|could|will|would|have|has|should|shall|may"
    r"|might|won't|don't|doesn't|didn't|isn't|aren't)\s+(?:you|u|ya|he|she|they|it|i|we|your"
    r"|ur|there|the|this|that|anyone|anybody|someone|(?-i:[A-Z][a-z]+))\b"
    r"|(?:where|what|when|who|why|how|which|whose)(?:'s|\s+(?:do|does|did|is|are|am|was|were"
    r"|can|could|will|would|have|has|should|about|come|many|much|long|old|far|often))\b)",
    re.I,
)
_LEAD_SUBJECT = _expand(
    r"^\s*(?:(?:so|well|oh|yeah|and|but|also|anyway|honestly|actually|btw|now|then|recently"
    r"|lately|today|yesterday|last\s+\w+|this\s+\w+)\W+)*<S>"
)
_VETO = re.compile(
    r"\b(?:might|may|could|would|should|shall|will|wo|gonna|going\s+to|want|wants|wanted|wanna"
    r"|hope|hopes|hoping|wish|wishes|wished|plan|plans|planning|planned|thinking|considering"
    r"|consider|dream|dreams|dreaming|if|unless|whether|maybe|perhaps|someday|one\s+day"
    r"|about\s+to|trying|try|need\s+to|needs\s+to|have\s+to|has\s+to|supposed|used\s+to"
    r"|imagine|imagining|pretend|pretending|love\s+to|like\s+to|hate\s+to|rather|can|can't"
    r"|couldn't|wouldn't|shouldn't|won't|hypothetically|looking\s+to|intend|intending|expect"
    r"|expecting|soon|tomorrow|next|ready\s+to|decided\s+to|decide|deciding|possibly|likely"
    r"|unlikely|hopefully|ideally|wondering|wonder|fantasize|fantasizing|instead\s+of|miss"
    r"|missed|yet)\b",
    re.I,
)
_NEGATION = re.compile(
    r"\b(?:not|never|no\s+longer|nobody|no\s+one|nothing|neither|nor)\b|n't\b", re.I
)
_ANYMORE = re.compile(r"^[^.;]*?\b(?:anymore|any\s+more|any\s+longer)\b", re.I)
_FUTURE_TAIL = re.compile(
    r"\b(?:next\s+(?:week|month|year|summer|spring|fall|autumn|winter|semester|term|weekend"
    r"|monday|tuesday|wednesday|thursday|friday|saturday|sunday)|tomorrow|soon|later\s+this"
    r"|this\s+coming|starting\s+(?:next|in|on|from)|in\s+(?:a|one|two|three|four|five|six|a"
    r"\s+few|few|\d+)\s+(?:few\s+)?(?:days?|weeks?|months?|years?)\b(?!\s+ago))",
    re.I,
)
_JOB_CONTEXT = re.compile(
    r"\b(?:job|jobs|work|working|career|company|employer|boss|colleagues?|co-?workers?|office"
    r"|role|position|hired|resigned|notice|layoffs?|startup|team|salary|promoted|promotion"
    r"|onboarding|manager|project|reorg|clients?|shifts?)\b",
    re.I,
)
_SCHOOL_CONTEXT = re.compile(
    r"\b(?:class|classes|semester|term|campus|lectures?|professors?|courses?|degree|major|exams?"
    r"|dorm|student|students|schools?|university|uni|college|freshman|sophomore|grad|phd"
    r"|master's|masters|mba|bachelor's|seminars?|orientation"
    r"|credits|thesis|tuition|reading\s+list)\b",
    re.I,
)
# The message tells of a move ("... now, still living out of boxes").
_MOVE_CONTEXT = re.compile(
    r"\b(?:move|moved|moving|movers|relocat\w*|boxes|settl\w+|lease|new\s+(?:place"
    r"|apartment|flat|house|home|city|neighbou?rs?|neighbou?rhood))\b",
    re.I,
)
# The message tells of getting an animal ("we adopted a rabbit", "I got a puppy").
_PET_CONTEXT = re.compile(
    r"\b(?:got|adopted|rescued|brought\s+home|bought|welcomed|took\s+in|have|new)\s+(?:a|an"
    r"|another|our|my|the)?\s*(?:[a-z]+\s+){0,2}?" + _alternation(_ANIMALS) + r"\b",
    re.I,
)
_ROMANCE_CONTEXT = re.compile(
    r"\b(?:(?:been|are|were|got|back|is)\s+together\b(?!\s+(?:at|in|on|to|with|and|for\s+(?:the"
    r"|a|an|this|that|lunch|dinner|work)\b))|dating|relationship|official|boyfriend|girlfriend"
    r"|partner|in\s+love"
    r"|seeing\s+each\s+other|anniversary|couple|romantic|kissed|broke\s+up)\b",
    re.I,
)
_NEW_PARTNER_CONTEXT = re.compile(
    r"\b(?:have|got|met|found)\s+(?:a|an|myself\s+a)\s+(?:new\s+)?(?:girlfriend|boyfriend|partner"
    r"|gf|bf|fianc\w*)\b",
    re.I,
)
_CONTEXTS = {
    "job": _JOB_CONTEXT,
    "school": _SCHOOL_CONTEXT,
    "move": _MOVE_CONTEXT,
    "pet": _PET_CONTEXT,
    "romance": _ROMANCE_CONTEXT,
    "new_partner": _NEW_PARTNER_CONTEXT,
    "birthday": re.compile(r"\b(?:birthday|bday|b-day)\b", re.I),
}
# After a phrase implying a fact, a verb that makes it past or unreal ("my flat in Rome was").
_PAST_TAIL = re.compile(
    r"^\s*,?\s*(?:was|were|had|used\s+to|will|would|won't|might|may|could)\b", re.I
)
# "Guess who got hired by Klarna? Me!" -> "I got hired by Klarna."
_GUESS_WHO = re.compile(
    r"\bguess\s+who\s+([^?.!\n]{3,80})\?+\s*(?:(?:it's|it\s+is|that's|that\s+would\s+be)"
    r"\s+)?me\b[!.]*",
    re.I,
)
# "I have a new favorite book: Atonement" -> "my new favorite book is Atonement"
_FAVORITE_COLON = re.compile(
    r"\b(?:(?:I|we)\s+(?:have|have\s+got|got|found)\s+a|my|our)\s+(new\s+)?(favou?rite\s+"
    r"[a-z]+(?:\s+[a-z]+)?)(?<!s)\s*:\s+(?=\S)",
    re.I,
)
_NAME_COLON = re.compile(r"\b(?:my\s+)?new\s+name\s*:\s+(?=[A-Z])")
# The object of the clause before "it's my favorite X" ("I finished Dune and it's ...").
_NOTHING_BEATS = re.compile(
    r"\bnothing\s+(?:beats|tops|compares\s+to)\s+(?P<v>[^,.;!?]{1,40}?)\s*$", re.I
)
_OBJECT_AFTER = re.compile(
    r"(?:^|\s)(?:with|at|in|from|near|by|and|than|met|meet|meeting|told|asked|called|texted"
    r"|thanked|hugged|married|dated|saw)\s*$",
    re.I,
)
# A name in the clause before "we're together now" ("I met Nora", "I'm with Owen now").
_PREV_PARTNER = _expand(
    r"\b(?:met|with|dating|seeing|meeting|love|loves|for|asked)\s+(?P<val><NAME>)"
)
# "but now it's purple", "it's Nils Kowalski now", after an ended favourite or name.
_CONTINUATION = re.compile(
    r"^\s*(?:(?:but|and|so)\s+)?(?:now\s+)?(?:it|that)(?:'s|\s+is)\s+(?:now\s+)?(?:officially"
    r"\s+)?(?P<val>\"[^\"]{1,60}\"|“[^”]{1,60}”|[^,.;!?:\"“”()]{1,60}?)"
    r"(?=\s*(?:[,.;!?:()]|$)|\s+(?:now|these\s+days|since|instead|though|lol|haha)\b)",
    re.I,
)
# A clause opening with a noun phrase that is no subject we know ("My niece ...", "She ...").
_OTHER_SUBJECT = re.compile(
    r"^\W*(?:(?:so|and|but|also|oh|well|yeah|btw|actually|then)\W+)*(?!(?:his|her|its|their)\s+name"
    r"\b)(?:(?:my|our|his|her|their|your)\s+[a-z]|(?:he|she|they|you)\b)",
    re.I,
)
_FAV_LEFT_LEAD = re.compile(
    r"^\s*(?:(?:honestly|i\s+(?:still\s+|really\s+)?think|i\s+guess|i\s+would\s+say|i\s+must\s+say"
    r"|definitely|probably"
    r"|oh|well|yeah|yes|so|and|but|actually|tbh|i\s+mean|lol|haha|ok|okay|also|now|these\s+days"
    r"|right\s+now)\b[\s,]*)*",
    re.I,
)
_CAPRUN_AT_END = _expand(r"(?:<CAPRUN>)$")
_CAPRUN_ANY = _expand(r"(?<![\w'])(?:<CAPRUN>)")
_LEAD_VERBS = _words("is was has had and just also recently finally still now 's got went")
_PRONOUNS = _words("i me my we us our you your he him his she her they them their it its")
_ABBREVIATION_END = re.compile(r"(?:\b[A-Z]\.){2,}$")
_AGREE = re.compile(r"\[([^|\]]*)\|([^\]]*)\]")
_PLURAL_VERBS = _words("live work study are have go attend intern freelance")


# --- helpers --------------------------------------------------------------------------------


class _Subject(NamedTuple):
    key: str  # Fact.subject
    display: str  # for the text ("The user" when the speaker is unknown)
    plural: bool


# The subject of a clause about someone we do not track ("My niece got into ... and started").
_UNKNOWN = _Subject("", "", False)


@dataclass(slots=True)
class _Ctx:
    me: _Subject
    text: str
    _contexts: dict[str, bool] = field(default_factory=dict)
    inherited: _Subject | None = None
    sentence_end: int = 0  # where the current sentence ends in ``text``
    prev_clause: str = ""  # the clause before, in the current sentence
    # after an ended favourite or name: (kind, attribute, subject, template fields)
    cont: tuple[_Kind, str, _Subject, dict[str, str]] | None = None

    def has(self, context: str) -> bool:
        """Whether the message is about ``context`` ("job", "school", ...), computed once."""
        found = self._contexts.get(context)
        if found is None:
            found = self._contexts[context] = _CONTEXTS[context].search(self.text) is not None
        return found

    @property
    def job_context(self) -> bool:
        """Whether the message mentions work at all (computed on first use)."""
        return self.has("job")


class _Candidate(NamedTuple):
    start: int  # for text order
    span: tuple[int, int]  # the match, for overlap resolution
    fact: Fact
    subject: _Subject


def _expand_contraction(m: re.Match[str]) -> str:
    return f"{m[1]} {_EXPANSIONS[(m[2] or m[3]).lower()]}"


def _normalise(text: str) -> str:
    text = text.translate(_APOSTROPHES)
    text = _CONTRACTION.sub(_expand_contraction, text)
    if _IDIOM_HINT.search(text):
        text = _IDIOMS.sub(" ", text)
    if "uess" in text:
        text = _GUESS_WHO.sub(r"I \1.", text)
    if ":" in text:
        if "avo" in text:
            text = _FAVORITE_COLON.sub(r"my \1\2 is ", text)
        text = _NAME_COLON.sub("my new name is ", text)
    return _QUOTE.sub(_blank_speech, text)


def _blank_speech(m: re.Match[str]) -> str:
    content = m[1] if m[1] is not None else m[2]
    before = m.string[max(0, m.start() - 24) : m.start()]
    if _SPEECH_INSIDE.search(content) or _SPEECH_BEFORE.search(before) or len(content) > 80:
        return " "
    return m[0]


def _split(text: str, pattern: re.Pattern[str]) -> Iterator[tuple[int, str]]:
    start = 0
    for m in pattern.finditer(text):
        if pattern is _SENTENCE and text[m.start() - 1] == ".":
            before = text[start : m.start() - 1].rsplit(None, 1)
            last = before[-1] if before else ""
            if last in _ABBREVIATIONS or (len(last) == 1 and last.isupper()) or "." in last:
                continue  # "St. Louis", "D.C. is", "J. Smith"
        if m.lastgroup == "and" and _joint_subject(text[start : m.start()].split()):
            continue
        if pattern is _CLAUSE and text[m.start()] == "," and _APPOSITIVE.match(text, m.end()):
            continue  # "with Jamie, my partner, on Friday"
        if m.start() > start:
            yield start, text[start : m.start()]
        start = m.end()
    if start < len(text):
        yield start, text[start:]


_REL_WORDS = frozenset(w.strip() for w in _RELATIONS.split(","))


def _joint_subject(before: list[str]) -> bool:
    """Whether "<before> and I" is one subject ("Jake and I", "my wife and I", "me and ...")."""
    if not before:
        return False
    last = before[-1].lower()
    if last in _REL_WORDS or last == "me":
        return True
    i = len(before)
    while i and before[i - 1][:1].isupper():  # the capitalised run before "and"
        i -= 1
    # a name opening the clause or following a relative, not the object of a verb or preposition
    return i < len(before) and (i == 0 or before[i - 1].lower() in _REL_WORDS)


def _canonical_relation(raw: str) -> tuple[str, bool]:
    words = raw.lower().replace("-", " - ").split()
    text = " ".join(words).replace(" - ", "-")
    for mod, canon in _REL_MOD_CANON.items():
        if text.startswith(mod + " ") and text[len(mod) + 1 :] in _REL_WORDS:
            text = canon + " " + text[len(mod) + 1 :]
    head = text
    for rel in sorted(_REL_WORDS, key=len, reverse=True):
        if text == rel or text.endswith(" " + rel) or text.endswith("-" + rel):
            head = rel
            break
    canon = _REL_CANON.get(head, head)
    text = text[: len(text) - len(head)] + canon
    return text, canon in _PLURAL_RELS


def _possessive(name: str, plural: bool) -> str:
    return name + ("'" if plural and name.endswith("s") else "'s")


def _resolve_subject(raw: str, ctx: _Ctx) -> _Subject | None:
    raw = " ".join(raw.split())
    low = raw.lower()
    if low in {"i", "we", "my", "our", "me"} or low.startswith("me and "):
        return ctx.me
    owner: _Subject | None = None
    rest = raw
    if low.startswith(("my ", "our ")):
        owner, rest = ctx.me, raw.split(" ", 1)[1]
    elif "'s " in raw:  # "Tom's wife"
        name, rest = raw.split("'s ", 1)
        owner = _name_subject(name, ctx)
        if owner is None:
            return None
    if owner is not None:
        rest = rest.removesuffix("'s").removesuffix("'")
        rel, plural = _canonical_relation(rest)
        key = f"{_possessive(owner.key, owner.plural)} {rel}"
        return _Subject(key, f"{_possessive(owner.display, owner.plural)} {rel}", plural)
    return _name_subject(raw.removesuffix("'s"), ctx)


def _name_subject(raw: str, ctx: _Ctx) -> _Subject | None:
    words = raw.split()
    while words and words[0].lower() in _NAME_LEADS:
        words = words[1:]
    if not words or words[0].lower() in _NOT_NAMES:
        return None
    low = " ".join(words).lower()
    if low in _REL_CANON or low in _REL_WORDS:  # "Mom works at a bank"
        rel, plural = _canonical_relation(low)
        me = ctx.me
        return _Subject(
            f"{_possessive(me.key, False)} {rel}", f"{_possessive(me.display, False)} {rel}", plural
        )
    name = " ".join(words)
    return _Subject(name, name, False)


def _clean_run(value: str) -> str | None:
    """A capitalised run as a value: trimmed of "the", trailing dates and punctuation."""
    value = value.strip().strip('"“”')
    if value.startswith("the "):
        value = value[4:]
    words = value.split()
    while words and words[-1].lower().rstrip(".,!?") in _DAYS_MONTHS:
        words.pop()
    if not words:
        return None
    value = " ".join(words).rstrip(",;:!?")
    if value.endswith(".") and not _ABBREVIATION_END.search(value):
        value = value.rstrip(".")
    value = value.removesuffix("'")
    if not value or value.lower() in _NOT_NAMES:
        return None
    if len(words) == 1 and words[0].lower().rstrip(".") in _NOT_NAMES:
        return None
    return value


def _clean_name(value: str) -> str | None:
    words = value.split()
    while len(words) > 1 and words[0].lower() in _NAME_LEADS:  # "Yesterday Tom and I ..."
        words.pop(0)
    while len(words) > 1 and words[-1].lower() in _NOT_NAMES:
        words.pop()
    if not words or words[0].lower() in _NOT_NAMES:
        return None
    return " ".join(words)


def _schoolish(value: str) -> bool:
    words = value.replace("-", " ").split()
    if any(w.lower() in _SCHOOL_WORDS for w in words):
        return True
    if value.lower() in _UNIVERSITIES or (words and words[0].lower() in _UNIVERSITIES):
        return True
    if value.isalpha() and value.isupper() and 2 < len(value) <= 6:
        return value not in _NOT_SCHOOL_ACRONYMS and ("U" in value or value.endswith("T"))
    return False


def _occupation(value: str) -> tuple[str, bool] | None:
    """(job, ended) from a job noun phrase with modifiers, or None for a description."""
    words = value.split()
    for i in range(len(words) - 2, -1, -1):  # keep only the modifiers after a connective
        if words[i].lower() in _CONNECTIVES:
            words = words[i + 1 :]
            break
    ended = False
    kept = []
    for i, word in enumerate(words):
        low = word.lower()
        if i < len(words) - 1 and low in _EVALUATIVE:
            return None
        if low in _ENDING_MODS:
            ended = True
            continue
        if low in _QUALIFIED:  # "a qualified architect" is an architect
            continue
        if low.startswith("ex-"):
            ended, word = True, word[3:]
        kept.append(word)
    if not kept:
        return None
    return " ".join(kept), ended


def _singular(word: str) -> str:
    word = _SPELLING.get(word, word)
    if word in _SINGULAR_KEEP or len(word) < 4 or not word.endswith("s"):
        return word
    if word.endswith("ies"):
        return word[:-1] if word[:-1] in _IES_TO_IE else word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "zzes")):
        return word[:-2]
    if word.endswith(("ss", "us", "is")):
        return word
    return _SPELLING.get(word[:-1], word[:-1])


def _thing(raw: str) -> str | None:
    words = raw.lower().split()
    if not words or any(w in _FAVORITE_BAD_THINGS or w in _CONNECTIVES for w in words):
        return None
    if any(w in _PRONOUNS or w in {"is", "was", "are", "about", "when"} for w in words):
        return None
    words[-1] = _singular(words[-1])
    return " ".join(_SPELLING.get(w, w) for w in words)


def _favorite_value(raw: str) -> str | None:
    value = raw.strip()
    if value[:1] in '"“':
        return value[1:-1].strip() or None
    value = _VALUE_FILLERS.sub("", value)
    words = value.split()
    if words and words[0] in {"a", "an", "the"} and len(words) > 1:
        words = words[1:]
    if not words or len(words) > 8 or words[0].lower() in _FAVORITE_BAD_START:
        return None
    return " ".join(words)


def _left_value(left: str) -> tuple[str, int] | None:
    """The value before "is my favorite X": a quoted title, a capitalised run or 1-4 words."""
    stripped = left.rstrip()
    if stripped.endswith(('"', "”")):
        opening = max(stripped.rfind('"', 0, len(stripped) - 1), stripped.rfind("“"))
        if opening >= 0:
            return stripped[opening + 1 : -1].strip(), opening
    m = _compile(_CAPRUN_AT_END).search(stripped)
    if m is not None:
        words = m[0].split()
        start = m.start()
        while words and words[0].lower() in _NOT_NAMES and len(words) > 1:
            start += len(words[0]) + 1
            words = words[1:]
        value = _clean_run(" ".join(words))
        if value is not None:
            return value, start
    lead = _FAV_LEFT_LEAD.match(stripped)
    start = lead.end() if lead else 0
    start = max(start, stripped.rfind(", ") + 2, stripped.rfind("; ") + 2)  # "Sorry X, Y is ..."
    words = stripped[start:].split()
    if not 1 <= len(words) <= 4 or any(w.lower() in _PRONOUNS for w in words):
        return None
    if words[0].lower() in _FAVORITE_BAD_START or words[0].lower() in {"a", "an", "the"}:
        return None
    return " ".join(words), start


def _prev_object(prev: str) -> str | None:
    """What "it" refers to in "<prev>, it's my favorite X": the first capitalised run after the
    clause's first word (not after "with", "at", ...), or what "nothing beats"."""
    if not prev or prev.rstrip().endswith("?"):
        return None
    beats = _NOTHING_BEATS.search(prev.rstrip(" .!"))
    if beats is not None:
        return _favorite_value(beats["v"])
    first = prev.lstrip()
    skip = len(prev) - len(first) + len(first.split(None, 1)[0]) if first else 0
    for m in _compile(_CAPRUN_ANY).finditer(prev, skip):
        if _OBJECT_AFTER.search(prev, 0, m.start()):
            continue
        value = _clean_run(m[0])
        if value is not None and value.split()[0].lower() not in _NOT_NAMES:
            return value
        return None
    return None


def _self_name(raw: str, ctx: _Ctx) -> str | None:
    """A full name starting with the speaker's first name ("I'm Ana Silva now"), else None."""
    words = raw.split()
    first = ctx.me.key.split()[0].casefold() if ctx.me.key != "user" else ""
    if len(words) < 2 or words[0].casefold() != first:
        return None
    return _clean_name(raw)


def _fill(template: str, subject: _Subject, value: str, extra: dict[str, str]) -> str:
    out = _AGREE.sub(lambda m: m[2] if subject.plural else m[1], template)
    article = "an" if value[:1].lower() in {"a", "e", "i", "o", "u"} else "a"
    fields = {
        "S": subject.display,
        "Sp": _possessive(subject.display, subject.plural),
        "V": value,
        "a": article,
        **extra,
    }
    out = out.format(**fields)
    out = " ".join(out.split())
    return out[:1].upper() + out[1:]


def _group(m: re.Match[str], name: str) -> str | None:
    return m.group(name) if name in m.re.groupindex else None


def _span(m: re.Match[str], name: str) -> tuple[int, int] | None:
    if name in m.re.groupindex and m.group(name) is not None:
        return m.span(name)
    return None


# --- extraction ------------------------------------------------------------------------------


def extract_facts(text: str, *, speaker: str | None) -> list[Fact]:
    """The single-valued facts stated in one message, in text order.

    ``speaker`` names the author (first-person facts are about them); ``None`` gives the
    subject ``"user"``. A fact repeating an earlier one's subject, attribute and value (compared
    casefolded) is dropped, unless one of the two is ``ended`` ("my dog Rex ... my dog Rex
    died" keeps both). Pure and deterministic; reads at most the first 4,000 characters.
    """
    if len(text) > _MAX_CHARS:
        cut = text.rfind(" ", 0, _MAX_CHARS)
        text = text[: cut if cut > 0 else _MAX_CHARS]
    name = " ".join(speaker.split()) if speaker else ""
    me = _Subject(name, name, False) if name else _Subject("user", "the user", False)
    text = _normalise(text)
    ctx = _Ctx(me, text)
    found: list[_Candidate] = []
    for s_start, sentence in _split(text, _SENTENCE):
        ctx.inherited = None
        ctx.prev_clause = ""
        ctx.cont = None
        ctx.sentence_end = s_start + len(sentence)
        for c_start, clause in _split(sentence, _CLAUSE):
            found.extend(_clause_facts(clause, s_start + c_start, ctx))
            ctx.prev_clause = clause
    found.sort(key=lambda c: c.start)
    # A pet's name said in the message beats the bare animal ("we got a rabbit ... Bandit").
    named_pets = {
        f.subject for f in (c.fact for c in found) if f.attribute == "pet" and not _is_animal(f)
    }
    seen: set[tuple[str, str, str]] = set()
    facts = []
    for candidate in found:
        fact = candidate.fact
        if fact.attribute == "pet" and fact.subject in named_pets and _is_animal(fact):
            continue
        key = (slot_of(fact.subject, fact.attribute), fact.value.casefold(), str(fact.ended))
        if key not in seen:
            seen.add(key)
            facts.append(fact)
    return facts


def _is_animal(fact: Fact) -> bool:
    """A pet fact naming the animal ("a rescue dog"), not the pet."""
    return not fact.ended and fact.value.startswith(("a ", "an "))


def _clause_facts(clause: str, offset: int, ctx: _Ctx) -> list[_Candidate]:
    stripped = clause.rstrip(" \"')]*~.!…")
    if stripped.endswith("?") or _QUESTION_START.match(clause):
        ctx.cont = None
        return []
    lead = _compile(_LEAD_SUBJECT).match(clause)
    subject = None
    if lead is not None:
        subject = _resolve_subject(lead["subj"], ctx)
        following = clause[lead.end() :].split(None, 1)
        verb = following[0].lower() if following else ""
        if subject is not None and (
            subject.key == ctx.me.key
            or lead["subj"][:1].islower()
            or verb in _LEAD_VERBS
            or (verb.endswith(("s", "ed")) and verb not in _PRONOUNS)
        ):  # a name must be followed by a verb: not "Lost my job ..."
            ctx.inherited = subject
    if subject is None and _OTHER_SUBJECT.match(clause):
        ctx.inherited = _UNKNOWN  # "My niece got into Yale and started ...": not the speaker
    out: list[_Candidate] = []
    if ctx.cont is not None:
        continued = _continuation(clause, offset, ctx)
        if continued is not None:
            out.append(continued)
    clause = " " + clause  # so that a clause-initial verb follows whitespace
    triggered: set[int] = set()
    for key in _KEYS.finditer(clause.lower()):
        triggered.update(_KEY_RULES[key[1]])
    for index in sorted(triggered):
        rule = _RULES[index]
        if rule.job_context and not ctx.job_context:
            continue
        for m in _compile(rule.source).finditer(clause):
            candidate = _candidate(rule, m, clause, offset - 1, ctx)
            if candidate is not None:
                out.append(candidate)
                ctx.inherited = candidate.subject
    kept = _resolve_overlaps(out)
    for candidate in kept:
        fact = candidate.fact
        if fact.ended and (fact.attribute == "name" or fact.attribute.startswith("favorite:")):
            kind = _K.SELF_NAME if fact.attribute == "name" else _K.FAVORITE
            thing = fact.attribute.partition(":")[2]
            ctx.cont = (kind, fact.attribute, candidate.subject, {"thing": thing} if thing else {})
    return kept


def _continuation(clause: str, offset: int, ctx: _Ctx) -> _Candidate | None:
    """ "..., but now it's purple" after an ended favourite or name in the same sentence."""
    assert ctx.cont is not None
    kind, attribute, subject, extra = ctx.cont
    m = _CONTINUATION.match(clause)
    if m is None:
        return None
    ctx.cont = None
    if kind is _K.SELF_NAME:
        value = _self_name(m["val"], ctx)
        template = _NAMED
    else:
        value = _favorite_value(m["val"])
        template = "{Sp} favorite {thing} is {V}"
        if value is not None and value.split()[0].lower() in _PRONOUNS:
            value = None
    if value is None:
        return None
    predicate = PREDICATES.get(attribute) or f"favorite {extra['thing']} is"
    fact = Fact(
        subject.key, attribute, value, predicate, _fill(template, subject, value, extra), False
    )
    return _Candidate(offset + m.start("val"), m.span(), fact, subject)


def _resolve_overlaps(candidates: list[_Candidate]) -> list[_Candidate]:
    """Of overlapping facts on one slot keep one: an ended fact, else the longest match."""
    kept: list[_Candidate] = []
    ranked = sorted(candidates, key=lambda c: (not c.fact.ended, -(c.span[1] - c.span[0]), c.start))
    for candidate in ranked:
        slot = slot_of(candidate.fact.subject, candidate.fact.attribute)
        a, b = candidate.span
        if any(
            slot == slot_of(k.fact.subject, k.fact.attribute) and a < k.span[1] and k.span[0] < b
            for k in kept
        ):
            continue
        kept.append(candidate)
    return kept


def _candidate(
    rule: _Rule, m: re.Match[str], clause: str, offset: int, ctx: _Ctx
) -> _Candidate | None:
    # Who.
    raw_subject = _group(m, "subj")
    if raw_subject is not None:
        subject = _resolve_subject(raw_subject, ctx)
        if subject is None:
            return None
        if subject.key != ctx.me.key and not subject.key.startswith(_possessive(ctx.me.key, False)):
            verb = clause[m.end("subj") :].split(None, 1)
            if verb and verb[0].lower() in _PLURAL_VERBS:  # "Penguins live in ...": generic
                return None
        if rule.attribute == "age" and raw_subject.lower() == "we":
            return None
    elif _group(m, "cont") is not None:
        subject = ctx.inherited or ctx.me
        if subject is _UNKNOWN:
            return None
    else:
        subject = ctx.me

    # What.
    read = _read_value(rule, m, clause, ctx, subject)
    if read is None:
        return None
    value, v_start, v_end, attribute, extra, ended = read

    # Hedges, negation and future time; for an implied fact only within the phrase.
    blanks = [s for s in (_span(m, "subj"), _span(m, "ok")) if s is not None]
    segment = clause[:v_start]
    for a, b in blanks:
        if b <= v_start:
            segment = segment[:a] + " " * (b - a) + segment[b:]
    if rule.implied:
        segment = segment[m.start() :]
    if _VETO.search(segment):
        return None
    tail = clause[max(v_end, m.end()) :] if rule.implied else clause[v_end:]
    rest = ctx.text[offset + max(v_end, m.end()) : ctx.sentence_end]
    if _NEGATION.search(segment):
        if ended or not value:
            return None
        if "no longer" not in segment.lower() and not _ANYMORE.search(tail):
            return None
        ended = True
    elif rule.implied:
        # "my flat in Rome was ..." is a former home; "Orientation week at Yale was fun" is not
        event = _group(m, "cont") is not None or _group(m, "event") is not None
        if not event and _PAST_TAIL.match(tail):
            return None
    elif not ended and (_FUTURE_TAIL.search(tail) or (rule.after and _FUTURE_TAIL.search(rest))):
        return None
    if rule.context and rule.context != "any" and not ended and not ctx.has(rule.context):
        return None
    if rule.after and _compile(rule.after).match(rest) is None:
        return None

    # The fact.
    if ended and rule.ended:
        template = rule.template if value else rule.empty
    elif ended and rule.kind is _K.PET_NAMED:
        template = _NO_PET
    elif ended:
        template = _ENDED_TEXT["favorite" if attribute.startswith("favorite:") else attribute]
    else:
        template = rule.template
    predicate = PREDICATES.get(attribute) or f"favorite {extra['thing']} is"
    fact = Fact(
        subject.key, attribute, value, predicate, _fill(template, subject, value, extra), ended
    )
    return _Candidate(offset + (v_start if value else m.start()), m.span(), fact, subject)


def _read_value(
    rule: _Rule, m: re.Match[str], clause: str, ctx: _Ctx, subject: _Subject
) -> tuple[str, int, int, str, dict[str, str], bool] | None:
    """(value, start, end, attribute, template fields, ended) or None when the value is unfit."""
    kind = rule.kind
    attribute = rule.attribute
    extra: dict[str, str] = {}
    ended = rule.ended
    raw = _group(m, "val")
    span = _span(m, "val")
    if raw is None and _group(m, "val2") is not None:
        raw, span = _group(m, "val2"), _span(m, "val2")
    v_start, v_end = span if span is not None else (m.end(), m.end())
    value: str | None = raw

    if kind is _K.FAVORITE_BEFORE:
        thing = _thing(m["thing"])
        if thing is not None and _group(m, "best") is not None and thing in _PEOPLE:
            return None  # "Tom is the best dad ever" is praise, not a favourite
        found = _left_value(clause[: m.start()])
        if thing is None or found is None:
            return None
        value, v_start = found
        v_end = m.start()
        ended = ended or _group(m, "was") is not None
        return value, v_start, v_end, f"favorite:{thing}", {"thing": thing}, ended
    if kind is _K.FAVORITE_IT:
        thing = _thing(m["thing"])
        if thing is not None and _group(m, "best") is not None and thing in _PEOPLE:
            return None
        before = clause[: m.start()]
        value = _prev_object(before if before.strip() else ctx.prev_clause)
        if thing is None or value is None:
            return None
        return value, m.start(), m.start(), f"favorite:{thing}", {"thing": thing}, ended
    if kind is _K.PREV_NAME:
        found_name = _compile(_PREV_PARTNER).search(ctx.prev_clause)
        value = _clean_name(found_name["val"]) if found_name else None
        if value is None:
            return None
        return value, m.start(), m.start(), attribute, extra, ended
    if kind is _K.SELF_NAME:
        if subject is not ctx.me or raw is None:
            return None
        value = _self_name(raw, ctx)
        return None if value is None else (value, v_start, v_end, attribute, extra, ended)
    if kind is _K.SURNAME or (kind is _K.NAME and _group(m, "sur")):
        if subject is not ctx.me or raw is None or ctx.me.key == "user":
            return None
        surname = raw.split()[-1]
        if surname.lower() in _NOT_NAMES:
            return None
        value = f"{ctx.me.key.split()[0]} {surname}"
        return value, v_start, v_end, attribute, extra, ended
    if kind is _K.FAVORITE:
        thing = _thing(m["thing"])
        if thing is None or raw is None:
            return None
        value = _favorite_value(raw)
        if value is None:
            return None
        return value, v_start, v_end, f"favorite:{thing}", {"thing": thing}, ended
    if kind is _K.NONE:
        value = _clean_run(raw) if raw else ""
        if value is None:
            value = ""
    elif raw is None:
        if kind is _K.PET_NAMED and ended and _group(m, "animal"):
            value = ""
        else:
            return None
    elif kind in (_K.PLACE, _K.SCHOOL):
        value = _clean_run(raw)
    elif kind is _K.SCHOOLISH:
        value = _clean_run(raw)
        if value is not None and not _schoolish(value):
            return None
    elif kind in (_K.ORG, _K.JOINED, _K.ORG_OR_SCHOOL):
        if raw[:1].islower():  # "a bank"
            head = raw.split()[-1].lower()
            if len(raw.split()) == 2 and head in _GENERIC_WORKPLACES:
                return None
            value = raw
        else:
            value = _clean_run(raw)
            if value is None:
                return None
            if kind is _K.JOINED and (
                value.lower() in _PLATFORMS or value.split()[0].lower() in _PLATFORMS
            ):
                return None
            if kind is _K.ORG_OR_SCHOOL and _schoolish(value):
                attribute = "school"
    elif kind is _K.ORG_CTX:
        value = _clean_run(raw)
        if value is None:
            return None
        at_work, at_school, schoolish = ctx.has("job"), ctx.has("school"), _schoolish(value)
        if _group(m, "short") is not None and not (at_work or at_school or schoolish):
            return None  # "I've been at the Hilton for a month"
        if schoolish and (at_school or not at_work):
            attribute = "school"
        elif at_work:
            attribute = "employer"
        elif at_school:
            attribute = "school"
        elif rule.context == "any":
            return None
    elif kind is _K.SCHOOL_CTX:
        value = _clean_run(raw)
        if value is not None and not (
            _schoolish(value) or (ctx.has("school") and not ctx.has("job"))
        ):
            return None
    elif kind is _K.NAME:
        value = _clean_name(raw)
        if value is not None and _group(m, "ex"):
            ended = True
        rel = _group(m, "rel")
        if rel is not None:
            extra["rel"] = _canonical_relation(rel)[0]
        how = _group(m, "how")
        if how is not None:
            extra["how"] = "married" if how.lower() == "hitched" else how.lower()
    elif kind is _K.OCCUPATION:
        job = _occupation(raw)
        if job is None:
            return None
        value, ended = job[0], ended or job[1]
    elif kind is _K.WORK_AS:
        words = raw.split()
        if words[-1].lower() in _BAD_WORK_AS or words[0].lower() in _PRONOUNS:
            return None
        job = _occupation(raw)
        if job is None:
            return None
        value, ended = job[0], ended or job[1]
    elif kind is _K.AGE:
        if not 1 <= int(raw) <= 120:
            return None
    elif kind is _K.PET:
        words = raw.split()
        if any(w.lower() in _CONNECTIVES or w.lower() in _REL_WORDS for w in words[1:-1]):
            return None
    elif kind is _K.PET_NAMED:
        value = _clean_name(raw)
        if value is not None and _group(m, "ex"):
            ended = True
    if value is None:
        return None

    animal = _group(m, "animal")
    if animal is not None:
        mods = (_group(m, "mods") or "").strip()
        if any(w.lower() in _CONNECTIVES or w.lower() in _REL_WORDS for w in mods.split()):
            return None
        extra["animal"] = " ".join(f"{mods} {animal}".lower().split())
    elif kind is _K.PET_NAMED:
        extra["animal"] = "pet"
    return value, v_start, v_end, attribute, extra, ended
