"""SQuAD's exact match and token F1 against cases computed by hand, and the normalisation."""

import pytest

from mllab.pretraining.squad_metrics import exact_match, normalize_answer, squad_scores, token_f1


def test_normalisation_drops_case_punctuation_articles_and_extra_spaces():
    assert normalize_answer("  The  Son of NUN, “Joshua”! ") == "son of nun joshua"
    assert normalize_answer("an apple a day") == "apple day"
    assert normalize_answer("theory") == "theory"  # an article only as a whole word


@pytest.mark.parametrize(("prediction", "gold", "em", "f1"), [
    ("Nun", "Nun", 1.0, 1.0),
    ("the Nun.", "nun", 1.0, 1.0),
    ("Joshua son of Nun", "Nun", 0.0, 2 * (1 / 4) * 1 / (1 / 4 + 1)),  # P = 1/4, R = 1: 0.4
    ("king of Judah", "Judah king", 0.0, 2 * (2 / 3) * 1 / (2 / 3 + 1)),  # P 2/3, R 1: 0.8
    ("Nun Nun", "Nun", 0.0, 2 * 0.5 * 1 / 1.5),  # a bag: one common token, P 1/2, R 1
    ("Caleb", "Nun", 0.0, 0.0),
    ("the", "a", 1.0, 0.0),  # both normalise to "": equal, but no token in common
])
def test_hand_computed_cases(prediction, gold, em, f1):
    assert exact_match(prediction, gold) == em
    assert token_f1(prediction, gold) == pytest.approx(f1)


def test_scores_average_the_best_gold_per_question():
    scores = squad_scores(["Nun", "son of Nun"], [["Caleb", "Nun"], ["Nun"]])
    assert scores["exact_match"] == pytest.approx(0.5)
    assert scores["f1"] == pytest.approx((1.0 + 2 * (1 / 3) / (4 / 3)) / 2)  # P 1/3, R 1
    with pytest.raises(ValueError):
        squad_scores([], [])
