"""Hand-written life-change stories for the lifecycle tests (data only, no tests here).

Each :class:`LifeChange` is a small chat transcript in which a person's attribute changes: the
old value is stated in an early session, the new value in a later one, with chit-chat and
distractors (other cities, companies, names of the same kind) around them. Attribute names are
those of ``kenning.eval.updates.ATTRIBUTES``. Speakers are the person, ``"assistant"``, or a
friend the person talks to; in a ``third_person`` story someone else reports the change ("my
sister Inés moved to Seville"), so ``person`` never speaks.

Rules every story keeps (the tests may rely on them): values appear verbatim (whole words) in
the messages; no question contains either value; ``as_of`` lies strictly between the date of the
session that first states the old value and the date of the session that states the change;
sessions are in date order.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

ASSISTANT = "assistant"


def _on(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class ChatSession:
    """One dated conversation: ``(speaker, text)`` messages in order."""

    date: datetime
    messages: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class LifeChange:
    """A person's attribute going from ``old_value`` to ``new_value`` over the sessions."""

    person: str
    attribute: str
    old_value: str
    new_value: str
    sessions: tuple[ChatSession, ...]
    current_question: str  # answered by new_value
    as_of_question: str  # answered by old_value when asked as of ``as_of``
    as_of: datetime
    third_person: bool = False
    change_names_old: bool = False  # the session stating the change names the old value too

    def messages(self, index: int) -> list[dict[str, Any]]:
        """Session ``index`` as ``add`` takes it: the assistant's turns with its role, the
        others as named users, each with an id."""
        out = []
        for position, (speaker, text) in enumerate(self.sessions[index].messages):
            message: dict[str, Any] = {"content": text, "id": f"{index}-{position}"}
            if speaker == ASSISTANT:
                message["role"] = "assistant"
            else:
                message |= {"role": "user", "name": speaker}
            out.append(message)
        return out


