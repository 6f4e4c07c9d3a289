"""Tests for mllab.seq2seq.rnn_seq2seq: teacher forcing equals step-by-step decoding (float64),
the decoder starts from the encoder's final state (GRU equations by hand), padding changes
nothing, attention weights are distributions that ignore padding, greedy decoding and beam
search run on the model (width 1 is greedy), and the configuration's refusals."""

from __future__ import annotations

import pytest
import torch

from mllab.config import ConfigError
from mllab.decoding import beam_search, greedy_decode
from mllab.seq2seq.rnn_seq2seq import RNNSeq2Seq, RNNSeq2SeqConfig

f64 = torch.float64
ALL = [(cell, attention) for cell in ("gru", "lstm") for attention in ("none", "dot", "additive")]


def _model(seed: int = 0, **kw) -> RNNSeq2Seq:
    torch.manual_seed(seed)
    settings = {"src_vocab": 11, "tgt_vocab": 13, "embedding": 6, "hidden": 8} | kw
    return RNNSeq2Seq(RNNSeq2SeqConfig(**settings)).double().eval()


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize(("cell", "attention"), ALL)
def test_teacher_forcing_equals_the_step_function_token_by_token(cell, attention, num_layers):
    model = _model(cell=cell, attention=attention, num_layers=num_layers)
    g = torch.Generator().manual_seed(1)
    src, tgt = torch.randint(0, 11, (3, 7), generator=g), torch.randint(0, 13, (3, 6), generator=g)
    lengths = torch.tensor([7, 4, 2])
    full = model(src, tgt, lengths)  # (B, T, V)
    assert full.shape == (3, 6, 13) and full.dtype == f64
    step_fn, state = model.step_function(src, lengths)
    steps = []
    for t in range(1, 7):
        logits, state = step_fn(tgt[:, :t], state)
        steps.append(logits)
    assert state["consumed"] == 6
    assert (torch.stack(steps, dim=1) - full).abs().max() < 1e-12
    # a prompt longer than BEGIN is read whole at the first call
    step_fn, state = model.step_function(src, lengths)
    logits, state = step_fn(tgt[:, :4], state)
    assert (logits - full[:, 3]).abs().max() < 1e-12
    logits, _ = step_fn(tgt[:, :5], state)
    assert (logits - full[:, 4]).abs().max() < 1e-12


def _gru_step(x, h, rnn, layer=0):
    r"""One GRU step by the equations (PyTorch's gate order r, z, n)."""
    W_i, W_h = getattr(rnn, f"weight_ih_l{layer}"), getattr(rnn, f"weight_hh_l{layer}")
    b_i, b_h = getattr(rnn, f"bias_ih_l{layer}"), getattr(rnn, f"bias_hh_l{layer}")
    gi, gh = x @ W_i.T + b_i, h @ W_h.T + b_h
    (ir, iz, in_), (hr, hz, hn) = gi.chunk(3, -1), gh.chunk(3, -1)
    r, z = torch.sigmoid(ir + hr), torch.sigmoid(iz + hz)
    n = torch.tanh(in_ + r * hn)
    return (1 - z) * n + z * h


def test_without_attention_the_decoder_starts_from_the_encoders_final_state():
    model = _model(attention="none")
    src = torch.tensor([[3, 1, 4, 1, 5]])
    bos = torch.tensor([[2]])
    h = torch.zeros(1, 8, dtype=f64)
    for j in range(src.shape[1]):  # h_j = GRU(E[x_j], h_{j-1})
        h = _gru_step(model.src_embedding.weight[src[:, j]], h, model.encoder_rnn)
    assert (model.encode(src)["h"][:, 0] - h).abs().max() < 1e-12  # s_0 = h_S
    s1 = _gru_step(model.tgt_embedding.weight[bos[:, 0]], h, model.decoder_rnn)
    z1 = s1 @ model.output.weight.T + model.output.bias  # z_1 = W_out s_1
    assert (model(src, bos)[:, 0] - z1).abs().max() < 1e-12
    # and it is not the decoder started from zeros
    s1_zero = _gru_step(model.tgt_embedding.weight[bos[:, 0]], 0 * h, model.decoder_rnn)
    assert (s1_zero - s1).abs().max() > 1e-3


@pytest.mark.parametrize(("cell", "attention"), ALL)
def test_a_padded_batch_gives_the_outputs_of_each_sequence_alone(cell, attention):
    model = _model(cell=cell, attention=attention, num_layers=2)
    g = torch.Generator().manual_seed(2)
    src, tgt = torch.randint(0, 11, (3, 6), generator=g), torch.randint(0, 13, (3, 5), generator=g)
    lengths = [6, 3, 1]
    batch = model(src, tgt, torch.tensor(lengths))
    for b, L in enumerate(lengths):
        alone = model(src[b:b + 1, :L], tgt[b:b + 1])
        assert (batch[b] - alone[0]).abs().max() < 1e-12
    # without lengths the padding would be read: the outputs differ
    assert (model(src, tgt)[2] - batch[2]).abs().max() > 1e-6


@pytest.mark.parametrize("attention", ["dot", "additive"])
def test_attention_weights_sum_to_one_and_are_zero_on_padding(attention):
    model = _model(attention=attention)
    src, tgt = torch.randint(0, 11, (3, 6)), torch.randint(0, 13, (3, 4))
    lengths = torch.tensor([6, 4, 1])
    logits, alpha = model(src, tgt, lengths, return_attention=True)
    assert alpha.shape == (3, 4, 6) and logits.shape == (3, 4, 13)
    assert (alpha.sum(-1) - 1).abs().max() < 1e-12
    padding = torch.arange(6)[None, :] >= lengths[:, None]  # (B, S)
    assert (alpha.masked_select(padding[:, None, :].expand_as(alpha)) == 0).all()
    assert (alpha.masked_select(~padding[:, None, :].expand_as(alpha)) > 0).all()
    assert (alpha[2, :, 0] == 1).all()  # a single real token takes all the weight


