"""The SYNTHETIC genealogy questions: each answer is the named word of its verse, the
templates by hand, function words skipped."""

from mllab.data.bible import english_verses
from mllab.data.genealogy_qa import genealogy_questions


def test_questions_by_hand():
    qs = genealogy_questions(["Irad became the father of Mehujael. The king of Egypt came.",
                              "Joshua the son of Nun, and “Caleb, king of Hebron."])
    got = [(q.question, q.answer, q.answer_word) for q in qs]
    assert got == [("Who became the father of Mehujael?", "Irad", 0),
                   ("Whom did Irad become the father of?", "Mehujael", 5),
                   ("Whose son was Joshua?", "Nun", 4),
                   ("Who was the son of Nun?", "Joshua", 0),
                   ("Of which land was Caleb king?", "Hebron", 9),
                   ("Who was king of Hebron?", "Caleb", 6)]


def test_every_answer_is_its_word_in_the_real_verses():
    qs = genealogy_questions(v.en for v in english_verses())
    assert len(qs) > 3000
    assert all(q.context.split()[q.answer_word].strip('"“‘([,.;:').startswith(q.answer)
               for q in qs)
