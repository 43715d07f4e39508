"""Layer (a), the red-flag phrases: every danger sign of EXERCISE_SCIENCE.md section 5 is caught,
typos and word forms and all, while fear, history, ordinary soreness and FAQ questions are left to
the other layers; the grey-zone rules pick out pain reports that earn the safety question."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from bot.nlp.red_flag_rules import RED_FLAGS_FILE, default_rules, load_red_flag_rules, match_red_flag

# (message, rule id expected to catch it)
RED_FLAGS = [
    # a fall with pain on weight bearing, can't get up, a deformity, a suspected fracture
    ("i fell n now my hip hurts when i stand", "fall_with_injury"),
    ("I slipped on the ice and my wrist looks bent", "fall_with_injury"),
    ("my foot slipped on the ice and now my wrist is swollen", "fall_with_injury"),
    ("the rug slipped and I fell, my hip hurts when I stand", "fall_with_injury"),
    ("fell down the basement stairs this fall, wrist still swollen and bruised today", "fall_with_injury"),
    ("tripped over the cat and now it really hurts to walk", "fall_with_injury"),
    ("took a tumble on the stairs and my ankle is swollen", "fall_with_injury"),
    ("i fel down the steps and my hip hurts bad", "fall_with_injury"),
    ("slipped in the shower, landed on my hip, can barely walk", "fall_with_injury"),
    ("Fell in the garden this morning, cant get up off the ground", "fall_cannot_get_up"),
    ("help i've fallen", "fall_cannot_get_up"),
    ("I've been on the floor since lunch", "fall_cannot_get_up"),
    ("cant put weight on my leg", "cannot_bear_weight"),
    ("can't put weight on my foot", "cannot_bear_weight"),
    ("my ankle won't hold me", "cannot_bear_weight"),
    ("I think I broke my wrist", "suspected_fracture"),
    ("I think I cracked a rib", "suspected_fracture"),
    ("might have fractured something in my foot", "suspected_fracture"),
    # a crack or pop with pain
    ("heard a crack in my back", "crack_or_pop_felt"),
    ("felt a pop in my knee and now it's swelling", "crack_or_pop_felt"),
    ("something cracked when I bent down", "crack_or_pop_felt"),
    ("my hip popped and it really hurts", "crack_or_pop_with_pain"),
    # sudden severe back pain
    ("sharp sudden pain in my spine", "back_pain_sudden_severe"),
    ("back pain 9/10 came on out of nowhere", "back_pain_sudden_severe"),
    ("my back suddenly gave out", "back_pain_sudden_severe"),
    ("worst back pain of my life", "back_pain_sudden_severe"),
    ("excruciating pain in my lower back", "back_pain_sudden_severe"),
    ("something snapped in my back when I lifted the box", "back_gave_way"),
    ("my back went crack and the pain is awful", "back_gave_way"),
    ("threw my back out bending over", "back_gave_way"),
    # new numbness, tingling or weakness in the legs
    ("cant feel my legs", "legs_numb_or_tingling"),
    ("my legs went numb", "legs_numb_or_tingling"),
    ("pins and needles in both feet since yesterday", "legs_numb_or_tingling"),
    ("numbness in my thigh that wasn't there before", "legs_numb_or_tingling"),
    ("my leggs r tingling", "legs_numb_or_tingling"),
    ("i cnt feel my feet", "legs_numb_or_tingling"),
    ("My legs keep giving way", "legs_sudden_weakness"),
    ("sudden weakness in my legs", "legs_sudden_weakness"),
    ("my foot is dragging", "legs_sudden_weakness"),
    # loss of bladder or bowel control
    ("peed myself", "bladder_bowel_control"),
    ("lost control of my bladder", "bladder_bowel_control"),
    ("I wet myself and my back is killing me", "bladder_bowel_control"),
    ("cant control my bowels", "bladder_bowel_control"),
    ("having bladder accidents all of a sudden", "bladder_bowel_control"),
    # chest pain
    ("chest pains", "chest_pain"),
    ("chest feels tight", "chest_pain"),
    ("CHEST PAIN!!!", "chest_pain"),
    ("chest pian when i walk", "chest_pain"),
    ("crushing pain in my chest", "chest_pain"),
    ("pain going down my left arm into my jaw", "chest_pain"),
    ("feels like an elephant sitting on my chest", "chest_pain"),
    ("heart attack?", "chest_pain"),
    # shortness of breath at rest
    ("cant catch my breath sitting down", "cannot_breathe"),
    ("I can't breathe properly even lying in bed", "cannot_breathe"),
    ("struggling to breathe", "cannot_breathe"),
    ("short of breath just sitting here", "breathless_at_rest"),
    ("out of breath and I havent done anything", "breathless_at_rest"),
    # fainting
    ("blacked out", "fainting"),
    ("passed out", "fainting"),
    ("I fainted in the kitchen", "fainting"),
    ("nearly passed out after my squats", "fainting"),
    ("felt faint and everything went black", "fainting"),
    ("lost consciousness for a second", "fainting"),
    # issue 12: what the net missed, word forms and narrow exclusions
    ("I can barely walk after falling", "fall_with_injury"),
    ("My hip has hurt ever since I fell on Monday", "fall_with_injury"),
    ("I was scared when I fell yesterday and now my wrist is swollen", "fall_with_injury"),
    ("when I was shovelling this morning I slipped and my back hurts", "fall_with_injury"),
    ("my hip hurts so much I can't walk", "pain_stops_walking"),
    ("my arm looks bent", "limb_looks_deformed"),
    ("my back is in agony", "back_pain_sudden_severe"),
    ("I got up from bed and my back is agony", "back_pain_sudden_severe"),
    ("new back pain that won't go away", "back_pain_sudden_severe"),
    ("my leg is weak since this morning", "legs_weak_now"),
    ("I'm on the floor", "fall_cannot_get_up"),
]

ORDINARY = [
    # "fall" the season, a thing that slips, a scan number that "went from"
    "my shoulder hurts when I reach up to the top shelf, same shoulder as last fall, about a five",
    "arthritis in my hands is bad today, knuckles swollen and stiff and the band keeps slipping",
    "my scan came back and the spine number went from -2.1 to -2.4, does that mean im getting worse",
    # fear and worry
    "I'm scared I'll fall",
    "afraid of breaking a bone",
    "I'm worried I'll fall on the ice this winter",
    "I'm nervous about using weights",
    "what if I slip on the ice",
    "after my wrist fracture I've been scared to move much",
    # history
    "I fell two years ago",
    "I broke my wrist 5 years ago",
    "I had a hip fracture in 2019 and I'm fine now",
    "my sister broke her hip at the gym",
    "ever since I broke my hip I've been careful",
    # ordinary soreness and pain reports
    "my back is a bit sore after yesterday",
    "my knee hurts a 4",
    "pain 3/10 in my hip",
    "my legs are sore from the squats",
    "my legs feel weak after the squats",
    "my back is achy today, not terrible, like a 3",
    "my shoulder hurt during the rows, about a 5",
    "sharp pain in my shoulder when I lift my arm",
    "the back of my knee feels tight after the walk",
    "my knees crack when I squat but it doesn't hurt",
    "I get out of breath walking up the stairs, is that normal?",
    "I'm out of breath after my walk but it passed quickly",
    "effort 7, pain 2",
    # everyday chat
    "I fell off the wagon with my exercises",
    "I'm on the floor doing my stretches",
    "my legs were like jelly after the walk",
    "my legs feel weak after the class",
    "my back is rounded, it looks bent in photos",
    "I tripped on the rug but I'm fine, didn't hurt at all",
    "what if I fall when nobody is home",
    "I lost my balance a bit during tandem stance but caught the counter",
    "I'm back! did my workout",
    "remind me at 7am on mondays",
    "I did my heel raises and balance work",
    "I'm tired today",
    "my legs feel heavy and I'm tired",
    "hold the dumbbell at chest height",
    "I'm interested in the rest days",
    "I feel like I've been stuck at the same level for weeks",
    # FAQ questions
    "is it safe after a fracture",
    "how do I get out of bed without straining my back",
    "how do I shovel snow without hurting my back",
    "is it bad to round my back",
    "what exercises should I avoid with osteoporosis",
    "can I do sit-ups?",
    "is walking enough?",
    "how much calcium do I need",
    "what does my T-score mean",
    "what should I do on icy days",
]


@pytest.mark.parametrize(("text", "rule"), RED_FLAGS, ids=[t for t, _ in RED_FLAGS])
def test_red_flag_is_caught(text: str, rule: str) -> None:
    assert match_red_flag(text) == rule


@pytest.mark.parametrize("text", ORDINARY)
def test_ordinary_message_is_not_a_red_flag(text: str) -> None:
    assert match_red_flag(text) is None


def test_the_tables_are_big_enough_to_mean_something() -> None:
    assert len(RED_FLAGS) >= 40
    assert len(ORDINARY) >= 30


# A pain report with a cue of injury: the safety question first (the grey zone).
ASK = [
    ("slipped on the step yesterday, knee is a bit sore", "ask_pain_after_fall"),
    ("my knee clunked on the stairs and it aches now", "ask_pain_with_crack"),
    ("sudden pain in my shoulder when I reached up", "ask_sudden_pain"),
    ("woke up with pain in my hip", "ask_sudden_pain"),
    ("my wrist hurts, about a 7", "ask_high_score_key_site"),
    ("hip pain 7/10 today", "ask_high_score_key_site"),
    ("I had a fall this morning but I'm fine", "ask_own_fall"),
    ("I tripped over the dog yesterday", "ask_own_fall"),
]
NOT_ASK = [
    "my knee hurts, about a 4",
    "my shoulder aches a bit after the rows",
    "scared of falling on the ice, my hip aches",
    "my knees crack but it doesn't hurt",
    "I did 10 hip hinges",
    "I fell asleep after lunch",
    "I fell off the wagon this week",
    "I fell behind on my exercises",
    "it slipped my mind",
    "I nearly fell in the shower but caught myself",
    "my husband fell yesterday",
    "we are going on a trip in the fall",
]


@pytest.mark.parametrize(("text", "rule"), ASK, ids=[t for t, _ in ASK])
def test_a_pain_report_with_a_cue_of_injury_asks_first(text: str, rule: str) -> None:
    matched = default_rules().match_ask(text)
    assert matched is not None and matched.id == rule


@pytest.mark.parametrize("text", NOT_ASK)
def test_an_ordinary_pain_report_does_not_ask(text: str) -> None:
    assert default_rules().match_ask(text) is None


def test_word_forms_come_from_lemmas_not_lists() -> None:
    rules = default_rules()
    assert rules.views("I was falling, it's hurting")[1] == "i be fall its hurt"


def test_every_rule_and_every_kind_of_section_5_is_exercised() -> None:
    rules = load_red_flag_rules().rules
    assert {rule.id for rule in rules} == {rule for _, rule in RED_FLAGS}
    assert {rule.id for rule in load_red_flag_rules().ask_rules} == {rule for _, rule in ASK}
    assert {rule.kind for rule in rules} == {
        "sudden_severe_back_pain", "fall_injury", "crack_pop", "leg_numbness_weakness",
        "bladder_bowel", "chest_pain", "breathless_at_rest", "fainting",
    }


@pytest.mark.parametrize("text", [None, "", "   ", "😀🙃", "\x00", "?!?!"])
def test_empty_or_odd_input_is_not_a_red_flag(text: str | None) -> None:
    assert match_red_flag(text) is None


def test_a_long_message_is_matched_quickly_wherever_the_danger_sign_is() -> None:
    filler = "we walked by the lake and talked about the weather " * 200  # ~10,000 chars
    started = time.perf_counter()
    assert match_red_flag(filler) is None
    assert match_red_flag(filler + " and then I passed out") == "fainting"
    assert match_red_flag("chest pain " + filler) == "chest_pain"
    assert time.perf_counter() - started < 2


def test_a_rules_file_with_a_duplicate_id_is_refused(tmp_path: Path) -> None:
    rules = RED_FLAGS_FILE.read_text(encoding="utf-8")
    broken = tmp_path / "red_flags.yml"
    broken.write_text(rules.replace("id: chest_pain", "id: fainting"), encoding="utf-8")
    with pytest.raises(ValueError, match="duplicate"):
        load_red_flag_rules(broken)