def test_dot_attention_is_the_softmax_of_plain_dot_products():
    model = _model(attention="dot")
    src, tgt = torch.randint(0, 11, (2, 5)), torch.randint(0, 13, (2, 3))
    _, alpha = model(src, tgt, return_attention=True)
    state = model.encode(src)
    s, _ = model.decoder_rnn(model.tgt_embedding(tgt), state["h"].transpose(0, 1).contiguous())
    scores = torch.einsum("bth,bsh->bts", s, state["memory"])  # s_t . h_j, unscaled
    assert (alpha - torch.softmax(scores, -1)).abs().max() < 1e-12


@pytest.mark.parametrize(("cell", "attention"), [("gru", "additive"), ("lstm", "dot")])
def test_greedy_and_beam_search_run_and_width_one_is_greedy(cell, attention):
    model = _model(cell=cell, attention=attention)
    src = torch.randint(0, 11, (4, 6))
    lengths = torch.tensor([6, 5, 3, 2])
    with torch.no_grad():
        step_fn, state = model.step_function(src, lengths)
        greedy = greedy_decode(step_fn, 1, 0, 7, 4, init_state=state)
        beam1 = beam_search(step_fn, 1, 0, 7, 4, beam_width=1, init_state=state)
        beam3 = beam_search(step_fn, 1, 0, 7, 4, beam_width=3, init_state=state)
    assert greedy.tokens.shape[0] == 4
    assert torch.equal(beam1.tokens[:, :greedy.tokens.shape[1]], greedy.tokens)
    assert torch.allclose(beam1.log_probs[:, 0], greedy.log_prob)
    assert beam3.sequences.shape[:2] == (4, 3)
    assert torch.isfinite(beam3.scores).all()
    assert (beam3.scores[:, :-1] >= beam3.scores[:, 1:]).all()  # n-best, best first


def test_each_beam_item_depends_only_on_its_own_source():
    model = _model(attention="dot")
    src = torch.randint(0, 11, (2, 5))
    with torch.no_grad():
        step_fn, state = model.step_function(src)
        both = beam_search(step_fn, 1, 0, 6, 2, beam_width=3, init_state=state)
        step_fn, state = model.step_function(src[1:])
        alone = beam_search(step_fn, 1, 0, 6, 1, beam_width=3, init_state=state)
    assert torch.equal(both.sequences[1:, :, :alone.sequences.shape[2]], alone.sequences)


def test_the_model_learns_to_reverse_short_sequences():
    torch.manual_seed(0)
    model = RNNSeq2Seq(RNNSeq2SeqConfig(8, 8, embedding=16, hidden=32, attention="dot"))
    g = torch.Generator().manual_seed(0)
    src = torch.randint(2, 8, (64, 4), generator=g)
    tgt = torch.cat([torch.ones(64, 1, dtype=torch.long), src.flip(1)], 1)  # BOS = 1
    opt = torch.optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(150):
        loss = torch.nn.functional.cross_entropy(model(src, tgt[:, :-1]).flatten(0, 1),
                                                 tgt[:, 1:].flatten())
        first = loss.item() if first is None else first
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert abs(first - torch.log(torch.tensor(8.0)).item()) < 0.5  # ln V at init
    assert loss.item() < 0.05


def test_return_attention_is_refused_without_attention():
    model = _model(attention="none")
    with pytest.raises(ConfigError, match="return_attention must be False for a model without"):
        model(torch.zeros(1, 2, dtype=torch.long), torch.zeros(1, 2, dtype=torch.long),
              return_attention=True)


def test_the_step_function_refuses_a_prefix_it_has_already_read():
    step_fn, state = _model().step_function(torch.zeros(1, 3, dtype=torch.long))
    _, state = step_fn(torch.ones(1, 2, dtype=torch.long), state)
    with pytest.raises(ConfigError, match=r"tokens must be a LongTensor \(N, t\) with t > 2"):
        step_fn(torch.ones(1, 2, dtype=torch.long), state)


def test_bad_source_lengths_are_refused():
    with pytest.raises(ValueError, match=r"src_lengths must be \(B,\) = \(1,\) in \[1, 3\]"):
        _model().encode(torch.zeros(1, 3, dtype=torch.long), torch.tensor([4]))


@pytest.mark.parametrize(("field", "value", "message"), [
    ("src_vocab", 0, "src_vocab must be an integer >= 1, got 0"),
    ("tgt_vocab", 2.0, "tgt_vocab must be an integer >= 1, got 2.0"),
    ("embedding", True, "embedding must be an integer >= 1, got True"),
    ("hidden", -1, "hidden must be an integer >= 1, got -1"),
    ("num_layers", 0, "num_layers must be an integer >= 1, got 0"),
    ("cell", "rnn", "cell must be one of 'gru', 'lstm', got 'rnn'"),
    ("attention", "general", "attention must be one of 'none', 'dot', 'additive', got 'general'"),
    ("dropout", 1.0, r"dropout must be a float in \[0, 1\), got 1.0"),
    ("dropout", "0.1", r"dropout must be a float in \[0, 1\), got '0.1'"),
])
def test_config_refusals(field, value, message):
    kw = {"src_vocab": 5, "tgt_vocab": 5} | {field: value}
    with pytest.raises(ConfigError, match=message):
        RNNSeq2SeqConfig(**kw)
