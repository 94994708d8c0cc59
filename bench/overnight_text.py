"""What is said in the room overnight: sentences near the wake phrase, and TV paragraphs.

None of it is the wake phrase: ``check_text`` refuses a text that contains it, starts with
its last word or ends with its first (two clips played one after the other must not make
it either). The TV paragraphs are generated from templates with a seeded generator, so a
night's TV is long and varied without anyone writing half an hour of script.
"""

from __future__ import annotations

import numpy as np

from voice_coach.commands import normalize

NEAR_WAKE_SENTENCES = (
    "Hey, can you pass me the remote?",
    "Hey Joe, are you coming to bed soon?",
    "The couch in the living room needs a new cover.",
    "Our football coach wants everyone at practice by six.",
    "I fell asleep on the couch again last night.",
    "Hey, did you lock the back door?",
    "She will cook the rice while I set the table.",
    "You can poach the eggs in a little water with vinegar.",
    "The front coach of the train was almost empty.",
    "He used to coach the swimming team at school.",
    "Hey, look at this, the cat is on the couch.",
    "The cook at the hotel makes the best soup in town.",
    "We took the coach to the airport at four in the morning.",
    "Hey you, come and see the moon.",
    "The new approach to the problem worked quite well.",
    "They want to poach our best player for their team.",
    "Hey Joe, where did you put the car keys?",
    "Coaching small children takes a lot of patience.",
    "Hey, hey, slow down, you will spill the coffee.",
    "My cousin works as a cook on a cruise ship.",
    "The bus and the coach both leave from the same stop.",
    "The head coach was not happy with the result.",
    "Hey there, how was your day?",
    "Put the cushions back on the couch, please.",
    "He wants to cook a proper dinner on Friday.",
    "The poached salmon was a little dry.",
    "Hey, is that the phone ringing?",
    "Okay, we can talk about the coach trip tomorrow.",
    "Your coat is hanging behind the bedroom door.",
    "Hey Jo, your tea is getting cold.",
    "A cockroach ran under the fridge this morning.",
    "The old coach house was turned into a garage.",
    "Hey, quiet, the baby is sleeping.",
    "The coach told the players to keep their heads up.",
    "She bought a second hand couch for the study.",
    "Who is going to cook tonight, you or me?",
    "The stagecoach in that film was robbed twice.",
    "Hey, have you seen my glasses anywhere?",
    "He tried to coax the dog out from under the bed.",
    "They hired a new coach after the last season.",
    "The kids built a fort out of the couch cushions.",
    "Hey mum, can I have a glass of water?",
    "The recipe says to poach the pears in red wine.",
    "I will call the coach company about the tickets.",
    "Hey, the film is about to start.",
    "The cook book is on the shelf above the oven.",
    "Let us move the couch closer to the window.",
    "Hey Joey, turn off the light when you are done.",
    "The teacher will coach him for the exam.",
    "Hey, hey, it is only a spider.",
    "My neighbour sold his couch on the internet.",
    "The goalkeeping coach arrived late to training.",
    "Hey, did the post come today?",
    "She likes to cook with lots of garlic.",
    "Try to approach the cat a little more slowly.",
    "Hey, come here, you have to see this.",
    "The coach driver stopped for a coffee break.",
    "Hey Joe, the match is on in five minutes.",
    "We could poach some chicken for the salad.",
    "Hey, can you hear that noise outside?",
    "Hey Coco, time for your walk.",
    "Hey Cole, pass the salt please.",
    "Hey, Colin, open the window a little.",
    "Hey, the couch is free if you want to sit down.",
    "Hey, cook something nice for once.",
    "Okay, okay, I am coming.",
    "Hey, go to sleep, it is late.",
    "The night coach to the coast leaves at eleven.",
    "Hey, what time is it?",
    "He was a good coach but a poor loser.",
)
"""A partner, a child, a phone call: words that sound like the wake phrase, never it."""

TV_VOICES = ("piper:joe@0.9", "piper:joe@1.0", "piper:joe@1.1", "piper:joe@1.2",
             "festival:ked", "festival:kal")
"""Voices of the TV: mostly Piper (a clear, modern announcer) at several speeds; a few
diphone voices for variety. Picked per paragraph, Piper four times in six."""

_SLOTS = {
    "place": ("the coast", "the north", "the valley", "the city centre", "the harbour",
              "the islands", "the old town", "the hills"),
    "day": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "name": ("Maria", "Tom", "Mister Hughes", "the mayor", "Doctor Patel", "Joe", "Anna",
             "the minister", "our reporter"),
    "food": ("eggs", "salmon", "pears", "chicken", "rice", "leeks", "potatoes", "mushrooms"),
    "team": ("the Rovers", "United", "the city club", "the visitors", "the home side"),
    "animal": ("the fox", "the heron", "a young otter", "the badger", "a family of geese",
               "the old stag", "a pair of swans"),
    "number": ("two", "three", "four", "five", "seven", "twelve", "twenty", "forty"),
}

