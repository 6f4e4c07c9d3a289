r"""Generative adversarial networks: the lectures on GANs, WGAN, evaluation, conditional GAN
and CycleGAN.

- the objectives, pure functions of the discriminator's outputs: :func:`value_function`
  :math:`V(G, D)`, :func:`discriminator_loss`, :func:`saturating_generator_loss`,
  :func:`non_saturating_generator_loss`; WGAN's :func:`critic_loss` and
  :func:`wasserstein_generator_loss`; :func:`hinge_discriminator_loss` and
  :func:`hinge_generator_loss`;
- keeping a critic Lipschitz: :func:`clip_weights`, :func:`gradient_penalty` (WGAN-GP Eq. 3),
  :func:`spectral_norm` by :func:`power_iteration`;
- the divergences of the lecture's argument: :func:`js_divergence` (:math:`\log 2` when the
  supports do not overlap) and :func:`wasserstein_1d`;
- networks: :class:`MLPGenerator` / :class:`MLPDiscriminator` for 2-D data,
  :class:`DCGANGenerator` / :class:`DCGANDiscriminator` for 8×8 digits
  (:func:`load_digit_images`) or 28×28 Fashion-MNIST where installed
  (:func:`load_gan_images`), conditional through :class:`ConcatEmbedding` and
  :class:`ProjectionHead`; :class:`CycleGAN` with :func:`cycle_consistency_loss` and
  :func:`identity_loss`;
- training: :class:`GANState` and :func:`gan_step` ("1. fix G, update D; 2. fix D, update G")
  for the general loop; :class:`CycleGANState` and :func:`cycle_gan_step` (both directions,
  Eq. 3 with the cycle weight :math:`\lambda`);
- evaluation: :class:`DigitsClassifier` (the stand-in for Inception in
  :func:`mllab.metrics.fid` and :func:`mllab.metrics.inception_score`), and mode collapse on
  the :func:`ring_centers` / :func:`grid_centers` mixtures by :func:`mode_coverage`.
"""

from mllab.gan.cycle_gan import (
    CycleGAN,
    CycleGANConfig,
    Translator,
    cycle_consistency_loss,
    identity_loss,
)
from mllab.gan.cycle_gan_step import CycleGANState, CycleGANStepConfig, cycle_gan_step
from mllab.gan.dcgan import DCGANConfig, DCGANDiscriminator, DCGANGenerator
from mllab.gan.digit_images import load_digit_images, to_pixels
from mllab.gan.digits_classifier import DigitsClassifier, train_digits_classifier
from mllab.gan.gan_step import LOSSES, GANState, GANStepConfig, gan_step
from mllab.gan.gaussian_mixture import grid_centers, ring_centers, sample_mixture
from mllab.gan.gradient_penalty import gradient_penalty, interpolate
from mllab.gan.hinge_loss import hinge_discriminator_loss, hinge_generator_loss
from mllab.gan.image_data import IMAGE_DATA, load_gan_images, require_image_data
from mllab.gan.js_divergence import LOG_2, histogram, js_divergence, kl_divergence
from mllab.gan.minimax import (
    discriminator_loss,
    non_saturating_generator_loss,
    saturating_generator_loss,
    value_function,
)
from mllab.gan.mlp_gan import MLPDiscriminator, MLPGANConfig, MLPGenerator
from mllab.gan.mode_coverage import ModeCoverage, mode_coverage
from mllab.gan.projection import ConcatEmbedding, ProjectionHead
from mllab.gan.spectral_norm import (
    SpectralNormalization,
    power_iteration,
    spectral_norm,
    spectral_normalize_all,
)
from mllab.gan.wasserstein_distance import wasserstein_1d
from mllab.gan.wasserstein_loss import (
    critic_loss,
    wasserstein_estimate,
    wasserstein_generator_loss,
)
from mllab.gan.weight_clipping import clip_weights

__all__ = [
    "IMAGE_DATA", "LOG_2", "LOSSES", "ConcatEmbedding", "CycleGAN", "CycleGANConfig",
    "CycleGANState", "CycleGANStepConfig",
    "DCGANConfig", "DCGANDiscriminator", "DCGANGenerator", "DigitsClassifier", "GANState",
    "GANStepConfig", "MLPDiscriminator", "MLPGANConfig", "MLPGenerator", "ModeCoverage",
    "ProjectionHead", "SpectralNormalization", "Translator", "clip_weights", "critic_loss",
    "cycle_consistency_loss", "cycle_gan_step", "discriminator_loss", "gan_step",
    "gradient_penalty", "grid_centers",
    "hinge_discriminator_loss", "hinge_generator_loss", "histogram", "identity_loss",
    "interpolate", "js_divergence", "kl_divergence", "load_digit_images", "load_gan_images",
    "mode_coverage", "non_saturating_generator_loss", "power_iteration", "require_image_data",
    "ring_centers", "sample_mixture", "saturating_generator_loss", "spectral_norm",
    "spectral_normalize_all", "to_pixels", "train_digits_classifier", "value_function",
    "wasserstein_1d", "wasserstein_estimate", "wasserstein_generator_loss",
]
