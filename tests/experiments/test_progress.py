"""A run's progress: plans add up, each finished trial is one line off a terminal, and the
counts are what result.json records."""

from mllab.experiments.progress import TrialProgress


def test_one_line_per_finished_trial_off_a_terminal(capsys):
    progress = TrialProgress("demo", bar=False)
    progress.plan(2)
    progress.plan(1)  # a trial that depends on what came before is added later
    progress.finished("a-r0", 1.25, restored=True)
    progress.finished("b-r0", 1.25, restored=False)
    progress.close()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("demo 1/3: a-r0 (restored, ")
    assert lines[1].startswith("demo 2/3: b-r0 (1.2 s, ") and lines[1].endswith("s so far)")
    assert progress.to_dict() == {"trials_done": 2, "trials_planned": 3}
    assert not progress.on_terminal