_TV = {
    "news": (
        "Good evening, here is the news.",
        "The council in {place} met again on {day} to talk about the new bridge.",
        "{name} said the plans would be ready before the end of the year.",
        "Police have asked drivers to avoid {place} until the road is cleared.",
        "A coach carrying {number} passengers broke down near {place}, nobody was hurt.",
        "Prices in the shops rose again last month, mostly for food and fuel.",
        "The hospital in {place} will open a new ward on {day}.",
        "{name} told us the approach had to change after the floods.",
        "Hundreds of people queued in the rain to see the exhibition.",
        "The trial will continue on {day} morning.",
        "Workers at the port voted to accept the new offer.",
        "And finally, a cat in {place} has been found asleep on a neighbour's couch.",
    ),
    "weather": (
        "Now the weather for the next few days.",
        "Rain will spread from the west overnight, heaviest over {place}.",
        "By {day} it turns drier, with some sunshine in {place}.",
        "Temperatures will stay around {number} degrees for most of us.",
        "Along the coast the wind picks up later, with gusts in exposed places.",
        "Fog may form in the valleys before dawn, so take care on the roads.",
        "The weekend looks mild, with a few showers in the afternoon.",
        "Frost is likely in rural areas, so cover any young plants.",
        "Clouds will thicken over {place} by the evening.",
    ),
    "cooking": (
        "Welcome back to the kitchen, tonight we cook something simple.",
        "First, gently poach the {food} in a pan of barely simmering water.",
        "While that cooks, chop an onion and a little garlic.",
        "A good cook always tastes the sauce before adding more salt.",
        "Now add the {food} and let it rest for {number} minutes.",
        "{name} likes to finish the dish with a spoon of butter.",
        "If the pan gets too hot, take it off the heat for a moment.",
        "Serve it warm with fresh bread and a green salad.",
        "Hey, do not worry if it looks messy, it will taste lovely.",
        "Next week we make a cake that even a beginner can manage.",
    ),
    "sport": (
        "Now the sport, and a big night for {team}.",
        "The coach made {number} changes before kick off.",
        "{team} scored early, and the crowd in {place} went wild.",
        "The referee waved away a penalty claim just before half time.",
        "After the break the visitors pressed hard but could not score.",
        "Their coach said after the game that he was proud of the players.",
        "{name} came off the bench and hit the post with his first touch.",
        "The fans sang all the way home on the coaches.",
        "The next match is on {day} against {team}.",
        "In the tennis, the young champion won in straight sets.",
    ),
    "nature": (
        "High above {place}, the first light of morning reaches the trees.",
        "Here, {animal} searches the shallow water for something to eat.",
        "It must be careful, because danger can approach from any side.",
        "In the long grass, {animal} has made a home for the winter.",
        "The river slows as it reaches the marshes near {place}.",
        "Every autumn, thousands of birds gather on these cliffs.",
        "As evening falls, {animal} comes out to feed.",
        "The forest is quiet now, but it is far from empty.",
        "Rain brings the whole valley back to life within a day.",
    ),
    "quiz": (
        "Welcome back to the quiz, where every answer counts.",
        "Our first contestant tonight is {name} from {place}.",
        "For {number} points, which river runs through the capital?",
        "That is correct, well done, the audience loves it.",
        "Hey, that was close, but I cannot accept that answer.",
        "You have {number} seconds, your time starts now.",
        "Which animal sleeps for most of the winter?",
        "Let us see what the couch at home would have said.",
        "After the break, the final round, with double points.",
    ),
}
"""TV programmes: an opening line, then sentences with {slots} filled at random."""


def _words(text: str) -> list[str]:
    return normalize(text).split()


def check_text(text: str, wake: str = "hey coach") -> None:
    """Raise ValueError when ``text`` says ``wake``, or could make it joined to another text
    (it starts with the wake phrase's last word or ends with its first)."""
    words, phrase = _words(text), wake.split()
    joined = f" {' '.join(words)} "
    if f" {' '.join(phrase)} " in joined:
        raise ValueError(f"the material says the wake phrase: {text!r}")
    if words and (words[0] == phrase[-1] or words[-1] == phrase[0]):
        raise ValueError(f"the material could make the wake phrase with its neighbour: {text!r}")


def tv_paragraphs(count: int, seed: int, sentences: tuple[int, int] = (6, 9)) -> list[str]:
    """``count`` TV paragraphs: each a programme's opening line and ``sentences`` more of its
    lines in random order with random slot fillers."""
    rng = np.random.default_rng(seed)
    topics = sorted(_TV)
    out = []
    for i in range(count):
        lines = _TV[topics[i % len(topics)]]
        n = int(rng.integers(sentences[0], sentences[1] + 1))
        body = rng.permutation(np.arange(1, len(lines)))[: min(n, len(lines) - 1)]
        chosen = [lines[0], *(lines[int(k)] for k in body)]
        text = " ".join(_fill(line, rng) for line in chosen)
        check_text(text)
        out.append(text)
    return out


def _fill(line: str, rng: np.random.Generator) -> str:
    fills = {k: str(v[int(rng.integers(len(v)))]) for k, v in _SLOTS.items()}
    text = line.format(**fills)
    return text[0].upper() + text[1:]