LIFE_CHANGES: list[LifeChange] = [
    # -- city ---------------------------------------------------------------------------------
    LifeChange(
        person="Ana",
        attribute="city",
        old_value="Lisbon",
        new_value="Porto",
        sessions=(
            ChatSession(
                _on(2023, 2, 4),
                (
                    ("Ana", "Can you help me plan a picnic for Saturday? Nothing too heavy."),
                    (ASSISTANT, "Sure! Wraps, fruit in jars and cold lemonade travel well."),
                    (
                        "Ana",
                        "The park near my flat in Lisbon gets packed by noon, so we'll go early.",
                    ),
                    (ASSISTANT, "Early is smart. Bring a blanket with a waterproof side."),
                    ("Ana", "My cousin swears Madrid has better parks, but she's biased."),
                    (ASSISTANT, "Everyone's home park is the best park!"),
                ),
            ),
            ChatSession(
                _on(2023, 9, 18),
                (
                    ("Ana", "What do I need to register at the town hall here?"),
                    (ASSISTANT, "Usually ID, your lease and proof of address. Did you move?"),
                    ("Ana", "Yes! Three weeks in Porto now, still living out of boxes."),
                    (ASSISTANT, "Congratulations! Bring the lease, that's the one people forget."),
                ),
            ),
        ),
        current_question="Where does Ana live these days?",
        as_of_question="Which city was Ana living in?",
        as_of=_on(2023, 5, 1),
    ),
    LifeChange(
        person="Inés",
        attribute="city",
        old_value="Valencia",
        new_value="Seville",
        sessions=(
            ChatSession(
                _on(2022, 10, 2, 19),
                (
                    ("Marta", "Guess what, my sister Inés finally found a flat in Valencia."),
                    ("Joel", "About time! Is it near the beach?"),
                    ("Marta", "Ten minutes by bike. She's already planning paella Sundays."),
                    ("Joel", "I'm inviting myself. Also, are we still on for Bilbao in May?"),
                ),
            ),
            ChatSession(
                _on(2023, 3, 12, 20),
                (
                    ("Joel", "How's everyone? Bilbao tickets are booked, by the way."),
                    (
                        "Marta",
                        "Great! Oh, and Inés told me she left Valencia, she lives in Seville now.",
                    ),
                    ("Joel", "Why the move?"),
                    ("Marta", "A job at the university there. She says the heat is unreal."),
                ),
            ),
        ),
        current_question="Where does Inés live now?",
        as_of_question="Where did Inés live?",
        as_of=_on(2022, 12, 20),
        third_person=True,
        change_names_old=True,
    ),
    LifeChange(
        person="Kwame",
        attribute="city",
        old_value="Accra",
        new_value="Toronto",
        sessions=(
            ChatSession(
                _on(2023, 4, 10, 8),
                (
                    ("Kwame", "What's a good way to keep jollof rice from sticking?"),
                    (ASSISTANT, "Toast the rice in the oil first and don't stir too often."),
                    ("Kwame", "My mum in Kumasi would laugh at me for asking."),
                    (ASSISTANT, "Everyone asks at some point!"),
                    ("Kwame", "It's 33 degrees in Accra today, I'm cooking with the door open."),
                    (ASSISTANT, "Stay hydrated while you're at the stove."),
                ),
            ),
            ChatSession(
                _on(2023, 8, 2, 9),
                (
                    ("Kwame", "Should I learn French or Spanish first?"),
                    (ASSISTANT, "Whichever you'll practise most. Do you have a reason for either?"),
                    ("Kwame", "Not really, just curious. I might visit Montreal someday."),
                ),
            ),
            ChatSession(
                _on(2023, 12, 5, 18),
                (
                    ("Kwame", "My first winter in Toronto and I already regret my cheap boots."),
                    (ASSISTANT, "Insulated, waterproof boots are worth it there. Welcome!"),
                    ("Kwame", "The new job downtown is good though. The subway is packed."),
                    (ASSISTANT, "Go a bit earlier or later and it gets much calmer."),
                ),
            ),
        ),
        current_question="Which city does Kwame live in now?",
        as_of_question="Where was Kwame living?",
        as_of=_on(2023, 9, 1),
    ),
    LifeChange(
        person="Svetlana",
        attribute="city",
        old_value="Riga",
        new_value="Tallinn",
        sessions=(
            ChatSession(
                _on(2021, 11, 20),
                (
                    ("Svetlana", "How do I keep basil alive on a windowsill in winter?"),
                    (ASSISTANT, "Plenty of light, little water and no cold drafts."),
                    ("Svetlana", "Light is the problem, it's dark by four here in Riga."),
                    (ASSISTANT, "A small grow lamp helps a lot in northern winters."),
                ),
            ),
            ChatSession(
                _on(2022, 1, 15),
                (
                    ("Svetlana", "Riga's Christmas market was lovely this year."),
                    (ASSISTANT, "It's one of the prettiest! Did you try the gingerbread?"),
                    (
                        "Svetlana",
                        "Of course. My friend went to Vilnius for theirs, she was jealous.",
                    ),
                ),
            ),
            ChatSession(
                _on(2022, 6, 7),
                (
                    ("Svetlana", "Our apartment in Tallinn finally has internet!"),
                    (ASSISTANT, "Great, how's the new city treating you?"),
                    ("Svetlana", "The old town is gorgeous, and the ferry to Helsinki is so easy."),
                    (ASSISTANT, "A day trip to Helsinki is a classic."),
                ),
            ),
        ),
        current_question="What city is Svetlana based in at the moment?",
        as_of_question="Which city did Svetlana call home?",
        as_of=_on(2022, 3, 1),
    ),
    # -- employer -----------------------------------------------------------------------------
    LifeChange(
        person="Lars",
        attribute="employer",
        old_value="Maersk",
        new_value="Vestas",
        sessions=(
            ChatSession(
                _on(2022, 3, 3, 21),
                (
                    ("Lars", "Can you help me make these slides less boring?"),
                    (ASSISTANT, "Sure: one idea per slide, big numbers, fewer bullet points."),
                    ("Lars", "It's for the quarterly review at Maersk, my director hates clutter."),
                    (ASSISTANT, "Then lead with the result and keep details in the appendix."),
                ),
            ),
            ChatSession(
                _on(2022, 9, 12, 8),
                (
                    ("Lars", "How do Jira epics and stories relate?"),
                    (ASSISTANT, "An epic groups several stories that deliver one larger goal."),
                    ("Lars", "Everyone at Vestas uses it and I'm still lost in my second week."),
                    (ASSISTANT, "Two weeks in is early, it'll click. Congrats on the new job!"),
                    ("Lars", "Thanks. A friend at Novo Nordisk says their setup is even worse."),
                ),
            ),
        ),
        current_question="Who does Lars work for now?",
        as_of_question="Which company did Lars work at?",
        as_of=_on(2022, 6, 1),
    ),
    LifeChange(
        person="Priyanka",
        attribute="employer",
        old_value="Infosys",
        new_value="Flipkart",
        sessions=(
            ChatSession(
                _on(2023, 1, 9, 22),
                (
                    ("Priyanka", "Ugh, another late call with the client in Ohio."),
                    ("Meera", "Infosys really owns your evenings, huh."),
                    ("Priyanka", "Ten years at Infosys and the time zones still get me."),
                    ("Meera", "My brother just joined Wipro, he says the same thing."),
                ),
            ),
            ChatSession(
                _on(2023, 5, 28, 20),
                (
                    ("Priyanka", "Finally resigned! Last day at Infosys was Friday."),
                    ("Meera", "WHAT. Where are you going?"),
                    ("Priyanka", "I join Flipkart on Monday, product team, Bangalore office."),
                    ("Meera", "Party this weekend then!"),
                ),
            ),
            ChatSession(
                _on(2023, 7, 2, 21),
                (
                    ("Meera", "How's the new place?"),
                    ("Priyanka", "So much better. Flipkart's cafeteria alone was worth it."),
                ),
            ),
        ),
        current_question="Where does Priyanka work these days?",
        as_of_question="Who was Priyanka's employer?",
        as_of=_on(2023, 3, 15),
        change_names_old=True,
    ),
    LifeChange(
        person="Tom",
        attribute="employer",
        old_value="Oracle",
        new_value="Cisco",
        sessions=(
            ChatSession(
                _on(2022, 5, 14),
                (
                    ("Claire", "Any ideas for a 40th birthday present for my husband Tom?"),
                    (ASSISTANT, "What does he enjoy? Experiences often beat objects."),
                    ("Claire", "He loves cycling. He's been so stressed at Oracle lately."),
                    (ASSISTANT, "A weekend cycling trip could be a great break for him."),
                ),
            ),
            ChatSession(
                _on(2022, 11, 3),
                (
                    ("Claire", "Tom started at Cisco on Monday, he seems ten years younger."),
                    (ASSISTANT, "That's wonderful news for both of you!"),
                    ("Claire", "Now I need a quick weeknight pasta, he's home for dinner again."),
                    (ASSISTANT, "Garlic, chili, lemon and spaghetti: fifteen minutes."),
                ),
            ),
        ),
        current_question="What company is Tom working for now?",
        as_of_question="Who did Tom work for?",
        as_of=_on(2022, 8, 1),
        third_person=True,
    ),
    LifeChange(
        person="Yasmin",
        attribute="employer",
        old_value="the NHS",
        new_value="Bupa",
        sessions=(
            ChatSession(
                _on(2021, 7, 19, 23),
                (
                    ("Yasmin", "Night shift again. Any snacks that don't make me feel awful?"),
                    (ASSISTANT, "Nuts, yoghurt, fruit and soup are gentler than sugary snacks."),
                    ("Yasmin", "Twelve years with the NHS and I still haven't figured out nights."),
                    (ASSISTANT, "Nights are hard for everyone. Protect your sleep after."),
                ),
            ),
            ChatSession(
                _on(2022, 2, 8, 18),
                (
                    ("Yasmin", "Does anyone actually read cover letters?"),
                    (ASSISTANT, "Many recruiters do, especially for a career change."),
                ),
            ),
            ChatSession(
                _on(2022, 4, 20, 19),
                (
                    ("Yasmin", "I work for Bupa now, at their clinic in Leeds. Day shifts only!"),
                    (ASSISTANT, "Day shifts only, that must feel amazing."),
                    ("Yasmin", "I slept eight hours last night for the first time in years."),
                ),
            ),
        ),
        current_question="Who employs Yasmin at the moment?",
        as_of_question="Who was Yasmin working for?",
        as_of=_on(2021, 12, 1),
    ),
    # -- occupation ---------------------------------------------------------------------------
    LifeChange(
        person="Beatriz",
        attribute="occupation",
        old_value="bartender",
        new_value="sommelier",
        sessions=(
            ChatSession(
                _on(2022, 6, 10, 2),
                (
                    ("Beatriz", "Just got home from work, my feet are destroyed."),
                    (ASSISTANT, "Long shift? Try elevating your feet for a bit."),
                    ("Beatriz", "Friday nights as a bartender are brutal. Three hen parties."),
                    (ASSISTANT, "That sounds chaotic! Get some rest."),
                ),
            ),
            ChatSession(
                _on(2022, 10, 1, 15),
                (
                    ("Beatriz", "What's the difference between Rioja Crianza and Reserva?"),
                    (ASSISTANT, "Mainly ageing: Reserva spends longer in barrel and bottle."),
                    ("Beatriz", "Good, I have an exam on it next month."),
                ),
            ),
            ChatSession(
                _on(2023, 1, 14, 16),
                (
                    ("Beatriz", "I passed! The restaurant hired me as their sommelier."),
                    (ASSISTANT, "Congratulations, that's a big step!"),
                    (
                        "Beatriz",
                        "No more shaking cocktails until 2am, just wine lists and tastings.",
                    ),
                ),
            ),
        ),
        current_question="What does Beatriz do for work now?",
        as_of_question="What was Beatriz's job?",
        as_of=_on(2022, 8, 15),
    ),
    LifeChange(
        person="Jun",
        attribute="occupation",
        old_value="maths teacher",
        new_value="principal",
        sessions=(
            ChatSession(
                _on(2022, 2, 21, 19),
                (
                    ("Jun", "How do I politely answer a parent who emails me every day?"),
                    (ASSISTANT, "Thank them, set one weekly update and keep replies short."),
                    ("Jun", "As a maths teacher I get more emails about grades than anyone."),
                    (ASSISTANT, "Grades attract emails. A clear grading policy page can help."),
                ),
            ),
            ChatSession(
                _on(2022, 9, 7, 20),
                (
                    ("Jun", "Day three as principal and I already miss the classroom."),
                    (ASSISTANT, "Congratulations on the promotion! It's a big shift."),
                    ("Jun", "My old colleague Mr Park runs the chess club now, at least."),
                ),
            ),
        ),
        current_question="What is Jun's job these days?",
        as_of_question="What did Jun do for a living?",
        as_of=_on(2022, 6, 1),
    ),
    LifeChange(
        person="Felipe",
        attribute="occupation",
        old_value="taxi driver",
        new_value="driving instructor",
        sessions=(
            ChatSession(
                _on(2023, 3, 3, 7),
                (
                    ("Felipe", "Which podcasts are good for long drives?"),
                    (ASSISTANT, "History and storytelling podcasts work well on the road."),
                    ("Felipe", "I'm a taxi driver, so I need about ten hours of them a day."),
                    (ASSISTANT, "Then a few long series will keep you going for weeks."),
                ),
            ),
            ChatSession(
                _on(2023, 10, 9, 18),
                (
                    ("Felipe", "Switched careers: I'm a driving instructor now."),
                    (ASSISTANT, "Congratulations! How are the first lessons going?"),
                    ("Felipe", "One student stalled six times at the same roundabout."),
                    (ASSISTANT, "Everyone has that roundabout. Patience pays off."),
                ),
            ),
        ),
        current_question="What does Felipe do for a living now?",
        as_of_question="What was Felipe's occupation?",
        as_of=_on(2023, 6, 1),
    ),
    # -- school -------------------------------------------------------------------------------
    LifeChange(
        person="Dana",
        attribute="school",
        old_value="Bergen Community College",
        new_value="Rutgers",
        sessions=(
            ChatSession(
                _on(2022, 10, 11, 21),
                (
                    ("Dana", "Tips for studying after work? I'm always tired."),
                    (ASSISTANT, "Short focused blocks, and review on the weekend."),
                    ("Dana", "Night classes at Bergen Community College start at seven."),
                    (ASSISTANT, "That's a long day. Eat something before class."),
                ),
            ),
            ChatSession(
                _on(2023, 4, 2, 12),
                (
                    ("Dana", "My friend says Princeton's library is open to visitors, true?"),
                    (ASSISTANT, "Some areas are, but check their visitor policy first."),
                ),
            ),
            ChatSession(
                _on(2023, 9, 6, 17),
                (
                    ("Dana", "Orientation done, I'm officially a transfer student at Rutgers!"),
                    (ASSISTANT, "Congratulations! How was the first day?"),
                    ("Dana", "The campus bus system is confusing but everyone's friendly."),
                ),
            ),
        ),
        current_question="Which school is Dana attending now?",
        as_of_question="Where was Dana studying?",
        as_of=_on(2023, 1, 15),
    ),
    LifeChange(
        person="Leo",
        attribute="school",
        old_value="Lincoln Elementary",
        new_value="Riverside Academy",
        sessions=(
            ChatSession(
                _on(2023, 1, 16),
                (
                    ("Gemma", "My son Leo has a science fair at Lincoln Elementary next week."),
                    (ASSISTANT, "Fun! Does he have a project idea?"),
                    ("Gemma", "Something with plants and music. He's eight, so expect glitter."),
                    (ASSISTANT, "Plants and music is a classic, and glitter is mandatory."),
                ),
            ),
            ChatSession(
                _on(2023, 9, 12),
                (
                    ("Gemma", "Leo started at Riverside Academy this week."),
                    (ASSISTANT, "How is he settling in at the new school?"),
                    ("Gemma", "He already has a best friend, a boy called Arjun."),
                    (ASSISTANT, "That's the best sign."),
                ),
            ),
        ),
        current_question="What school does Leo go to now?",
        as_of_question="Which school did Leo attend?",
        as_of=_on(2023, 5, 1),
        third_person=True,
    ),
    # -- partner ------------------------------------------------------------------------------
    LifeChange(
        person="Camille",
        attribute="partner",
        old_value="Julien",
        new_value="Thomas",
        sessions=(
            ChatSession(
                _on(2022, 4, 2, 20),
                (
                    ("Camille", "Julien booked us a weekend in Annecy for our anniversary!"),
                    ("Léa", "Aww, how long have you two been together now?"),
                    ("Camille", "Four years. He even found a hotel that allows the dog."),
                    ("Léa", "Keep him. My date with Antoine was a disaster, by the way."),
                ),
            ),
            ChatSession(
                _on(2022, 10, 20, 21),
                (
                    ("Léa", "Are you okay? I haven't heard from you in ages."),
                    ("Camille", "Julien and I broke up in August. It was mutual, mostly."),
                    ("Léa", "Oh no, I'm so sorry."),
                ),
            ),
            ChatSession(
                _on(2023, 2, 14, 19),
                (
                    ("Camille", "Thomas surprised me with breakfast in bed this morning."),
                    ("Léa", "Thomas? Tell me everything!"),
                    ("Camille", "We met at the climbing wall in November. We're together now."),
                ),
            ),
        ),
        current_question="Who is Camille seeing these days?",
        as_of_question="Who was Camille's partner?",
        as_of=_on(2022, 6, 1),
    ),
    LifeChange(
        person="Marcus",
        attribute="partner",
        old_value="Jess",
        new_value="Danielle",
        sessions=(
            ChatSession(
                _on(2021, 9, 4),
                (
                    ("Marcus", "Jess and I are doing a pottery class on Thursdays."),
                    (ASSISTANT, "That sounds like a lovely date night!"),
                    ("Marcus", "My bowl looks like a hat. Jess's looks like a bowl."),
                    (ASSISTANT, "Hats are underrated. It gets easier."),
                ),
            ),
            ChatSession(
                _on(2022, 5, 21),
                (
                    ("Marcus", "How do I tie a Windsor knot?"),
                    (ASSISTANT, "Wide end over, up through the loop, around, and through again."),
                    ("Marcus", "Danielle's coming to my cousin's wedding as my plus-one."),
                    (ASSISTANT, "Meeting the family at a wedding, big step!"),
                    ("Marcus", "We've been together since January, she'll be fine."),
                ),
            ),
        ),
        current_question="Who is Marcus's girlfriend now?",
        as_of_question="Who was Marcus dating?",
        as_of=_on(2021, 12, 1),
    ),
    # -- pet ----------------------------------------------------------------------------------
    LifeChange(
        person="Sigrid",
        attribute="pet",
        old_value="Nibbles",
        new_value="Otto",
        sessions=(
            ChatSession(
                _on(2022, 1, 8),
                (
                    ("Sigrid", "What vegetables are safe for hamsters?"),
                    (ASSISTANT, "Small amounts of carrot, cucumber and broccoli are fine."),
                    ("Sigrid", "Nibbles stuffs everything in his cheeks and hides it anyway."),
                    (ASSISTANT, "Classic hamster behaviour!"),
                ),
            ),
            ChatSession(
                _on(2022, 8, 30),
                (
                    ("Sigrid", "How often should a puppy go out at night?"),
                    (ASSISTANT, "Every three to four hours at first, then less as he grows."),
                    ("Sigrid", "Otto woke us twice. He's a dachshund, all ears and opinions."),
                    ("Sigrid", "My neighbour's dog Baxter already barks at him."),
                ),
            ),
        ),
        current_question="What is Sigrid's pet called now?",
        as_of_question="What was the name of Sigrid's pet?",
        as_of=_on(2022, 5, 1),
    ),
    LifeChange(
        person="Tariq",
        attribute="pet",
        old_value="Saffron",
        new_value="Dusty",
        sessions=(
            ChatSession(
                _on(2020, 11, 2),
                (
                    ("Tariq", "My cat Saffron refuses the new food. Any tricks?"),
                    (ASSISTANT, "Mix it gradually with the old food over a week."),
                    ("Tariq", "She's twelve and very set in her ways."),
                ),
            ),
            ChatSession(
                _on(2021, 6, 15),
                (
                    ("Tariq", "Saffron died last month. The flat is so quiet."),
                    (ASSISTANT, "I'm so sorry. Twelve years is a long friendship."),
                ),
            ),
            ChatSession(
                _on(2021, 10, 3),
                (
                    ("Tariq", "We adopted a grey rescue cat, Dusty. He hides under the sofa."),
                    (ASSISTANT, "Give him time and a quiet corner, he'll come out."),
                    ("Tariq", "My sister's cat Miso took a month, so I'm patient."),
                ),
            ),
        ),
        current_question="What's the name of Tariq's cat now?",
        as_of_question="What was Tariq's cat called?",
        as_of=_on(2021, 2, 1),
    ),
    LifeChange(
        person="Ayesha",
        attribute="pet",
        old_value="Kiwi",
        new_value="Bao",
        sessions=(
            ChatSession(
                _on(2023, 2, 2),
                (
                    ("Ayesha", "Kiwi learned to whistle the ringtone of my phone."),
                    (ASSISTANT, "Parrots are brilliant mimics! Does it fool you?"),
                    ("Ayesha", "Every single time. He's a menace."),
                ),
            ),
            ChatSession(
                _on(2023, 7, 22),
                (
                    ("Ayesha", "Kiwi went to my uncle's aviary, he has room to fly there."),
                    (ASSISTANT, "That sounds like a great home for him."),
                    ("Ayesha", "And we have a rabbit now, Bao. She's chewed two cables already."),
                    (ASSISTANT, "Cable protectors are a must with rabbits."),
                ),
            ),
        ),
        current_question="What pet does Ayesha have now?",
        as_of_question="What was Ayesha's pet called?",
        as_of=_on(2023, 5, 1),
        change_names_old=True,
    ),
    # -- favourites ---------------------------------------------------------------------------
    LifeChange(
        person="Lucy",
        attribute="favorite:color",
        old_value="green",
        new_value="yellow",
        sessions=(
            ChatSession(
                _on(2022, 3, 17),
                (
                    ("Lucy", "Which paint finish is best for a kitchen?"),
                    (ASSISTANT, "Satin or semi-gloss, they wipe clean easily."),
                    ("Lucy", "I want green, obviously. It's been my colour since I was five."),
                    (ASSISTANT, "Sage green kitchens are lovely."),
                ),
            ),
            ChatSession(
                _on(2023, 1, 9),
                (
                    ("Lucy", "Weird thing: I've gone off green completely."),
                    (ASSISTANT, "Tastes change! Anything replacing it?"),
                    (
                        "Lucy",
                        "Yellow. Everything I've bought this winter is yellow, it's my favourite now.",
                    ),
                    ("Lucy", "My friend Bea says I look like a lemon, which is fine."),
                ),
            ),
        ),
        current_question="What is Lucy's favourite colour these days?",
        as_of_question="What was Lucy's favourite colour?",
        as_of=_on(2022, 8, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Hamid",
        attribute="favorite:color",
        old_value="navy",
        new_value="orange",
        sessions=(
            ChatSession(
                _on(2021, 5, 5),
                (
                    ("Hamid", "Help me pick a suit colour for a summer wedding."),
                    (ASSISTANT, "Light grey or a soft blue work well in summer."),
                    ("Hamid", "I'll probably go navy anyway, it's my favourite colour."),
                    (ASSISTANT, "Navy is always safe."),
                ),
            ),
            ChatSession(
                _on(2021, 11, 28),
                (
                    ("Hamid", "Since that trip to Marrakesh I'm obsessed with burnt orange."),
                    (ASSISTANT, "It's a warm, beautiful colour."),
                    ("Hamid", "I painted my study orange. Favourite colour, no question."),
                ),
            ),
        ),
        current_question="Which colour does Hamid like best now?",
        as_of_question="What was Hamid's favourite colour?",
        as_of=_on(2021, 8, 1),
    ),
    LifeChange(
        person="Noah",
        attribute="favorite:food",
        old_value="lasagne",
        new_value="bibimbap",
        sessions=(
            ChatSession(
                _on(2022, 7, 1),
                (
                    ("Noah", "Is it okay to freeze lasagne before baking it?"),
                    (ASSISTANT, "Yes, wrap it well and bake from frozen with extra time."),
                    ("Noah", "Good, because lasagne is my favourite food and I make huge trays."),
                ),
            ),
            ChatSession(
                _on(2023, 2, 11),
                (
                    ("Noah", "Where do I buy gochujang?"),
                    (ASSISTANT, "Asian supermarkets, and many big supermarkets now."),
                    (
                        "Noah",
                        "I'm hooked on bibimbap since the trip to Seoul, it's my favourite food now.",
                    ),
                    ("Noah", "My flatmate still swears by his mum's curry though."),
                ),
            ),
        ),
        current_question="What's Noah's favourite food now?",
        as_of_question="What was Noah's favourite food?",
        as_of=_on(2022, 11, 1),
    ),
    LifeChange(
        person="Mei",
        attribute="favorite:food",
        old_value="dim sum",
        new_value="tacos",
        sessions=(
            ChatSession(
                _on(2023, 3, 5),
                (
                    ("Mei", "Sunday dim sum with my grandparents, my favourite meal of the week."),
                    ("Oscar", "Save me a char siu bao!"),
                    ("Mei", "No promises. Did you end up going to that ramen place?"),
                    ("Oscar", "Yes, it was too salty."),
                ),
            ),
            ChatSession(
                _on(2023, 9, 10),
                (
                    ("Oscar", "Dinner Friday? I'm thinking pizza."),
                    ("Mei", "Only if it's the taco truck. Tacos are my favourite food now, sorry."),
                    ("Oscar", "Since when?"),
                    ("Mei", "Since the trip to Oaxaca. I'm a changed woman."),
                ),
            ),
        ),
        current_question="What food does Mei love most these days?",
        as_of_question="What was Mei's favourite food?",
        as_of=_on(2023, 6, 1),
    ),
    LifeChange(
        person="Rowan",
        attribute="favorite:band",
        old_value="Nirvana",
        new_value="Idles",
        sessions=(
            ChatSession(
                _on(2021, 2, 14),
                (
                    ("Rowan", "Recommend me a drum practice routine?"),
                    (ASSISTANT, "Warm up with singles and doubles, then play along to songs."),
                    ("Rowan", "I only ever play along to Nirvana, they're my favourite band."),
                    (ASSISTANT, "Dave Grohl's parts are great practice."),
                ),
            ),
            ChatSession(
                _on(2021, 10, 30),
                (
                    ("Rowan", "Saw Idles live last night and I've got a new favourite band."),
                    (ASSISTANT, "Their shows are famously intense!"),
                    ("Rowan", "My ears are still ringing. My brother preferred the Foals set."),
                ),
            ),
        ),
        current_question="What's Rowan's favourite band now?",
        as_of_question="Which band did Rowan like best?",
        as_of=_on(2021, 6, 1),
    ),
    LifeChange(
        person="Elsa",
        attribute="favorite:band",
        old_value="Fleet Foxes",
        new_value="Big Thief",
        sessions=(
            ChatSession(
                _on(2022, 4, 9),
                (
                    ("Elsa", "Make me a rainy-day playlist?"),
                    (ASSISTANT, "Sure, something folky and calm?"),
                    ("Elsa", "Yes, and start with Fleet Foxes, my favourite band forever."),
                    (ASSISTANT, "Great choice for rain."),
                ),
            ),
            ChatSession(
                _on(2022, 12, 3),
                (
                    (
                        "Elsa",
                        "My favourite band these days is Big Thief, I've had their album on repeat.",
                    ),
                    (ASSISTANT, "They're wonderful live too."),
                    ("Elsa", "My dad only listens to Dire Straits, he doesn't get it."),
                ),
            ),
        ),
        current_question="Which band is Elsa's favourite at the moment?",
        as_of_question="What was Elsa's favourite band?",
        as_of=_on(2022, 8, 1),
    ),
    LifeChange(
        person="Kofi",
        attribute="favorite:movie",
        old_value="Jurassic Park",
        new_value="Past Lives",
        sessions=(
            ChatSession(
                _on(2023, 1, 20),
                (
                    ("Kofi", "Movie night ideas for my nephews?"),
                    (ASSISTANT, "Paddington 2 and The Incredibles are safe bets."),
                    ("Kofi", "I'll sneak in Jurassic Park. Still my favourite movie ever."),
                ),
            ),
            ChatSession(
                _on(2023, 8, 19),
                (
                    ("Kofi", "I watched Past Lives on the plane and cried at 30,000 feet."),
                    (ASSISTANT, "It's a very moving film."),
                    ("Kofi", "It's my favourite film now, honestly. Dinosaurs, forgive me."),
                ),
            ),
        ),
        current_question="What is Kofi's favourite movie now?",
        as_of_question="What was Kofi's favourite film?",
        as_of=_on(2023, 5, 1),
    ),
    LifeChange(
        person="Yuki",
        attribute="favorite:movie",
        old_value="Totoro",
        new_value="Perfect Days",
        sessions=(
            ChatSession(
                _on(2022, 6, 6),
                (
                    ("Yuki", "Totoro is my favourite movie, I watch it every birthday."),
                    ("Hiroshi", "Every birthday? Even the thirtieth?"),
                    ("Yuki", "Especially the thirtieth. Are you coming to the barbecue?"),
                    ("Hiroshi", "Yes, I'll bring the yakitori."),
                ),
            ),
            ChatSession(
                _on(2024, 2, 2),
                (
                    ("Hiroshi", "Seen anything good lately?"),
                    ("Yuki", "Perfect Days. It's my new favourite, sorry Totoro."),
                    ("Hiroshi", "The toilet cleaner one? I heard it's slow."),
                    ("Yuki", "It's meant to be slow. Watch it."),
                ),
            ),
        ),
        current_question="What film does Yuki love most these days?",
        as_of_question="What was Yuki's favourite movie?",
        as_of=_on(2023, 3, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Aurelio",
        attribute="favorite:book",
        old_value="The Name of the Rose",
        new_value="Piranesi",
        sessions=(
            ChatSession(
                _on(2021, 3, 3),
                (
                    ("Aurelio", "Recommend a medieval mystery like The Name of the Rose?"),
                    (ASSISTANT, "Try the Cadfael series or The Pillars of the Earth."),
                    ("Aurelio", "Nothing beats The Name of the Rose though, my favourite book."),
                ),
            ),
            ChatSession(
                _on(2021, 12, 12),
                (
                    ("Aurelio", "Just finished Piranesi. It's my favourite book now."),
                    (ASSISTANT, "It's a beautiful, strange book."),
                    ("Aurelio", "My book club is doing Middlemarch next, pray for me."),
                ),
            ),
        ),
        current_question="What's Aurelio's favourite book now?",
        as_of_question="Which book did Aurelio like best?",
        as_of=_on(2021, 7, 1),
    ),
    LifeChange(
        person="Saoirse",
        attribute="favorite:book",
        old_value="Little Women",
        new_value="Small Things Like These",
        sessions=(
            ChatSession(
                _on(2022, 9, 1),
                (
                    ("Saoirse", "I reread Little Women every autumn, it's my favourite book."),
                    (ASSISTANT, "A perfect autumn read."),
                    ("Saoirse", "My niece prefers Harry Potter, of course."),
                ),
            ),
            ChatSession(
                _on(2023, 12, 18),
                (
                    ("Saoirse", "What's a good book to give my dad for Christmas?"),
                    (ASSISTANT, "Does he like short novels?"),
                    (
                        "Saoirse",
                        "He'll get Small Things Like These, it's become my favourite book.",
                    ),
                ),
            ),
        ),
        current_question="What is Saoirse's favourite book these days?",
        as_of_question="What was Saoirse's favourite book?",
        as_of=_on(2023, 3, 1),
    ),
    LifeChange(
        person="Dev",
        attribute="favorite:sport",
        old_value="cricket",
        new_value="pickleball",
        sessions=(
            ChatSession(
                _on(2022, 5, 29),
                (
                    ("Dev", "Best way to clean cricket whites?"),
                    (ASSISTANT, "Soak in cold water with an enzyme detergent before washing."),
                    ("Dev", "Cricket is my favourite sport but the grass stains are not."),
                ),
            ),
            ChatSession(
                _on(2023, 4, 16),
                (
                    ("Dev", "My knees gave up on fielding. Pickleball is my favourite sport now."),
                    (ASSISTANT, "It's much kinder on the knees!"),
                    ("Dev", "My neighbour Gary plays tennis and keeps mocking me."),
                ),
            ),
        ),
        current_question="Which sport does Dev like best now?",
        as_of_question="What was Dev's favourite sport?",
        as_of=_on(2022, 11, 1),
    ),
    LifeChange(
        person="Nina",
        attribute="favorite:sport",
        old_value="volleyball",
        new_value="bouldering",
        sessions=(
            ChatSession(
                _on(2021, 7, 24),
                (
                    ("Nina", "Beach volleyball all afternoon, sunburnt and happy."),
                    ("Pia", "You and your volleyball. Favourite sport forever?"),
                    ("Nina", "Forever. Are we still doing the Hamburg trip in August?"),
                    ("Pia", "Yes, I booked the train."),
                ),
            ),
            ChatSession(
                _on(2022, 3, 6),
                (
                    ("Pia", "Beach season soon, you must be excited."),
                    ("Nina", "Honestly I'd rather go bouldering, it's my favourite sport now."),
                    ("Pia", "Since when do you climb?"),
                    ("Nina", "Since November. My forearms are twice the size."),
                ),
            ),
        ),
        current_question="What sport does Nina enjoy most these days?",
        as_of_question="Which sport was Nina's favourite?",
        as_of=_on(2021, 11, 1),
    ),
    # -- age ----------------------------------------------------------------------------------
    LifeChange(
        person="Oliver",
        attribute="age",
        old_value="29",
        new_value="30",
        sessions=(
            ChatSession(
                _on(2022, 1, 30),
                (
                    ("Oliver", "How do I file a tax return myself?"),
                    (ASSISTANT, "Gather your income statements and use the online portal."),
                    ("Oliver", "I'm 29 and my mum still does it for me, so this is a first."),
                    (ASSISTANT, "Better late than never!"),
                ),
            ),
            ChatSession(
                _on(2022, 10, 11),
                (
                    ("Oliver", "Turned 30 on Tuesday and my back immediately started hurting."),
                    (ASSISTANT, "Happy birthday! Time for some stretching."),
                    ("Oliver", "My sister is 34 and says it only gets worse."),
                ),
            ),
        ),
        current_question="How old is Oliver now?",
        as_of_question="How old was Oliver?",
        as_of=_on(2022, 6, 1),
    ),
    LifeChange(
        person="Rosa",
        attribute="age",
        old_value="89",
        new_value="90",
        sessions=(
            ChatSession(
                _on(2023, 2, 12),
                (
                    ("Lucas", "My grandma Rosa is 89 and still beats me at cards."),
                    (ASSISTANT, "Impressive! What game?"),
                    ("Lucas", "Sueca. She learned it in a village near Braga."),
                ),
            ),
            ChatSession(
                _on(2023, 8, 27),
                (
                    ("Lucas", "Grandma Rosa turned 90 yesterday, the whole village came."),
                    (ASSISTANT, "Ninety! What a celebration."),
                    ("Lucas", "She danced more than I did. My uncle is 61 and gave up first."),
                ),
            ),
        ),
        current_question="How old is Rosa these days?",
        as_of_question="What age was Rosa?",
        as_of=_on(2023, 5, 1),
        third_person=True,
    ),
    # -- name ---------------------------------------------------------------------------------
    LifeChange(
        person="Maren",
        attribute="name",
        old_value="Olsen",
        new_value="Berg",
        sessions=(
            ChatSession(
                _on(2022, 2, 15),
                (
                    (
                        "Maren",
                        "Can you check this cover letter? It ends with 'Kind regards, Maren Olsen'.",
                    ),
                    (ASSISTANT, "It reads well. Maybe shorten the second paragraph."),
                    ("Maren", "Thanks. The hiring manager is a Mr Dahl, formal enough?"),
                ),
            ),
            ChatSession(
                _on(2022, 9, 4),
                (
                    (
                        "Maren",
                        "Help me update my email signature: it's Maren Berg since the wedding.",
                    ),
                    (ASSISTANT, "Congratulations! Here's a clean signature with the new name."),
                    ("Maren", "My passport still says the old one, that's next."),
                ),
            ),
        ),
        current_question="What is Maren's surname now?",
        as_of_question="What was Maren's last name?",
        as_of=_on(2022, 6, 1),
    ),
    LifeChange(
        person="Dimitra",
        attribute="name",
        old_value="Papadopoulou",
        new_value="Lang",
        sessions=(
            ChatSession(
                _on(2020, 10, 10),
                (
                    ("Dimitra", "Nobody in Vienna can spell Papadopoulou, I spell it every call."),
                    (ASSISTANT, "Long surnames do get a workout on the phone!"),
                    ("Dimitra", "My colleague Ms Novak just says 'the Greek one'."),
                ),
            ),
            ChatSession(
                _on(2021, 6, 19),
                (
                    ("Dimitra", "Good news for the phone calls: I took my husband's name."),
                    (ASSISTANT, "Congratulations on the wedding!"),
                    ("Dimitra", "It's Lang now. Four letters. Bliss."),
                ),
            ),
        ),
        current_question="What is Dimitra's family name now?",
        as_of_question="What was Dimitra's surname?",
        as_of=_on(2021, 2, 1),
    ),
    LifeChange(
        person="Sarah",
        attribute="name",
        old_value="Whitfield",
        new_value="Kim",
        sessions=(
            ChatSession(
                _on(2023, 3, 1),
                (
                    ("Owen", "Who should I cc on the budget email?"),
                    (ASSISTANT, "Whoever owns the budget and your manager."),
                    ("Owen", "That's Sarah Whitfield in finance, she's great."),
                ),
            ),
            ChatSession(
                _on(2023, 10, 2),
                (
                    ("Owen", "Sarah from finance got married, her email changed."),
                    (ASSISTANT, "Good to update your contacts then."),
                    ("Owen", "Yes, she's Sarah Kim now, and I keep typing the old address."),
                ),
            ),
        ),
        current_question="What is Sarah's last name now?",
        as_of_question="What surname did Sarah use?",
        as_of=_on(2023, 6, 1),
        third_person=True,
    ),
]
