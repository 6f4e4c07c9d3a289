"""The shared generation loop: per-sequence EOS, padding, lengths, log-probabilities."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding.generation import generate

EOS, PAD = 3, 9


def _uniform(tokens, state):
    seen = [] if state is None else state
    return torch.zeros(tokens.shape[0], 4, dtype=torch.float64), seen + [tokens.clone()]


def _script(rows):
    """choose() that writes rows[b][t] for sequence b at step t."""
    steps = iter(torch.tensor(rows).T)
    return lambda logits: next(steps)


def test_each_sequence_stops_at_its_eos_and_is_padded_after_it():
    out = generate(_uniform, _script([[0, EOS, 1], [1, 2, EOS], [EOS, 0, 0]]), 5, EOS, 3, 3,
                   pad=PAD)
    assert out.tokens.tolist() == [[0, EOS, PAD], [1, 2, EOS], [EOS, PAD, PAD]]
    assert out.lengths.tolist() == [2, 3, 1]
    ln4 = torch.log(torch.tensor(4.0, dtype=torch.float64))
    assert torch.allclose(out.log_prob, -ln4 * out.lengths)  # uniform: -|y| ln 4
    assert out.token_log_probs[2, 1:].tolist() == [0.0, 0.0]


def test_stops_when_every_sequence_has_ended_and_feeds_the_model_pad():
    calls = []

    def model(tokens, state):
        calls.append(tokens.clone())
        return torch.zeros(tokens.shape[0], 4), None

    out = generate(model, _script([[EOS, 0, 0, 0], [1, EOS, 0, 0]]), 5, EOS, 4, 2, pad=PAD)
    assert out.tokens.shape == (2, 2) and len(calls) == 2
    assert calls[1].tolist() == [[5, EOS], [5, 1]]


def test_runs_to_max_len_without_eos_and_keeps_the_state():
    out = generate(_uniform, lambda z: torch.zeros(z.shape[0], dtype=torch.long), 5, EOS, 4, 2)
    assert out.tokens.shape == (2, 4) and out.lengths.tolist() == [4, 4]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"max_len": 0}, "max_len must be an integer >= 1, got 0"),
    ({"eos": -2}, "eos must be an int >= 0, got -2"),
    ({"pad": 1.5}, "pad must be None or an int >= 0, got 1.5"),
])
def test_bad_arguments_name_themselves(kwargs, message):
    args = {"bos": 5, "eos": EOS, "max_len": 3, "batch_size": 2} | kwargs
    pad = args.pop("pad", None)
    with pytest.raises(ConfigError, match=message):
        generate(_uniform, lambda z: z.argmax(-1), **args, pad=pad)
