"""The step-function protocol: reordering a state, the prompts every decoder starts from."""

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding.step import log_probs_of, prompt_tokens, reorder_state


def test_reorder_state_takes_rows_of_every_tensor_and_keeps_the_containers():
    k = torch.arange(6.0).view(3, 2)  # (3, 2)
    state = {"cache": (k, [k + 10]), "step": 4, "none": None}
    index = torch.tensor([2, 2, 0])
    out = reorder_state(state, index)
    assert torch.equal(out["cache"][0], k[[2, 2, 0]])
    assert isinstance(out["cache"], tuple) and isinstance(out["cache"][1], list)
    assert torch.equal(out["cache"][1][0], k[[2, 2, 0]] + 10)
    assert out["step"] == 4 and out["none"] is None
    assert reorder_state(None, index) is None


def test_reorder_state_takes_rows_inside_dataclasses_and_returns_new_ones():
    from mllab.attention import KVCache

    k = torch.arange(12.0).view(3, 1, 2, 2)  # (B, nh, T, hs)
    cache = KVCache(k=k, v=-k, static=True)
    out = reorder_state([cache], torch.tensor([1, 0, 0]))[0]
    assert isinstance(out, KVCache) and out is not cache and out.static
    assert torch.equal(out.k, k[[1, 0, 0]]) and torch.equal(out.v, -k[[1, 0, 0]])
    assert torch.equal(cache.k, k)  # the old state is left as it was


def test_prompt_tokens_from_an_int_and_from_tensors():
    assert torch.equal(prompt_tokens(7, 3), torch.full((3, 1), 7))
    assert torch.equal(prompt_tokens(torch.tensor([1, 2]), None), torch.tensor([[1], [2]]))
    prompts = torch.tensor([[1, 2, 3], [4, 5, 6]])
    assert torch.equal(prompt_tokens(prompts, 2), prompts)


@pytest.mark.parametrize(("bos", "batch_size", "message"), [
    (1, None, "batch_size must be given when bos is an int, got None"),
    (1, 0, "batch_size must be an integer >= 1, got 0"),
    (-1, 2, "bos must be an int >= 0 or a tensor of prompts, got -1"),
    (torch.tensor([[1, 2]]), 3, "batch_size must be None or the batch size of bos (1), got 3"),
    (torch.tensor([0.5]), None, "bos must be an int or a non-empty integer tensor"),
])
def test_bad_prompts_are_refused_with_one_line_naming_the_argument(bos, batch_size, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)")):
        prompt_tokens(bos, batch_size)


def test_log_probs_of_normalizes_and_checks_the_shape():
    logits = torch.tensor([[0.0, 1.0, 2.0]], dtype=torch.float64)
    lp = log_probs_of(logits, 1)
    assert torch.allclose(lp.exp().sum(-1), torch.ones(1, dtype=torch.float64))
    assert torch.allclose(log_probs_of(lp, 1), lp)  # log-probabilities pass unchanged
    with pytest.raises(ConfigError, match=r"step_fn must return logits \(N, V\) with N = 2"):
        log_probs_of(logits, 2)
