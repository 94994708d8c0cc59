"""What other people in the room say: ordinary sentences with command words inside them.

A partner on the phone, a radio, someone reading aloud. None of these is a command phrase on
its own, so every command the listener decides during them is a false command.
"""

from __future__ import annotations

TALK_SENTENCES = (
    "I will stop by the bakery on the way home tomorrow.",
    "Can you wait for me at the station after work?",
    "The next train to the city leaves at half past seven.",
    "They had to go back to the shop because they forgot the milk.",
    "Please repeat the question, the line was not very clear.",
    "We should restart the computer before the meeting begins.",
    "The weather will continue to be cold for the rest of the week.",
    "She said the music was louder than last year.",
    "He walks a little slower since he hurt his knee.",
    "Turn the volume up a bit, I cannot hear the news.",
    "Let me know if you need any help with the garden.",
    "The bus was faster than the car in all that traffic.",
    "Hold on to the rail when you walk down the stairs.",
    "After the pause the speaker went on with the story.",
    "You can skip the first chapter, it is only an introduction.",
    "The status of the flight changed to delayed again.",
    "My sister says the previous owner painted the kitchen green.",
    "That is enough sugar for one cake, thank you.",
    "Go on and tell them what happened at the market.",
    "We can resume the talk about the holiday after dinner.",
    "Keep going straight and take the second road on the left.",
    "Where are we going for lunch on Sunday?",
    "It was quieter in the village than in the town.",
    "Wait until the water boils, then add the pasta.",
    "The team will start again after the break, the coach said.",
    "Could you speak up a little, the children are asleep.",
    "One more time the radio played the same old song.",
    "I am done with the dishes, so let us watch the film.",
    "Carry on with the reading while I make some tea.",
    "The plan from the beginning was to sell the house in spring.",
    "The doctor said to slow down and rest for a few days.",
    "Let's go to the park if the rain stops this afternoon.",
    "The shop will stop selling newspapers next month.",
    "She asked how much longer the road works would take.",
    "Back in the summer we swam in the lake every morning.",
    "The phone rang again just as we sat down to eat.",
    "Speed up the video, the first part is very slow.",
    "My brother cannot stop talking about his new bicycle.",
    "The football match was paused because of the storm.",
    "Give me one moment to find the keys to the car.",
    "The news said the prices will go up again next year.",
    "If you continue on this road you will reach the river.",
    "In the next part of the programme we visit a farm.",
    "The neighbours asked us to turn the music down a little.",
    "Could you say that again for the children in the back?",
)
"""Other people talking (not the user, not the coach), each a full sentence."""

TALK_VOICES = ("festival:kal", "festival:ked", "espeak:en-us", "espeak:en+f3")
"""Voices reading the talk: diphone voices and two formant voices (a radio, a partner)."""
