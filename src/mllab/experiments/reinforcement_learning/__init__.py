r"""Reinforcement learning lecture: policy gradient from version 0 to a baseline, on- and
off-policy learning (importance sampling, PPO), critics by MC and TD, actor-critic, SARSA
against Q-learning, DQN, DDPG, and the homework's LunarLander.

Environments: gymnasium's, seeded at every reset from the run's seed.
"""

LECTURE = "Reinforcement learning"
EXPERIMENTS: tuple[str, ...] = (
    "policy_gradient_versions", "on_vs_off_policy", "critic_mc_vs_td", "actor_critic",
    "q_learning_vs_sarsa", "dqn_ablation", "ddpg_pendulum", "lunar_lander")
"""The lecture's experiment modules, in the order of the course."""
