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
  and :func:`ppo_kl_loss` (Eq. 8) (arXiv:1707.06347); importance sampling alone,
  :func:`importance_sampling_loss`;
- PPO on the general loop, one batch of whole episodes reused for several epochs a step, with
  the clipped or KL-penalised surrogate or importance sampling alone, on an
  :class:`ActorCriticState`: :func:`ppo_step`, :func:`gae_targets`, :func:`categorical_kl`;
- DQN on the general loop, one environment step and one update a step, replay memory and
  target network each switchable: :class:`DQNState`, :func:`dqn_step`,
  :func:`between_episodes`, :func:`target_copy`;
- DDPG (arXiv:1509.02971) on the general loop for continuous actions, one environment step
  and one update of critic, actor and soft-updated targets a step: :class:`DDPGState`,
  :func:`ddpg_step`, :class:`DeterministicActor`, :class:`QCritic`, :func:`ddpg_target`,
  :func:`ddpg_actor_loss`, :func:`soft_update`, :func:`uniform_action`;
- evaluation over many fresh episodes: :func:`evaluate` of a :func:`greedy`, :func:`sampled`
  or :func:`deterministic` policy;
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
from mllab.rl.ddpg import (
    DDPGConfig,
    DDPGState,
    DeterministicActor,
    QCritic,
    ddpg_actor_loss,
    ddpg_step,
    ddpg_target,
    soft_update,
    uniform_action,
)
from mllab.rl.dqn import DQNConfig, DQNState, between_episodes, dqn_step, target_copy
from mllab.rl.evaluation import deterministic, evaluate, greedy, sampled
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
from mllab.rl.ppo import OBJECTIVES, PPOConfig, categorical_kl, gae_targets, ppo_step
from mllab.rl.ppo_loss import (
    importance_sampling_loss,
    importance_weights,
    ppo_clip_loss,
    ppo_kl_loss,
)
from mllab.rl.returns import VERSIONS, advantages, discounted_returns
from mllab.rl.td_control import (
    METHODS,
    TDControlConfig,
    TDControlState,
    epsilon_greedy,
    greedy_path,
    td_control_step,
)

__all__ = ["CRITICS", "METHODS", "OBJECTIVES", "VERSIONS", "ActorCritic", "ActorCriticConfig",
           "ActorCriticState", "DDPGConfig", "DDPGState", "DQNConfig", "DQNState",
           "DeterministicActor", "Episode", "PPOConfig", "PolicyGradientConfig",
           "PolicyGradientState", "QCritic", "TDControlConfig", "TDControlState",
           "actor_critic_step", "advantages", "between_episodes", "categorical_kl",
           "collect_episode", "critic_targets", "ddpg_actor_loss", "ddpg_step", "ddpg_target",
           "deterministic", "discounted_returns", "dqn_step", "episode_weights", "epsilon_greedy",
           "evaluate", "gae", "gae_targets", "greedy", "greedy_path", "importance_sampling_loss",
           "importance_weights", "mc_values", "policy_gradient_loss", "policy_gradient_step",
           "ppo_clip_loss", "ppo_kl_loss", "ppo_step", "sampled", "soft_update", "target_copy",
           "td_control_step", "td_target", "td_values", "uniform_action"]
