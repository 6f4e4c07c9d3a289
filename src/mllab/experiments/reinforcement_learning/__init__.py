r"""Reinforcement learning lecture: actors, critics and value-based learning; here so far,
tabular SARSA against Q-learning on the cliff.

Environments: gymnasium's, seeded at every reset from the run's seed.
"""

LECTURE = "Reinforcement learning"
EXPERIMENTS: tuple[str, ...] = (
    "policy_gradient_versions", "critic_mc_vs_td", "actor_critic", "q_learning_vs_sarsa",
    "dqn_ablation")
"""The lecture's experiment modules, in the order of the course."""
