"""Forty life-change stories written blind to the extractor (data only, no tests here).

A second check beside :mod:`stories`: these transcripts were written without looking at the
extraction rules or at the stories in ``stories.py``, so their phrasings are ones the extractor
never saw while it was being built (indirect statements, slang, a value named as a place or an
object, a change told through the assistant's question and a short answer, negations, plans next
to facts, the old value mentioned again in passing). They follow the same rules as ``stories.py``:
values appear verbatim (whole words) in the messages; no question contains either value; ``as_of``
lies strictly between the date of the session that first states the old value and the date of
the session that states the change; sessions are in date order; in a ``third_person`` story the
person never speaks.
"""

from __future__ import annotations

from datetime import UTC, datetime

from stories import ASSISTANT, ChatSession, LifeChange


def _on(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


BLIND_LIFE_CHANGES: list[LifeChange] = [
    # ------------------------------------------------------------------ city (7)
    LifeChange(
        person="Priya",
        attribute="city",
        old_value="Leiden",
        new_value="Rotterdam",
        sessions=(
            ChatSession(
                _on(2023, 3, 4),
                (
                    ("Priya", "Morning! Trying to plan a weekend trip, maybe Antwerp or Bruges."),
                    (ASSISTANT, "Both are lovely. How far are they from you?"),
                    (
                        "Priya",
                        "Antwerp is about two hours by train from Leiden, so that's doable "
                        "from my front door. Bruges is more of a trek.",
                    ),
                    (ASSISTANT, "Then Antwerp makes an easy day trip. Want some ideas?"),
                    ("Priya", "Yes please, mostly food and bookshops."),
                    (ASSISTANT, "Try the Zuid district for cafés and De Slegte for used books."),
                ),
            ),
            ChatSession(
                _on(2023, 6, 10, 18),
                (
                    ("Priya", "Quick one, how long do I roast carrots for?"),
                    (ASSISTANT, "About 25 to 30 minutes at 200°C, turning them once."),
                    ("Priya", "Perfect. My friend Joost is coming over from Utrecht for dinner."),
                    (ASSISTANT, "Sounds fun. A bit of honey and cumin on the carrots works well."),
                ),
            ),
            ChatSession(
                _on(2023, 9, 18),
                (
                    (
                        "Priya",
                        "Finally signed the lease on a flat near the Maas in Rotterdam, "
                        "boxes everywhere.",
                    ),
                    (ASSISTANT, "Congratulations! How does it feel?"),
                    (
                        "Priya",
                        "Strange. I keep missing the canals in Leiden, but the new place has "
                        "a balcony with a view of the bridge.",
                    ),
                    (ASSISTANT, "Balconies are great. Need a plan for the unpacking?"),
                    ("Priya", "Maybe later, my sister is visiting from Delft this weekend."),
                ),
            ),
        ),
        current_question="Which city is Priya based in these days?",
        as_of_question="Which city was Priya based in?",
        as_of=_on(2023, 5, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Jonas",
        attribute="city",
        old_value="Graz",
        new_value="Innsbruck",
        sessions=(
            ChatSession(
                _on(2022, 4, 12),
                (
                    (
                        "Felix",
                        "My brother Jonas has a birthday coming up and I'm out of ideas. "
                        "He's really into climbing.",
                    ),
                    (
                        ASSISTANT,
                        "A chalk bag or a local guidebook could work. Where does he climb?",
                    ),
                    (
                        "Felix",
                        "Mostly the crags around Graz, that's where he's had his flat for "
                        "years now.",
                    ),
                    (ASSISTANT, "Then a guidebook for the Styrian crags might be perfect."),
                    ("Felix", "Good call. I'm up in Linz myself so I'll just order it online."),
                ),
            ),
            ChatSession(
                _on(2022, 11, 2),
                (
                    (
                        "Felix",
                        "Update on Jonas: he packed up the van and took the job at the ski "
                        "school, so he's an Innsbruck guy now.",
                    ),
                    (ASSISTANT, "That's a big move! Is he settling in?"),
                    (
                        "Felix",
                        "He says the mountains start right outside his window. He already "
                        "wants to drag me to Salzburg on the way back from visiting.",
                    ),
                    (ASSISTANT, "Sounds like a good excuse for a road trip."),
                    ("Felix", "Yeah, I'll head over at Christmas."),
                ),
            ),
        ),
        current_question="Where is Jonas living now?",
        as_of_question="Where was Jonas living?",
        as_of=_on(2022, 7, 1),
        third_person=True,
    ),
    LifeChange(
        person="Amara",
        attribute="city",
        old_value="Manchester",
        new_value="Glasgow",
        sessions=(
            ChatSession(
                _on(2024, 1, 8, 8),
                (
                    (
                        "Amara",
                        "Any tips for staying motivated on grey mornings? Manchester in "
                        "January is brutal.",
                    ),
                    (ASSISTANT, "Morning light helps a lot. Are you out there all winter?"),
                    ("Amara", "Born and raised, still in Manchester, tiny flat in Ancoats."),
                    (ASSISTANT, "Then a daylight lamp by the kettle could be worth it."),
                    ("Amara", "My cousin in Leeds swears by those, I'll get one."),
                ),
            ),
            ChatSession(
                _on(2024, 3, 15, 19),
                (
                    (
                        "Amara",
                        "Had a video interview today for a planning job in Glasgow, I think "
                        "it went well!",
                    ),
                    (ASSISTANT, "Fingers crossed! When will you hear back?"),
                    ("Amara", "Within a fortnight. It'd be a big change, my whole family's here."),
                    (ASSISTANT, "Whatever happens, well done for going for it."),
                    (
                        "Amara",
                        "Thanks! Off to a mate's in Sheffield this weekend to take my mind off it.",
                    ),
                ),
            ),
            ChatSession(
                _on(2024, 6, 20),
                (
                    (
                        "Amara",
                        "Hiya, I need a cheap batch-cook recipe, I'm still living out of boxes.",
                    ),
                    (ASSISTANT, "Sounds like a move! Did you end up taking the Glasgow job?"),
                    ("Amara", "Yep, three weeks in. The flat's in the West End, tiny but mine."),
                    (ASSISTANT, "Congratulations! A lentil ragù freezes really well."),
                    ("Amara", "Perfect, I'll make a big pot tonight."),
                ),
            ),
        ),
        current_question="What city does Amara call home at the moment?",
        as_of_question="What city did Amara call home?",
        as_of=_on(2024, 2, 10),
    ),
    LifeChange(
        person="Kenji",
        attribute="city",
        old_value="Osaka",
        new_value="Sapporo",
        sessions=(
            ChatSession(
                _on(2022, 8, 3),
                (
                    (
                        "Kenji",
                        "Can you recommend a rice cooker? Mine finally died in this Osaka "
                        "humidity, my apartment is a sauna.",
                    ),
                    (ASSISTANT, "Zojirushi and Tiger both make reliable ones. Budget?"),
                    ("Kenji", "Under 20,000 yen. My friend in Kobe has a Tiger and loves it."),
                    (ASSISTANT, "The basic Tiger models fit that budget nicely."),
                ),
            ),
            ChatSession(
                _on(2023, 2, 14, 7),
                (
                    ("Kenji", "Random question, how do you stop pipes from freezing?"),
                    (
                        ASSISTANT,
                        "Insulate exposed pipes and keep a trickle running overnight. "
                        "Cold snap where you are?",
                    ),
                    (
                        "Kenji",
                        "I'm not in Osaka anymore, moved up to Sapporo in December for work. "
                        "Minus twelve this morning.",
                    ),
                    (ASSISTANT, "That's quite a climate change! Stay warm."),
                    (
                        "Kenji",
                        "The snow festival is next week so it's not all bad. A colleague from "
                        "Sendai is coming up for it.",
                    ),
                ),
            ),
        ),
        current_question="Which city is Kenji living in currently?",
        as_of_question="Which city was Kenji living in?",
        as_of=_on(2022, 10, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Sofia",
        attribute="city",
        old_value="Porto",
        new_value="Lisbon",
        sessions=(
            ChatSession(
                _on(2023, 5, 20),
                (
                    (
                        "Diogo",
                        "I want to surprise my mum Sofia for her 60th. She's in Porto and I'm "
                        "working in Madrid.",
                    ),
                    (ASSISTANT, "Lovely idea. Flying in for a dinner could be the surprise."),
                    (
                        "Diogo",
                        "Yes, there's a restaurant on the Ribeira she loves, ten minutes from "
                        "her house in Porto.",
                    ),
                    (ASSISTANT, "Book a table by the window and get her there on a pretext."),
                    ("Diogo", "Perfect, I'll ask my aunt to help with the pretext."),
                ),
            ),
            ChatSession(
                _on(2023, 8, 9),
                (
                    ("Diogo", "The surprise went great, by the way!"),
                    (ASSISTANT, "So glad to hear it!"),
                    (
                        "Diogo",
                        "She's also thinking of selling the house, it's too big for her alone.",
                    ),
                    (ASSISTANT, "That can be a big decision. Does she have somewhere in mind?"),
                    ("Diogo", "Not yet. My aunt in Braga keeps telling her to move closer."),
                ),
            ),
            ChatSession(
                _on(2024, 1, 30),
                (
                    (
                        "Diogo",
                        "Mum finally did it: sold the house and bought a little flat in "
                        "Alfama. Lisbon suits her.",
                    ),
                    (ASSISTANT, "What a change! Is she nearer to you now?"),
                    (
                        "Diogo",
                        "Closer, at least, it's a short flight from Madrid. She says she "
                        "doesn't miss the Porto winters one bit.",
                    ),
                    (ASSISTANT, "The light there is wonderful in winter."),
                    ("Diogo", "I'm visiting her in March."),
                ),
            ),
        ),
        current_question="Where does Sofia live these days?",
        as_of_question="Where did Sofia live?",
        as_of=_on(2023, 10, 1),
        third_person=True,
        change_names_old=True,
    ),
    LifeChange(
        person="Malik",
        attribute="city",
        old_value="Denver",
        new_value="Austin",
        sessions=(
            ChatSession(
                _on(2024, 2, 2),
                (
                    (
                        "Malik",
                        "yo what's a good beginner ski run near me, I'm out in Denver and "
                        "everyone says I gotta try",
                    ),
                    (ASSISTANT, "Winter Park and Keystone both have gentle green runs."),
                    ("Malik", "bet. my roommate's from Boulder so he can drive us up"),
                    (ASSISTANT, "Nice. Rent gear at the base the first time."),
                ),
            ),
            ChatSession(
                _on(2024, 9, 14),
                (
                    ("Malik", "ok so no more snow for me lol, just closed on a house in Austin"),
                    (ASSISTANT, "Congrats on the house! How's Texas treating you?"),
                    (
                        "Malik",
                        "hot as hell but the tacos make up for it. gonna check out Houston "
                        "next weekend",
                    ),
                    (ASSISTANT, "Bring water. And try a breakfast taco crawl on South Congress."),
                    ("Malik", "say less"),
                ),
            ),
        ),
        current_question="Where's Malik living at the moment?",
        as_of_question="Where was Malik living?",
        as_of=_on(2024, 5, 1),
    ),
    LifeChange(
        person="Elodie",
        attribute="city",
        old_value="Nantes",
        new_value="Montpellier",
        sessions=(
            ChatSession(
                _on(2022, 3, 10),
                (
                    (
                        "Elodie",
                        "Hi! I'm redecorating our flat here in Nantes and I can't pick a "
                        "paint colour for the living room.",
                    ),
                    (ASSISTANT, "What light does the room get?"),
                    (
                        "Elodie",
                        "North-facing. My friend Anaïs in Rennes says go warm.",
                    ),
                    (ASSISTANT, "She's right: a warm off-white or a soft terracotta."),
                    ("Elodie", "Ok, I'll test a few swatches."),
                ),
            ),
            ChatSession(
                _on(2022, 7, 22),
                (
                    ("Elodie", "Guess who's writing to you from a sunny terrace in Montpellier!"),
                    (ASSISTANT, "On holiday?"),
                    (
                        "Elodie",
                        "No, for good! We moved last month, my partner got a post at the "
                        "university hospital.",
                    ),
                    (ASSISTANT, "That's exciting. How are you finding it?"),
                    ("Elodie", "Hot. We drove through Toulouse on the way down, lovely too."),
                ),
            ),
            ChatSession(
                _on(2022, 10, 5),
                (
                    (
                        "Elodie",
                        "Do you have a recipe for gâteau nantais? I miss the cake shops back "
                        "in Nantes.",
                    ),
                    (ASSISTANT, "Of course: almond flour, butter, sugar, eggs and a dash of rum."),
                    ("Elodie", "And the glaze?"),
                    (ASSISTANT, "Icing sugar with a little rum, brushed on while it's warm."),
                    ("Elodie", "Thanks, I'll bake it for the neighbours."),
                ),
            ),
        ),
        current_question="Where is Elodie settled now?",
        as_of_question="Where was Elodie settled?",
        as_of=_on(2022, 5, 15),
    ),
    # ------------------------------------------------------------------ employer (6)
    LifeChange(
        person="Bram",
        attribute="employer",
        old_value="Helix Analytics",
        new_value="Northwind Logistics",
        sessions=(
            ChatSession(
                _on(2023, 1, 16),
                (
                    (
                        "Bram",
                        "Can you help me write a sprint update for my lead? Data engineer at "
                        "Helix Analytics here, and it was a rough sprint.",
                    ),
                    (ASSISTANT, "Sure. What were the main blockers?"),
                    (
                        "Bram",
                        "The pipeline migration slipped, and our vendor Datadog changed their "
                        "pricing mid-sprint.",
                    ),
                    (ASSISTANT, "Here's a draft: 'Migration slipped one sprint due to...'"),
                    ("Bram", "Great, thanks."),
                ),
            ),
            ChatSession(
                _on(2023, 5, 4, 17),
                (
                    ("Bram", "Today was my last stand-up at Helix Analytics. Leaving drinks!"),
                    (ASSISTANT, "End of an era! Where are you off to?"),
                    (
                        "Bram",
                        "Northwind Logistics, starting Monday. Better pay and they actually "
                        "let you work from home.",
                    ),
                    (ASSISTANT, "Congratulations!"),
                    (
                        "Bram",
                        "My buddy Sem is at Adyen and says I'm crazy to go into logistics, "
                        "but whatever.",
                    ),
                ),
            ),
        ),
        current_question="Which company does Bram work for now?",
        as_of_question="Which company did Bram work for?",
        as_of=_on(2023, 3, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Nadia",
        attribute="employer",
        old_value="Crestline Bank",
        new_value="Pebble Health",
        sessions=(
            ChatSession(
                _on(2022, 9, 5),
                (
                    (
                        "Jess",
                        "My flatmate Nadia is stressing about her performance review at "
                        "Crestline Bank. Any tips I can pass on?",
                    ),
                    (ASSISTANT, "Have her list three concrete wins with numbers attached."),
                    ("Jess", "She's been there four years, in their risk team."),
                    (ASSISTANT, "Then she has plenty of history to draw on."),
                    ("Jess", "Thanks. I'm at Monzo so I get the banking stress too."),
                ),
            ),
            ChatSession(
                _on(2023, 1, 12),
                (
                    (
                        "Jess",
                        "Nadia quit the bank! She's joined Pebble Health, a startup doing "
                        "online GP appointments.",
                    ),
                    (ASSISTANT, "Big change. Is she happy?"),
                    (
                        "Jess",
                        "Over the moon. No more suits. Her old manager tried a counter-offer "
                        "but she said no.",
                    ),
                    (ASSISTANT, "Good for her."),
                    ("Jess", "We celebrated with pizza on the sofa."),
                ),
            ),
        ),
        current_question="Where is Nadia employed these days?",
        as_of_question="Where was Nadia employed?",
        as_of=_on(2022, 11, 1),
        third_person=True,
    ),
    LifeChange(
        person="Ruairi",
        attribute="employer",
        old_value="Aer Lingus",
        new_value="Ryanair",
        sessions=(
            ChatSession(
                _on(2024, 4, 3),
                (
                    (
                        "Ruairi",
                        "Need to prep for an internal promotion panel at Aer Lingus next "
                        "week, been in their ops team six years. Can you quiz me?",
                    ),
                    (ASSISTANT, "Sure. Q1: a storm grounds a crew at Heathrow. What do you do?"),
                    ("Ruairi", "Reroute a standby crew and rebook the passengers first."),
                    (ASSISTANT, "Good. Mention how you'd keep passengers informed, too."),
                    ("Ruairi", "Class. My sister's at Stripe and says panels there are worse."),
                ),
            ),
            ChatSession(
                _on(2024, 6, 27),
                (
                    (
                        "Ruairi",
                        "Didn't get the promotion. So I applied to Ryanair out of spite, ha.",
                    ),
                    (ASSISTANT, "Sorry about the panel. When will you hear back?"),
                    ("Ruairi", "Few weeks. Looked at CityJet too but they're not hiring."),
                    (ASSISTANT, "Fingers crossed for you."),
                ),
            ),
            ChatSession(
                _on(2024, 9, 9),
                (
                    ("Ruairi", "Back again, need help with a rota spreadsheet."),
                    (ASSISTANT, "Happy to. Is this for the Ryanair role? Did you take it?"),
                    ("Ruairi", "Yeah, started in August. Different world."),
                    (ASSISTANT, "Congrats! What columns do you need?"),
                    ("Ruairi", "Crew, base, shift start, shift end."),
                ),
            ),
        ),
        current_question="Which airline is Ruairi with currently?",
        as_of_question="Which airline was Ruairi with?",
        as_of=_on(2024, 5, 15),
    ),
    LifeChange(
        person="Hana",
        attribute="employer",
        old_value="Kitsune Games",
        new_value="Mirai Interactive",
        sessions=(
            ChatSession(
                _on(2022, 2, 11),
                (
                    (
                        "Hana",
                        "I work at Kitsune Games as a level designer and I'm trying to pitch "
                        "a puzzle mechanic.",
                    ),
                    (ASSISTANT, "Fun! What's the core idea?"),
                    (
                        "Hana",
                        "Mirrors that swap gravity. My friend at Capcom says it's too niche.",
                    ),
                    (ASSISTANT, "Niche can be good. Prototype one level and let people play."),
                ),
            ),
            ChatSession(
                _on(2022, 6, 30),
                (
                    ("Hana", "Ugh, layoffs hit us hard this week."),
                    (ASSISTANT, "I'm sorry. Were you affected?"),
                    (
                        "Hana",
                        "Yes, my whole team is gone. Kitsune Games only kept the mobile people.",
                    ),
                    (ASSISTANT, "That's rough. Take a breath before diving into applications."),
                    ("Hana", "I'll start applying tomorrow anyway."),
                ),
            ),
            ChatSession(
                _on(2022, 10, 18),
                (
                    (
                        "Hana",
                        "Good news! Signed the offer from Mirai Interactive yesterday, I start "
                        "on the first.",
                    ),
                    (ASSISTANT, "Congratulations! What will you be working on?"),
                    ("Hana", "An unannounced puzzle game, so the mirror idea might live on."),
                    (ASSISTANT, "That's perfect."),
                    ("Hana", "And their office is in Shibuya, so the commute is better too."),
                ),
            ),
        ),
        current_question="Who does Hana make games for at the moment?",
        as_of_question="Who did Hana make games for?",
        as_of=_on(2022, 4, 1),
    ),
    LifeChange(
        person="Dario",
        attribute="employer",
        old_value="Ferrari",
        new_value="Ducati",
        sessions=(
            ChatSession(
                _on(2023, 7, 7),
                (
                    (
                        "Giulia",
                        "My husband Dario keeps working weekends at Ferrari. Any ideas for a "
                        "relaxing anniversary trip?",
                    ),
                    (ASSISTANT, "How far are you happy to travel?"),
                    ("Giulia", "We're near Maranello, so a few hours at most. Lake Garda?"),
                    (ASSISTANT, "Garda is ideal: Sirmione for the thermal baths."),
                    (
                        "Giulia",
                        "He also loves the Lamborghini museum, but don't tell his boss.",
                    ),
                ),
            ),
            ChatSession(
                _on(2023, 12, 1),
                (
                    (
                        "Giulia",
                        "Dario switched teams. Well, switched companies: he drives to Bologna "
                        "every day now, engine testing at Ducati.",
                    ),
                    (ASSISTANT, "Quite a switch from cars to motorbikes!"),
                    (
                        "Giulia",
                        "He says it's the same obsession with two fewer wheels. And no more "
                        "weekends, so I'm happy.",
                    ),
                    (ASSISTANT, "Sounds like a win for both of you."),
                    ("Giulia", "We're going to Modena to celebrate."),
                ),
            ),
        ),
        current_question="Who is Dario working for currently?",
        as_of_question="Who was Dario working for?",
        as_of=_on(2023, 9, 15),
        third_person=True,
    ),
    LifeChange(
        person="Freya",
        attribute="employer",
        old_value="Spotify",
        new_value="Klarna",
        sessions=(
            ChatSession(
                _on(2024, 3, 12),
                (
                    (
                        "Freya",
                        "Can you help me prep a talk for our Spotify engineering all-hands? "
                        "I'm on the podcast team.",
                    ),
                    (ASSISTANT, "Sure. Who's the audience?"),
                    (
                        "Freya",
                        "Mostly backend folks. A few people from Epidemic Sound are joining "
                        "as guests.",
                    ),
                    (ASSISTANT, "Then open with one concrete latency win and show the graph."),
                ),
            ),
            ChatSession(
                _on(2024, 10, 21),
                (
                    ("Freya", "Funny thing, I'm not at Spotify anymore. Klarna poached me."),
                    (ASSISTANT, "Oh nice! When did that happen, and what do you do there?"),
                    (
                        "Freya",
                        "Over the summer. Payments infrastructure, totally different, no more "
                        "podcast debates.",
                    ),
                    (ASSISTANT, "That's a big shift, congrats."),
                    ("Freya", "My old teammate went to King, so the gang's all split up."),
                ),
            ),
        ),
        current_question="Which company employs Freya at the moment?",
        as_of_question="Which company employed Freya?",
        as_of=_on(2024, 5, 1),
        change_names_old=True,
    ),
    # ------------------------------------------------------------------ occupation (5)
    LifeChange(
        person="Oskar",
        attribute="occupation",
        old_value="nurse",
        new_value="paramedic",
        sessions=(
            ChatSession(
                _on(2022, 5, 9, 14),
                (
                    ("Oskar", "Coming off three night shifts on the ward. How do I fix my sleep?"),
                    (ASSISTANT, "Keep the room dark and anchor one fixed wake-up time."),
                    ("Oskar", "Twelve years a nurse and I still can't sleep after nights."),
                    (ASSISTANT, "It's hard for everyone. Short naps before shifts can help."),
                    (
                        "Oskar",
                        "My brother's a firefighter, he swears by blackout curtains.",
                    ),
                ),
            ),
            ChatSession(
                _on(2022, 12, 3),
                (
                    ("Oskar", "Passed my final assessment today!"),
                    (ASSISTANT, "Congratulations! What was it for?"),
                    (
                        "Oskar",
                        "The conversion course. I'm officially a paramedic now, first shift "
                        "on the ambulance next week.",
                    ),
                    (ASSISTANT, "That's huge. Nervous?"),
                    ("Oskar", "A bit, but the crew seem great."),
                ),
            ),
        ),
        current_question="What's Oskar's job these days?",
        as_of_question="What was Oskar's job?",
        as_of=_on(2022, 8, 1),
    ),
    LifeChange(
        person="Leila",
        attribute="occupation",
        old_value="teacher",
        new_value="UX designer",
        sessions=(
            ChatSession(
                _on(2023, 2, 20),
                (
                    (
                        "Rosa",
                        "My friend Leila is a teacher, year 4, and she's drowning in marking. "
                        "Gift ideas?",
                    ),
                    (ASSISTANT, "Nice pens, a good mug, or a massage voucher."),
                    ("Rosa", "Ha. I'm an accountant so the marking thing is alien to me."),
                    (ASSISTANT, "Everyone has their own version of marking season."),
                    ("Rosa", "True. Ordering the nice pens."),
                ),
            ),
            ChatSession(
                _on(2023, 9, 25),
                (
                    (
                        "Rosa",
                        "Leila finally left the classroom for good. She did that bootcamp "
                        "over summer and now she's a UX designer at a fintech.",
                    ),
                    (ASSISTANT, "What a switch! How is she finding it?"),
                    (
                        "Rosa",
                        "She says it's weird not having a bell tell her when to eat lunch.",
                    ),
                    (ASSISTANT, "That takes some getting used to."),
                    ("Rosa", "I'm taking her out for drinks on Friday."),
                ),
            ),
        ),
        current_question="What does Leila do for a living now?",
        as_of_question="What did Leila do for a living?",
        as_of=_on(2023, 5, 15),
        third_person=True,
    ),
    LifeChange(
        person="Mateo",
        attribute="occupation",
        old_value="chef",
        new_value="food photographer",
        sessions=(
            ChatSession(
                _on(2024, 1, 22),
                (
                    (
                        "Mateo",
                        "Need a staff meal idea for 12 people, cheap. I'm the head chef and "
                        "the owner is cutting costs.",
                    ),
                    (ASSISTANT, "A big chickpea and chorizo stew with rice is cheap and filling."),
                    ("Mateo", "Our pastry guy is vegetarian."),
                    (ASSISTANT, "Then keep the chorizo on the side."),
                ),
            ),
            ChatSession(
                _on(2024, 4, 18),
                (
                    (
                        "Mateo",
                        "Been doing a photography course on my days off, shooting the dishes "
                        "at work.",
                    ),
                    (ASSISTANT, "Nice! Could that turn into something?"),
                    ("Mateo", "Maybe. A magazine liked my pictures of the paella."),
                    (ASSISTANT, "That's a great sign."),
                ),
            ),
            ChatSession(
                _on(2024, 8, 5),
                (
                    ("Mateo", "Can you help me price a shoot for a restaurant?"),
                    (
                        ASSISTANT,
                        "Sure. So did you hang up the apron and go full-time as a food "
                        "photographer?",
                    ),
                    ("Mateo", "Yep, since June. No more burns on my arms."),
                    (ASSISTANT, "Love that. Price by half-day plus a per-image fee."),
                    ("Mateo", "Cool, it's for a tapas place in Valencia."),
                ),
            ),
        ),
        current_question="What is Mateo's line of work currently?",
        as_of_question="What was Mateo's line of work?",
        as_of=_on(2024, 3, 1),
    ),
    LifeChange(
        person="Ingrid",
        attribute="occupation",
        old_value="lawyer",
        new_value="beekeeper",
        sessions=(
            ChatSession(
                _on(2022, 10, 14, 23),
                (
                    (
                        "Ingrid",
                        "Billing hours again at midnight. Being a lawyer is not what TV promised.",
                    ),
                    (ASSISTANT, "That sounds exhausting. Are you close to done?"),
                    (
                        "Ingrid",
                        "One more memo. My partner is an architect and somehow has free evenings.",
                    ),
                    (ASSISTANT, "Finish the memo and get some sleep."),
                ),
            ),
            ChatSession(
                _on(2023, 6, 2),
                (
                    (
                        "Ingrid",
                        "Update from the countryside: I'm a full-time beekeeper now, forty "
                        "hives and counting.",
                    ),
                    (ASSISTANT, "Wow, what a change!"),
                    (
                        "Ingrid",
                        "I don't miss being a lawyer one bit. Got stung twice this morning though.",
                    ),
                    (ASSISTANT, "Occupational hazard! How's the honey?"),
                    ("Ingrid", "Great. I sell it at the farmers' market on Saturdays."),
                ),
            ),
        ),
        current_question="What's Ingrid's profession at the moment?",
        as_of_question="What was Ingrid's profession?",
        as_of=_on(2023, 1, 15),
        change_names_old=True,
    ),
    LifeChange(
        person="Kwame",
        attribute="occupation",
        old_value="accountant",
        new_value="pilot",
        sessions=(
            ChatSession(
                _on(2023, 4, 11),
                (
                    (
                        "Efua",
                        "My brother Kwame is an accountant and it's tax season, he basically "
                        "lives at the office. What can I cook for him?",
                    ),
                    (ASSISTANT, "Something that reheats well: a jollof or a groundnut stew."),
                    (
                        "Efua",
                        "He loves jollof. My husband is a pharmacist, he'll help me cook.",
                    ),
                    (ASSISTANT, "Pack it in portions so he can grab one a day."),
                ),
            ),
            ChatSession(
                _on(2023, 8, 19),
                (
                    ("Efua", "Kwame's been taking flying lessons and he got his licence!"),
                    (ASSISTANT, "Amazing! Is it a hobby or a new direction?"),
                    ("Efua", "Just a hobby for now, he says."),
                    (ASSISTANT, "Still a big achievement."),
                ),
            ),
            ChatSession(
                _on(2024, 3, 8),
                (
                    (
                        "Efua",
                        "Kwame packed in the spreadsheets for good. He flies for a regional "
                        "airline now, properly, as a commercial pilot.",
                    ),
                    (ASSISTANT, "From hobby to career, that's wonderful!"),
                    ("Efua", "The first time he flew me to Kumasi I nearly cried."),
                    (ASSISTANT, "What a moment for both of you."),
                ),
            ),
        ),
        current_question="What does Kwame do for work these days?",
        as_of_question="What did Kwame do for work?",
        as_of=_on(2023, 6, 1),
        third_person=True,
    ),
    # ------------------------------------------------------------------ school (3)
    LifeChange(
        person="Yuki",
        attribute="school",
        old_value="McGill",
        new_value="UBC",
        sessions=(
            ChatSession(
                _on(2022, 9, 12),
                (
                    (
                        "Yuki",
                        "First week of lectures done! The McGill campus is huge, I keep "
                        "getting lost.",
                    ),
                    (ASSISTANT, "Congrats on surviving week one! What are you studying?"),
                    (
                        "Yuki",
                        "Chemistry. My roommate is at Concordia and has way fewer exams.",
                    ),
                    (ASSISTANT, "Chemistry is demanding, but worth it."),
                ),
            ),
            ChatSession(
                _on(2023, 9, 6),
                (
                    ("Yuki", "Orientation day again, but in Vancouver! I transferred to UBC."),
                    (ASSISTANT, "New campus! Why the switch?"),
                    (
                        "Yuki",
                        "Their chem program has a co-op and my family is out west. I still "
                        "wear my McGill hoodie though.",
                    ),
                    (ASSISTANT, "Sounds like a good reason."),
                    ("Yuki", "Lost again already, so nothing's changed."),
                ),
            ),
        ),
        current_question="Which university does Yuki attend now?",
        as_of_question="Which university did Yuki attend?",
        as_of=_on(2023, 1, 20),
        change_names_old=True,
    ),
    LifeChange(
        person="Beatriz",
        attribute="school",
        old_value="St Anne's Primary",
        new_value="Northfield Secondary",
        sessions=(
            ChatSession(
                _on(2024, 2, 5),
                (
                    (
                        "Carla",
                        "My daughter Beatriz has a volcano project due at St Anne's Primary. "
                        "Ideas?",
                    ),
                    (ASSISTANT, "How old is she?"),
                    (
                        "Carla",
                        "Ten. Her cousin at Oakwood did the baking-soda one last year.",
                    ),
                    (ASSISTANT, "Then try a cross-section model with labelled layers."),
                ),
            ),
            ChatSession(
                _on(2024, 9, 10),
                (
                    (
                        "Carla",
                        "Beatriz started at Northfield Secondary last week and already wants "
                        "a phone.",
                    ),
                    (ASSISTANT, "The big move up! How's she finding it?"),
                    (
                        "Carla",
                        "Loves it. Says St Anne's Primary feels like a baby school now.",
                    ),
                    (ASSISTANT, "Ha, that's a classic."),
                    ("Carla", "Any advice on the phone thing?"),
                ),
            ),
        ),
        current_question="Which school does Beatriz go to now?",
        as_of_question="Which school did Beatriz go to?",
        as_of=_on(2024, 5, 20),
        third_person=True,
        change_names_old=True,
    ),
    LifeChange(
        person="Callum",
        attribute="school",
        old_value="Glasgow Caledonian",
        new_value="Strathclyde",
        sessions=(
            ChatSession(
                _on(2022, 11, 8),
                (
                    (
                        "Callum",
                        "Need help with a stats assignment for my course at Glasgow "
                        "Caledonian, it's doing my head in.",
                    ),
                    (ASSISTANT, "Happy to help. What's the topic?"),
                    ("Callum", "Regression. My pal at Stirling had the same module last year."),
                    (ASSISTANT, "Let's start with what the slope means in words."),
                ),
            ),
            ChatSession(
                _on(2023, 10, 2),
                (
                    (
                        "Callum",
                        "Right, new term new me. Switched over to Strathclyde for the "
                        "engineering degree.",
                    ),
                    (ASSISTANT, "Nice move. How's the first week?"),
                    (
                        "Callum",
                        "Mental, but good. Caledonian wouldn't let me swap courses so I just left.",
                    ),
                    (ASSISTANT, "Sometimes that's the right call."),
                    ("Callum", "Any tips for learning MATLAB?"),
                ),
            ),
        ),
        current_question="Where is Callum studying now?",
        as_of_question="Where was Callum studying?",
        as_of=_on(2023, 3, 1),
    ),
    # ------------------------------------------------------------------ partner (4)
    LifeChange(
        person="Zara",
        attribute="partner",
        old_value="Daniel",
        new_value="Sam",
        sessions=(
            ChatSession(
                _on(2023, 3, 14),
                (
                    (
                        "Zara",
                        "Help me plan a birthday dinner for my boyfriend Daniel, he's turning 30.",
                    ),
                    (ASSISTANT, "Fun! What food does he like?"),
                    ("Zara", "Thai. His best mate Liam will help with the surprise."),
                    (ASSISTANT, "Book a Thai place and have Liam bring him under a pretext."),
                ),
            ),
            ChatSession(
                _on(2023, 6, 20),
                (
                    ("Zara", "How do I get red wine out of a white rug?"),
                    (ASSISTANT, "Blot, then salt or a baking-soda paste, then cold water."),
                    ("Zara", "Thanks, my flatmate Priyanka is panicking."),
                    (ASSISTANT, "It'll come out if you act quickly."),
                ),
            ),
            ChatSession(
                _on(2023, 10, 5),
                (
                    ("Zara", "Life update: Daniel and I aren't together anymore. Mutual."),
                    (ASSISTANT, "I'm sorry, that's a lot. How are you doing?"),
                    (
                        "Zara",
                        "Honestly fine, because... I've been seeing someone. Sam. We met at "
                        "the climbing gym.",
                    ),
                    (ASSISTANT, "That's lovely to hear."),
                    ("Zara", "He's taking me to meet his sister Chloe this weekend, eek."),
                ),
            ),
        ),
        current_question="Who is Zara dating these days?",
        as_of_question="Who was Zara dating?",
        as_of=_on(2023, 6, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Henrik",
        attribute="partner",
        old_value="Maja",
        new_value="Ebba",
        sessions=(
            ChatSession(
                _on(2022, 6, 18),
                (
                    (
                        "Liv",
                        "My brother Henrik and his girlfriend Maja are coming for midsummer. "
                        "What should I cook?",
                    ),
                    (ASSISTANT, "Herring, new potatoes with dill, and strawberry cake."),
                    ("Liv", "Maja's vegetarian. My friend Karin is bringing strawberries."),
                    (ASSISTANT, "Swap the herring for a beetroot salad, then."),
                ),
            ),
            ChatSession(
                _on(2023, 1, 9),
                (
                    (
                        "Liv",
                        "Henrik got engaged at New Year! To Ebba, the one from his choir. "
                        "Not Maja, they split in the autumn.",
                    ),
                    (ASSISTANT, "Congratulations to them!"),
                    ("Liv", "Ebba is lovely, she sings alto and bakes incredible bread."),
                    (ASSISTANT, "Sounds like a great addition to the family."),
                    ("Liv", "The wedding's in Gothenburg next summer."),
                ),
            ),
        ),
        current_question="Who is Henrik's partner now?",
        as_of_question="Who was Henrik's partner?",
        as_of=_on(2022, 8, 1),
        third_person=True,
        change_names_old=True,
    ),
    LifeChange(
        person="Anouk",
        attribute="partner",
        old_value="Pieter",
        new_value="Lotte",
        sessions=(
            ChatSession(
                _on(2024, 5, 5),
                (
                    (
                        "Anouk",
                        "Pieter and I hit two years together next week, any gift ideas?",
                    ),
                    (ASSISTANT, "What's he into?"),
                    ("Anouk", "Cycling. His brother Joris already owns every gadget though."),
                    (ASSISTANT, "Then an experience: a guided ride in the Ardennes?"),
                ),
            ),
            ChatSession(
                _on(2024, 11, 17),
                (
                    ("Anouk", "Need a moving checklist: Lotte and I are getting a place!"),
                    (ASSISTANT, "Exciting! How long have you two been together?"),
                    (
                        "Anouk",
                        "Since August. After things ended with Pieter I didn't expect to fall "
                        "for anyone so fast.",
                    ),
                    (ASSISTANT, "Here's a checklist: notify, pack by room, label everything."),
                    ("Anouk", "Thanks! Her cat is coming too, hope it likes my plants."),
                ),
            ),
        ),
        current_question="Who is Anouk in a relationship with now?",
        as_of_question="Who was Anouk in a relationship with?",
        as_of=_on(2024, 7, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Tariq",
        attribute="partner",
        old_value="Yasmin",
        new_value="Noura",
        sessions=(
            ChatSession(
                _on(2024, 9, 8),
                (
                    (
                        "Tariq",
                        "Yasmin and I want to do a cooking class for our anniversary. Which "
                        "cuisine?",
                    ),
                    (ASSISTANT, "What does she enjoy eating?"),
                    (
                        "Tariq",
                        "Persian food. Our friends Karim and Dina did a Korean one and loved it.",
                    ),
                    (ASSISTANT, "A Persian class with tahdig would make a memorable date."),
                ),
            ),
            ChatSession(
                _on(2025, 5, 18),
                (
                    (
                        "Tariq",
                        "Need picnic ideas, it's my girlfriend Noura's birthday on Sunday.",
                    ),
                    (ASSISTANT, "Happy birthday to her! First one you're celebrating together?"),
                    (
                        "Tariq",
                        "Yeah, we met at my running club in March, after I'd been single for "
                        "a few months.",
                    ),
                    (ASSISTANT, "Then a picnic by the water with her favourite snacks."),
                    ("Tariq", "She's from Amman, so maybe some Levantine stuff."),
                ),
            ),
        ),
        current_question="Who's Tariq going out with currently?",
        as_of_question="Who was Tariq going out with?",
        as_of=_on(2024, 10, 20),
    ),
    # ------------------------------------------------------------------ pet (3)
    LifeChange(
        person="Mei",
        attribute="pet",
        old_value="Mochi",
        new_value="Pepper",
        sessions=(
            ChatSession(
                _on(2022, 4, 2),
                (
                    (
                        "Mei",
                        "Mochi knocked my plant off the windowsill again. How do I cat-proof "
                        "a flat?",
                    ),
                    (ASSISTANT, "Give her a shelf of her own and move plants out of reach."),
                    (
                        "Mei",
                        "She's a grey tabby, nine years old. My neighbour's dog Rufus is "
                        "terrified of her.",
                    ),
                    (ASSISTANT, "Sounds like she runs the building."),
                ),
            ),
            ChatSession(
                _on(2023, 2, 11),
                (
                    (
                        "Mei",
                        "What's a good puppy training schedule? Pepper chewed my shoe this "
                        "morning.",
                    ),
                    (ASSISTANT, "Puppies! Short sessions, several times a day. How old?"),
                    (
                        "Mei",
                        "Twelve weeks, a little border collie. We got her a few months after "
                        "Mochi passed, the flat felt too quiet.",
                    ),
                    (ASSISTANT, "I'm sorry about Mochi. A collie will fill the silence."),
                    ("Mei", "My sister's spaniel Hugo is coming round to play."),
                ),
            ),
        ),
        current_question="What's the name of Mei's pet these days?",
        as_of_question="What was the name of Mei's pet?",
        as_of=_on(2022, 8, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Soren",
        attribute="pet",
        old_value="Loki",
        new_value="Waffles",
        sessions=(
            ChatSession(
                _on(2023, 6, 6),
                (
                    (
                        "Nina",
                        "My housemate Soren's rabbit, Loki, keeps chewing cables. Any fixes?",
                    ),
                    (ASSISTANT, "Cable protectors, and give him safe things to chew."),
                    (
                        "Nina",
                        "Thanks. The landlord's cat Salem stalks Loki through the window too.",
                    ),
                    (ASSISTANT, "Maybe move the hutch away from that window."),
                ),
            ),
            ChatSession(
                _on(2023, 10, 28),
                (
                    (
                        "Nina",
                        "Soren rehomed the bunny with his niece, she's got a huge garden. Now "
                        "he's adopted a guinea pig called Waffles.",
                    ),
                    (ASSISTANT, "Waffles is a great name! Guinea pigs like company, though."),
                    ("Nina", "He knows, he's already eyeing a second one."),
                    (ASSISTANT, "Pairs are much happier."),
                ),
            ),
        ),
        current_question="What is Soren's pet called at the moment?",
        as_of_question="What was Soren's pet called?",
        as_of=_on(2023, 8, 15),
        third_person=True,
    ),
    LifeChange(
        person="Vikram",
        attribute="pet",
        old_value="Bruno",
        new_value="Luna",
        sessions=(
            ChatSession(
                _on(2024, 7, 14),
                (
                    ("Vikram", "walking Bruno in this heat is rough, when's the safest time?"),
                    (ASSISTANT, "Early morning or late evening. Bruno's a dog, I assume?"),
                    (
                        "Vikram",
                        "yeah old lab, 11. my neighbour's beagle Max goes out at 6am, might "
                        "join them",
                    ),
                    (ASSISTANT, "Good plan, and check the pavement with your hand first."),
                ),
            ),
            ChatSession(
                _on(2025, 1, 26),
                (
                    ("Vikram", "ok, kitten question: how much should a 10-week-old eat?"),
                    (ASSISTANT, "Small meals, four times a day. New addition? What's her name?"),
                    (
                        "Vikram",
                        "Luna. after we lost the old boy in november the house needed some chaos",
                    ),
                    (ASSISTANT, "I'm sorry about your lab. Kittens are definitely chaos."),
                    ("Vikram", "she already bullies Max through the fence lol"),
                ),
            ),
        ),
        current_question="What's Vikram's pet's name now?",
        as_of_question="What was Vikram's pet's name?",
        as_of=_on(2024, 9, 15),
    ),
    # ------------------------------------------------------------------ favorite:food (2)
    LifeChange(
        person="Lucia",
        attribute="favorite:food",
        old_value="lasagne",
        new_value="pho",
        sessions=(
            ChatSession(
                _on(2022, 1, 18),
                (
                    (
                        "Lucia",
                        "Rainy Sunday means only one thing: lasagne. Nothing beats it for me, "
                        "I'd eat it every day.",
                    ),
                    (ASSISTANT, "A classic. Béchamel or ricotta?"),
                    ("Lucia", "Béchamel, always. My flatmate prefers risotto, she's wrong."),
                    (ASSISTANT, "Each to their own!"),
                ),
            ),
            ChatSession(
                _on(2022, 8, 23),
                (
                    (
                        "Lucia",
                        "Okay, confession: since that trip to Hanoi I've become a pho person. "
                        "I crave it constantly.",
                    ),
                    (ASSISTANT, "Pho is wonderful. Has it knocked your old comfort dish off?"),
                    ("Lucia", "Completely. Lasagne is a distant second now."),
                    (ASSISTANT, "Want a home recipe for the broth?"),
                    ("Lucia", "Yes! My boyfriend still swears by ramen, I'll convert him."),
                ),
            ),
        ),
        current_question="What's Lucia's go-to comfort food now?",
        as_of_question="What was Lucia's go-to comfort food?",
        as_of=_on(2022, 5, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Pavel",
        attribute="favorite:food",
        old_value="pierogi",
        new_value="sushi",
        sessions=(
            ChatSession(
                _on(2023, 11, 4),
                (
                    (
                        "Olga",
                        "My husband Pavel would eat pierogi for breakfast, lunch and dinner "
                        "if I let him. New filling ideas?",
                    ),
                    (ASSISTANT, "Sauerkraut and mushroom, or sweet cheese with raisins."),
                    ("Olga", "I like borscht more, but he's the pierogi fanatic."),
                    (ASSISTANT, "Then the mushroom ones for him, borscht for you."),
                ),
            ),
            ChatSession(
                _on(2024, 4, 22),
                (
                    (
                        "Olga",
                        "You won't believe it: Pavel's new obsession is sushi. He begs for "
                        "it every Friday now.",
                    ),
                    (ASSISTANT, "Ha! Where did that come from?"),
                    (
                        "Olga",
                        "A work dinner. Now he watches knife videos. Our son still only eats "
                        "pizza.",
                    ),
                    (ASSISTANT, "A home sushi class could be a fun gift."),
                    ("Olga", "Maybe I'll book one for him."),
                ),
            ),
        ),
        current_question="What food does Pavel crave most these days?",
        as_of_question="What food did Pavel crave most?",
        as_of=_on(2024, 1, 15),
        third_person=True,
    ),
    # ------------------------------------------------------------------ favorite:color (2)
    LifeChange(
        person="Siobhan",
        attribute="favorite:color",
        old_value="teal",
        new_value="mustard yellow",
        sessions=(
            ChatSession(
                _on(2022, 5, 30),
                (
                    (
                        "Siobhan",
                        "Painting my bedroom and I'm thinking teal. Everything I own is teal, "
                        "honestly.",
                    ),
                    (ASSISTANT, "Teal can be gorgeous with warm wood."),
                    ("Siobhan", "My mum keeps pushing beige. No chance."),
                    (ASSISTANT, "Maybe beige on the ceiling to keep her happy?"),
                ),
            ),
            ChatSession(
                _on(2023, 3, 15),
                (
                    (
                        "Siobhan",
                        "I've gone off the blue-green thing completely. It's all mustard "
                        "yellow for me now: coat, mug, even my bike.",
                    ),
                    (ASSISTANT, "Bold! What changed?"),
                    ("Siobhan", "Saw a mustard yellow door in Copenhagen and that was it."),
                    (ASSISTANT, "Doors will do that."),
                    ("Siobhan", "My sister's into lilac, so we clash now."),
                ),
            ),
        ),
        current_question="What colour does Siobhan like best now?",
        as_of_question="What colour did Siobhan like best?",
        as_of=_on(2022, 10, 1),
    ),
    LifeChange(
        person="Emeka",
        attribute="favorite:color",
        old_value="green",
        new_value="purple",
        sessions=(
            ChatSession(
                _on(2024, 3, 3),
                (
                    (
                        "Chioma",
                        "My dad Emeka's birthday is coming. He loves green, it's literally "
                        "every shirt he owns.",
                    ),
                    (ASSISTANT, "Then something in a new shade of it?"),
                    (
                        "Chioma",
                        "I was thinking a green silk tie. My brother wants to get him a red one.",
                    ),
                    (ASSISTANT, "Go with the tie. He'll wear it."),
                ),
            ),
            ChatSession(
                _on(2024, 8, 30),
                (
                    (
                        "Chioma",
                        "So Dad has converted. He says purple is his colour now: new scarf, "
                        "new mug, and he repainted his study.",
                    ),
                    (ASSISTANT, "Ha, what a shift!"),
                    (
                        "Chioma",
                        "Mum says he's going through something. My aunt says orange would "
                        "have been worse.",
                    ),
                    (ASSISTANT, "At least gift shopping is easy again."),
                ),
            ),
        ),
        current_question="Which colour is Emeka most fond of these days?",
        as_of_question="Which colour was Emeka most fond of?",
        as_of=_on(2024, 5, 15),
        third_person=True,
    ),
    # ------------------------------------------------------------------ favorite:band (2)
    LifeChange(
        person="Astrid",
        attribute="favorite:band",
        old_value="Arctic Monkeys",
        new_value="Wet Leg",
        sessions=(
            ChatSession(
                _on(2022, 9, 9),
                (
                    (
                        "Astrid",
                        "Got tickets to see Arctic Monkeys in Stockholm! They've been my band "
                        "since I was fifteen.",
                    ),
                    (ASSISTANT, "Amazing! When's the show?"),
                    ("Astrid", "November. My friend prefers Ghost but she's coming anyway."),
                    (ASSISTANT, "Have a brilliant night."),
                ),
            ),
            ChatSession(
                _on(2023, 5, 13),
                (
                    (
                        "Astrid",
                        "Can you make me a playlist of stuff like Wet Leg? I've been listening "
                        "to literally nothing else for months.",
                    ),
                    (ASSISTANT, "Sure. Have they dethroned your old number one?"),
                    ("Astrid", "Totally. Haven't put on Arctic Monkeys since Christmas."),
                    (ASSISTANT, "Start with Dry Cleaning, Yard Act and The Beths."),
                    ("Astrid", "Perfect, adding them now."),
                ),
            ),
        ),
        current_question="Which band is Astrid obsessed with currently?",
        as_of_question="Which band was Astrid obsessed with?",
        as_of=_on(2022, 12, 1),
        change_names_old=True,
    ),
    LifeChange(
        person="Rafael",
        attribute="favorite:band",
        old_value="Metallica",
        new_value="Tame Impala",
        sessions=(
            ChatSession(
                _on(2023, 1, 25, 8),
                (
                    (
                        "Theo",
                        "My roommate Rafael blasts Metallica at 7am, he worships them. Is there "
                        "a polite way to complain?",
                    ),
                    (ASSISTANT, "Ask for headphones before 9, and offer a trade-off."),
                    ("Theo", "I'd take Coldplay over that, honestly."),
                    (ASSISTANT, "Maybe don't lead with that."),
                ),
            ),
            ChatSession(
                _on(2023, 7, 4),
                (
                    (
                        "Theo",
                        "Update: the 7am soundtrack is now Tame Impala on repeat. Rafael's had "
                        "a total conversion, says they're the best band alive.",
                    ),
                    (ASSISTANT, "Mellower, at least!"),
                    (
                        "Theo",
                        "Much. He even put a new poster up where the old one used to be.",
                    ),
                    (ASSISTANT, "A peaceful flat at last."),
                ),
            ),
        ),
        current_question="What band does Rafael rate above all others now?",
        as_of_question="What band did Rafael rate above all others?",
        as_of=_on(2023, 4, 1),
        third_person=True,
    ),
    # ------------------------------------------------------------------ favorite:movie (2)
    LifeChange(
        person="Noor",
        attribute="favorite:movie",
        old_value="Amélie",
        new_value="Parasite",
        sessions=(
            ChatSession(
                _on(2022, 12, 19),
                (
                    (
                        "Noor",
                        "Planning a cosy movie night. Amélie is my all-time comfort film, "
                        "I've seen it twenty times.",
                    ),
                    (ASSISTANT, "A lovely choice. Snacks?"),
                    ("Noor", "Popcorn. My brother wants Die Hard because it's Christmas, ugh."),
                    (ASSISTANT, "Double bill? One each."),
                ),
            ),
            ChatSession(
                _on(2023, 4, 27),
                (
                    (
                        "Noor",
                        "Finally watched Parasite with my film club and I can't stop thinking "
                        "about it.",
                    ),
                    (ASSISTANT, "It's a remarkable film. What struck you most?"),
                    ("Noor", "The staircase scenes. It's my new number one. Sorry, Amélie."),
                    (ASSISTANT, "High praise indeed."),
                    ("Noor", "Next week we're doing Oldboy."),
                ),
            ),
        ),
        current_question="What's Noor's all-time favourite film now?",
        as_of_question="What was Noor's all-time favourite film?",
        as_of=_on(2023, 2, 15),
        change_names_old=True,
    ),
    LifeChange(
        person="Camille",
        attribute="favorite:movie",
        old_value="Jaws",
        new_value="Paddington 2",
        sessions=(
            ChatSession(
                _on(2024, 6, 1),
                (
                    (
                        "Camille",
                        "Beach trip coming up, so of course I'll rewatch Jaws first. "
                        "Tradition. Best film ever made.",
                    ),
                    (ASSISTANT, "A bold choice before swimming!"),
                    (
                        "Camille",
                        "My partner prefers Titanic, which is also a bad idea before a boat trip.",
                    ),
                    (ASSISTANT, "Maybe stick to the beach, then."),
                ),
            ),
            ChatSession(
                _on(2024, 12, 22),
                (
                    ("Camille", "Okay, I need to update my film ranking."),
                    (ASSISTANT, "Go on, what's the new champion?"),
                    ("Camille", "Paddington 2. Don't laugh. It's perfect."),
                    (ASSISTANT, "No laughing, it's widely beloved."),
                    ("Camille", "The shark can have second place."),
                ),
            ),
        ),
        current_question="What movie does Camille rank highest at the moment?",
        as_of_question="What movie did Camille rank highest?",
        as_of=_on(2024, 9, 1),
    ),
    # ------------------------------------------------------------------ favorite:book (2)
    LifeChange(
        person="Adaeze",
        attribute="favorite:book",
        old_value="Middlemarch",
        new_value="Piranesi",
        sessions=(
            ChatSession(
                _on(2023, 8, 8),
                (
                    (
                        "Adaeze",
                        "Rereading Middlemarch for the fourth time. No book has ever topped "
                        "it for me.",
                    ),
                    (ASSISTANT, "It rewards every reread. Which character do you love?"),
                    (
                        "Adaeze",
                        "Dorothea. My book club is doing Rebecca next, which I find a bit much.",
                    ),
                    (ASSISTANT, "It's certainly dramatic."),
                ),
            ),
            ChatSession(
                _on(2024, 2, 14),
                (
                    (
                        "Adaeze",
                        "Finished Piranesi last night and wow, it's dethroned everything on "
                        "my shelf.",
                    ),
                    (ASSISTANT, "Even your old Eliot favourite?"),
                    ("Adaeze", "Even that. I've already pressed it on three friends."),
                    (ASSISTANT, "The House is unforgettable."),
                ),
            ),
        ),
        current_question="Which book does Adaeze love most now?",
        as_of_question="Which book did Adaeze love most?",
        as_of=_on(2023, 11, 1),
    ),
    LifeChange(
        person="Luca",
        attribute="favorite:book",
        old_value="The Hobbit",
        new_value="Moby-Dick",
        sessions=(
            ChatSession(
                _on(2022, 3, 27),
                (
                    (
                        "Bianca",
                        "My boyfriend Luca rereads The Hobbit every winter like a ritual. Is "
                        "there a nice illustrated edition?",
                    ),
                    (ASSISTANT, "The Alan Lee illustrated edition is beautiful."),
                    ("Bianca", "Perfect. I'm more of a Jane Austen person myself."),
                    (ASSISTANT, "Then maybe he'll get you Emma in return."),
                ),
            ),
            ChatSession(
                _on(2022, 10, 9),
                (
                    (
                        "Bianca",
                        "Luca has a new literary love and I'm shocked: Moby-Dick. He won't "
                        "stop quoting whales at me.",
                    ),
                    (ASSISTANT, "Call him Ishmael."),
                    (
                        "Bianca",
                        "He even says it beats The Hobbit now, which I never thought I'd hear.",
                    ),
                    (ASSISTANT, "A big moment in your household!"),
                ),
            ),
        ),
        current_question="Which novel does Luca love most these days?",
        as_of_question="Which novel did Luca love most?",
        as_of=_on(2022, 6, 1),
        third_person=True,
        change_names_old=True,
    ),
    # ------------------------------------------------------------------ favorite:sport (2)
    LifeChange(
        person="Farah",
        attribute="favorite:sport",
        old_value="tennis",
        new_value="padel",
        sessions=(
            ChatSession(
                _on(2024, 4, 15),
                (
                    (
                        "Farah",
                        "Best way to fix a backhand? Tennis is my whole personality and it's "
                        "letting me down.",
                    ),
                    (ASSISTANT, "Work on early preparation and a full shoulder turn."),
                    ("Farah", "My husband only watches cricket, so no help there."),
                    (ASSISTANT, "Film yourself; it helps more than you'd think."),
                ),
            ),
            ChatSession(
                _on(2024, 10, 3),
                (
                    (
                        "Farah",
                        "Joined a padel league and I'm hooked, haven't touched my old racquet "
                        "bag in months.",
                    ),
                    (ASSISTANT, "Padel is exploding! What do you love about it?"),
                    (
                        "Farah",
                        "It's social and kinder on the knees. Easily the sport I care about "
                        "most now.",
                    ),
                    (ASSISTANT, "Sounds like a great find."),
                    ("Farah", "My friend plays squash and thinks I'm a traitor."),
                ),
            ),
        ),
        current_question="Which sport is Farah most into at the moment?",
        as_of_question="Which sport was Farah most into?",
        as_of=_on(2024, 7, 1),
    ),
    LifeChange(
        person="Ilse",
        attribute="favorite:sport",
        old_value="rugby",
        new_value="cycling",
        sessions=(
            ChatSession(
                _on(2023, 2, 5),
                (
                    (
                        "Ilse",
                        "Six Nations starts today! Rugby is the only sport I really care "
                        "about, I even play on a women's team.",
                    ),
                    (ASSISTANT, "Great time of year! Who are you backing?"),
                    ("Ilse", "Ireland, obviously. My brother's a football guy, poor thing."),
                    (ASSISTANT, "Enjoy the match!"),
                ),
            ),
            ChatSession(
                _on(2023, 9, 17),
                (
                    ("Ilse", "Need a recovery meal after a 120 km ride."),
                    (
                        ASSISTANT,
                        "Sounds like cycling has taken over. Is it your main sport now?",
                    ),
                    (
                        "Ilse",
                        "Totally. Broke my collarbone in a scrum in April, never went back, "
                        "and the bike stuck.",
                    ),
                    (ASSISTANT, "Then rice, eggs and greens, plus plenty of water."),
                    ("Ilse", "Thanks. My club mates do triathlon, might try that next."),
                ),
            ),
        ),
        current_question="What's Ilse's main sport now?",
        as_of_question="What was Ilse's main sport?",
        as_of=_on(2023, 3, 15),
    ),
]
