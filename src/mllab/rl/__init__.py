r"""Reinforcement learning: the course's RL lectures.

- policy gradient's weights :math:`A_t`, versions 0-3: :func:`advantages` from
  :func:`discounted_returns`;
- the actor trained by policy gradient on the general loop, one update on a batch of whole
  episodes a step: :class:`PolicyGradientState`, :func:`policy_gradient_step`
  (:func:`collect_episode`, :func:`episode_weights`, :func:`policy_gradient_loss`);
- actor and critic in one network: :class:`ActorCritic`, :class:`ActorCriticState` and
  :func:`actor_critic_step` (REINFORCE with a learned baseline, or A2C), with
  :func:`critic_targets`;
- critics of a fixed policy from a batch of episodes, tabular: :func:`mc_values` (Monte
  Carlo) and :func:`td_values` (batch TD(0));
- critics and advantages from a rollout: :func:`td_target` and :func:`gae`
  (arXiv:1506.02438);
- off-policy corrections: :func:`importance_weights` and PPO's :func:`ppo_clip_loss` (Eq. 7)
  and :func:`ppo_kl_loss` (Eq. 8) (arXiv:1707.06347);
- DQN on the general loop, one environment step and one update a step, replay memory and
  target network each switchable: :class:`DQNState`, :func:`dqn_step`,
  :func:`between_episodes`, :func:`target_copy`;
- evaluation over many fresh episodes: :func:`evaluate` of a :func:`greedy` or
  :func:`sampled` policy;
- tabular SARSA and Q-learning on the general loop, one episode a step:
  :class:`TDControlState`, :func:`td_control_step`, :func:`epsilon_greedy`,
  :func:`greedy_path`.
"""

from mllab.rl.actor_critic import (
    CRITICS,
    ActorCritic,
    ActorCriticConfig,
    ActorCriticState,
    actor_critic_step,
    critic_targets,
)
from mllab.rl.critic import mc_values, td_values
from mllab.rl.dqn import DQNConfig, DQNState, between_episodes, dqn_step, target_copy
from mllab.rl.evaluation import evaluate, greedy, sampled
from mllab.rl.gae import gae, td_target
from mllab.rl.policy_gradient import (
    Episode,
    PolicyGradientConfig,
    PolicyGradientState,
    collect_episode,
    episode_weights,
    policy_gradient_loss,
    policy_gradient_step,
)
from mllab.rl.ppo_loss import importance_weights, ppo_clip_loss, ppo_kl_loss
from mllab.rl.returns import VERSIONS, advantages, discounted_returns
from mllab.rl.td_control import (
    METHODS,
    TDControlConfig,
    TDControlState,
    epsilon_greedy,
    greedy_path,
    td_control_step,
)

__all__ = ["CRITICS", "METHODS", "VERSIONS", "ActorCritic", "ActorCriticConfig",
           "ActorCriticState", "DQNConfig", "DQNState", "Episode", "PolicyGradientConfig",
           "PolicyGradientState", "TDControlConfig", "TDControlState", "actor_critic_step",
           "advantages", "between_episodes", "collect_episode", "critic_targets",
           "discounted_returns", "dqn_step", "episode_weights", "epsilon_greedy", "evaluate",
           "gae", "greedy", "greedy_path", "importance_weights", "mc_values",
           "policy_gradient_loss", "policy_gradient_step", "ppo_clip_loss", "ppo_kl_loss",
           "sampled", "target_copy", "td_control_step", "td_target", "td_values"]
