"""Copying mllab's attention weights into torch's modules, for the blocks' parity tests."""

import torch
from torch import nn

from mllab.attention.multi_head import MultiHeadAttention


def copy_attention(ours: MultiHeadAttention, theirs: nn.MultiheadAttention) -> None:
    """``in_proj_weight`` is ``[W_q; W_k; W_v]`` stacked by rows."""
    with torch.no_grad():
        theirs.in_proj_weight.copy_(torch.cat([ours.q_proj.weight, ours.k_proj.weight,
                                               ours.v_proj.weight]))
        theirs.in_proj_bias.copy_(torch.cat([ours.q_proj.bias, ours.k_proj.bias,
                                             ours.v_proj.bias]))
        theirs.out_proj.load_state_dict(ours.out_proj.state_dict())
